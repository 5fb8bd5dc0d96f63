package io.github.lifeline.drill.report;

import java.util.Map;

/**
 * One fault against one driver: the baseline pool and the Lifeline pool, side by side on the same server in the same
 * time window.
 *
 * @param driver {@code postgresql} or {@code mysql}
 * @param fault the scenario, e.g. {@code restart}
 * @param status {@code ran}, {@code skipped} or {@code error}
 * @param reason why it was skipped or failed, else {@code null}
 * @param description what the fault is
 * @param settings the Lifeline settings, the pool's timeouts and the scenario's window
 * @param window the scenario's timing, seconds relative to the fault
 * @param baseline stock HikariCP with the stock driver settings
 * @param lifeline the same pool as a {@code LifelineDataSource}
 */
public record ScenarioResult(String driver, String fault, String status, String reason, String description,
    Map<String, Object> settings, Window window, SideResult baseline, SideResult lifeline) {

  /**
   * The scenario's timing, in seconds relative to the fault.
   *
   * @param startSeconds when the timeline starts (negative: the warm-up before the fault)
   * @param capSeconds the end of the measurement window; a number that reaches it is a lower bound
   * @param reachableSeconds when new connections could reach the server again, or {@code null}
   * @param healSeconds when the fault was undone, or {@code null}
   * @param caller who {@code callerBlockedSeconds} is about: the statement in flight at the fault, or the borrower
   */
  public record Window(double startSeconds, double capSeconds, Double reachableSeconds, Double healSeconds,
      String caller) {
  }

  /** Whether the scenario ran (rather than being skipped or failing). */
  public boolean ran() {
    return "ran".equals(status);
  }
}
