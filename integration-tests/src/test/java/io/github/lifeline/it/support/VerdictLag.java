package io.github.lifeline.it.support;

import io.github.lifeline.EvictionEvent;
import io.github.lifeline.testkit.KernelClock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * Lifeline's lag behind the kernel, judged per connection: for each eviction event, the time from the kernel's own
 * verdict on that connection (its FIN, reset or timeout, on the {@link KernelClock}) to the event's
 * {@link EvictionEvent#verdictNanos()} (when Lifeline's verdict was in effect for the borrow path). A connection
 * condemned by a host event before its own FIN has a negative lag.
 *
 * <p>Why not "Lifeline's first verdict after the pool's first FIN": the pool's first FIN is often on the connection
 * carrying a statement, which fails and which HikariCP then closes itself, so Lifeline never judges it; and a server's
 * backends do not all exit at once on a loaded machine. Measured that way, the lag includes the server's own spread
 * between its first exit and the first one Lifeline could see (once 96 ms in CI, on two busy cores).
 */
public final class VerdictLag {

  private final List<String> lines = new ArrayList<>();
  private Double worstMs;

  private VerdictLag() {
  }

  /** The lags of {@code events} whose verdict came at or after {@code sinceNanos}. */
  public static VerdictLag of(Collection<EvictionEvent> events, KernelClock clock, long sinceNanos) {
    return of(events, clock, sinceNanos, Long.MAX_VALUE);
  }

  /**
   * The lags of {@code events} whose verdict came at or after {@code sinceNanos} and before {@code untilNanos} (one
   * fault of several in a run; {@link Long#MAX_VALUE} for no end), each against its connection's first kernel verdict
   * since {@code sinceNanos}.
   */
  public static VerdictLag of(Collection<EvictionEvent> events, KernelClock clock, long sinceNanos, long untilNanos) {
    VerdictLag lag = new VerdictLag();
    for (EvictionEvent e : events) {
      if (e.local() == null || e.verdictNanos() - sinceNanos < 0
          || (untilNanos != Long.MAX_VALUE && e.verdictNanos() - untilNanos >= 0)) {
        continue;
      }
      OptionalLong death = clock.deathSince(e.local().getPort(), sinceNanos);
      if (death.isEmpty()) {
        lag.lines.add(e.local().getPort() + " " + e.reason() + ": no kernel verdict");
        continue;
      }
      double ms = (e.verdictNanos() - death.getAsLong()) / 1e6;
      lag.lines.add(String.format(Locale.ROOT, "%d %s: %+.3f ms", e.local().getPort(), e.reason(), ms));
      lag.worstMs = lag.worstMs == null ? ms : Math.max(lag.worstMs, ms);
    }
    return lag;
  }

  /** The largest lag, ms, or {@code null} when no event had a kernel verdict to compare with. */
  public Double worstMs() {
    return worstMs;
  }

  /** Each event's lag, for a failure message. */
  @Override
  public String toString() {
    return lines.toString();
  }
}
