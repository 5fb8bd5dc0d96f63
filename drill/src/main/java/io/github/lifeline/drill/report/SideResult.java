package io.github.lifeline.drill.report;

import java.util.List;

/**
 * One pool's numbers in a scenario. Times are judged by the kernel's clock (a connection died at its socket's own
 * kernel event, FIN, reset or timeout, as the kernel's TCP tracepoints time it, or its epoll event where tracefs is
 * unavailable; for a blackhole, at the fault itself), and both pools by the same rule.
 * A number that reached the scenario's cap is a lower bound: {@code capped} is then true and {@code cappedFields}
 * names it. {@code null} means the number does not apply (no connection died, nothing to refill).
 *
 * @param pool the pool's name
 * @param callerBlockedSeconds the longest time the caller was blocked: the statement in flight at the fault where
 *     there is one, else the borrower's longest single borrow (borrow and statement) from the fault on
 * @param deadInPoolSeconds from the fault until the last dead connection was closed (its socket closed by the pool,
 *     or by Lifeline under it)
 * @param failedBorrows borrows that failed: no connection within {@code connectionTimeout}, or a statement that failed
 *     on a connection handed out after its own death as the kernel saw it
 * @param inflightFailures statements that failed on a connection handed out before its death: in flight at the
 *     fault, which no pool can save; counted apart
 * @param worstBorrowMs the borrower's longest borrow (borrow and statement) from the fault on
 * @param refillMs from the moment the server was reachable again until the pool held {@code poolSize} live
 *     connections, none of them dead
 * @param capped whether a number reached the cap
 * @param cappedFields which ones
 * @param kernelVerdictSeconds the kernel's first verdict on one of the pool's connections (FIN, reset, keepalive or
 *     user timeout), or {@code null} if it never came
 * @param heldCaller the outcome of the statement in flight at the fault ({@code completed}, {@code error 08006},
 *     {@code blocked}), or {@code null} without one
 * @param borrows borrows in the window
 * @param timeline what the picture shows
 * @param lifelineVerdictSeconds Lifeline's first verdict on the server (its monitor thread's wake-up after the kernel
 *     event), seconds after the fault; {@code null} for the baseline
 * @param failedBeforeLifelineKnew how many of {@code failedBorrows} started before {@code lifelineVerdictSeconds}:
 *     after the kernel's verdict but before Lifeline's monitor thread had run (the scheduler's delay; see the
 *     README's limits); 0 for the baseline
 */
public record SideResult(String pool, Double callerBlockedSeconds, Double deadInPoolSeconds, long failedBorrows,
    long inflightFailures, Double worstBorrowMs, Double refillMs, boolean capped, List<String> cappedFields,
    Double kernelVerdictSeconds, String heldCaller, long borrows, Timeline timeline, Double lifelineVerdictSeconds,
    long failedBeforeLifelineKnew) {

  /**
   * The data behind one timeline, seconds relative to the fault.
   *
   * @param pool {@code [t, total, alive, dead, evicted, waiting]} at each change
   * @param borrows {@code [tStart, ms, result, localPort, handOutMs]}, result 0 ok, 1 failed borrow, 2 in flight at
   *     the death (counted apart), 3 still blocked at the end of the window; {@code handOutMs} is when
   *     {@code getConnection} returned, after the start (-1 without a connection)
   * @param verdicts {@code [t, localPort]} of the kernel's verdicts on the pool's connections
   * @param held {@code [tStart, tEnd]} of the statement in flight at the fault, or empty
   * @param connections every connection the drill watched, with its verdict and its closing
   */
  public record Timeline(List<double[]> pool, List<double[]> borrows, List<double[]> verdicts, double[] held,
      List<Connection> connections) {
  }

  /**
   * One connection of the pool.
   *
   * @param port its local port
   * @param preFault whether it existed at the fault
   * @param verdict the kernel's verdict, seconds after the fault, or {@code null}
   * @param verdictState the socket's state then ({@code CLOSE_WAIT}, {@code CLOSE}, {@code GONE}; {@code (polled)}
   *     when, without tracefs, the owner closed the socket before the drill's epoll event was collected, and the time
   *     is the kernel's last ACK or the last poll that saw it alive)
   * @param closed when its owner closed the socket, seconds after the fault, or {@code null} (known for pre-fault
   *     connections only)
   * @param lifeline when Lifeline's verdict on it took effect (its own death, or the host event that condemned it),
   *     seconds after the fault, or {@code null} (the baseline, or no verdict: its owner closed it first)
   */
  public record Connection(int port, boolean preFault, Double verdict, String verdictState, Double closed,
      Double lifeline) {
  }
}
