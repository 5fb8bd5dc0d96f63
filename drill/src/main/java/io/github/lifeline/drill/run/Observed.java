package io.github.lifeline.drill.run;

import io.github.lifeline.testkit.Borrower;
import java.util.List;

/** What the drill observed of one pool in one scenario: the raw material of the {@link Judge}. */
public final class Observed {

  private Observed() {
  }

  /**
   * One connection (socket) of the pool.
   *
   * @param port its local port
   * @param preFault whether it existed at the fault
   * @param firstSeenNanos when the drill first saw it
   * @param verdictNanos the kernel's verdict (the peer's FIN or reset, or keepalive or the user timeout gave up), by
   *     the drill's own epoll watch, or {@code null}
   * @param verdictState the socket's state right after the verdict ({@code CLOSE_WAIT}, {@code GONE}, ...)
   * @param closedNanos when its owner (the pool, or Lifeline under it) closed the socket, or {@code null}
   * @param lifelineNanos when Lifeline's verdict on it took effect ({@code EvictionEvent.verdictNanos}: its own death,
   *     or a host event that condemned it), or {@code null} (the baseline, or no verdict)
   */
  public record Conn(int port, boolean preFault, long firstSeenNanos, Long verdictNanos, String verdictState,
      Long closedNanos, Long lifelineNanos) {
  }

  /**
   * A statement held in flight at the fault.
   *
   * @param startNanos when it was sent
   * @param endNanos when it returned, or -1 if it was still blocked at the end of the window
   * @param outcome {@code completed}, {@code error SQLSTATE}, or {@code blocked}
   */
  public record Held(long startNanos, long endNanos, String outcome) {
  }

  /**
   * HikariCP's own counts ({@code HikariPoolMXBean}) at one moment.
   *
   * @param nanos when
   * @param total connections in the pool
   * @param active borrowed
   * @param idle idle
   * @param waiting threads waiting for a connection
   */
  public record PoolSample(long nanos, int total, int active, int idle, int waiting) {
  }

  /**
   * Everything about one pool.
   *
   * @param pool its name
   * @param conns every connection seen, pre-fault ones and those opened later
   * @param borrows the borrower's samples
   * @param inProgressSince when the borrow in progress at the end of the window started, or -1
   * @param held the statement in flight at the fault, or {@code null}
   * @param poolSamples HikariCP's counts over time
   * @param lifelineVerdictNanos Lifeline's first verdict on the server from the fault on (when it took effect), or
   *     {@code null} (the baseline, or no verdict)
   */
  public record Side(String pool, List<Conn> conns, List<Borrower.Sample> borrows, long inProgressSince, Held held,
      List<PoolSample> poolSamples, Long lifelineVerdictNanos) {
  }

  /**
   * The scenario's clock.
   *
   * @param scenario the scenario
   * @param poolSize connections per pool
   * @param startNanos the start of the timeline (before the warm-up)
   * @param faultNanos the fault
   * @param endNanos the end of the measurement window
   * @param reachableNanos when new connections could reach the server again, or {@code null}
   * @param healNanos when the fault was undone, or {@code null}
   */
  public record Window(Scenario scenario, int poolSize, long startNanos, long faultNanos, long endNanos,
      Long reachableNanos, Long healNanos) {
  }
}
