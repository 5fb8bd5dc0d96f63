package io.github.lifeline.drill.run;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The settings of a drill run: the pools, the load, Lifeline's settings and each scenario's window. Lifeline runs with
 * short keepalive timing (1 s idle, 1 s interval, 2 probes, user timeout derived: 3 s) so that the drill is short;
 * production settings (30 s / 5 s / 3, 45 s) scale every Lifeline number up, not the baseline's.
 *
 * @param quick whether the windows are the short ones of {@code --quick}
 */
public record DrillPlan(boolean quick) {

  /** Connections per pool. */
  public static final int POOL_SIZE = 6;
  /** The borrower's pause between borrows: about 100 borrows per second per pool. */
  public static final long BORROW_PERIOD_MS = 10;
  /** HikariCP {@code connectionTimeout} of both pools. */
  public static final long CONNECTION_TIMEOUT_MS = 2_000;
  /** HikariCP {@code validationTimeout} of both pools (below the connection timeout, as HikariCP requires). */
  public static final long VALIDATION_TIMEOUT_MS = 1_000;
  /** Warm-up under load before the fault. */
  public static final double WARMUP_SECONDS = 0.7;
  /** Lifeline's {@code keepaliveIdle}. */
  public static final Duration KEEPALIVE_IDLE = Duration.ofSeconds(1);
  /** Lifeline's {@code keepaliveInterval}. */
  public static final Duration KEEPALIVE_INTERVAL = Duration.ofSeconds(1);
  /** Lifeline's {@code keepaliveCount}. */
  public static final int KEEPALIVE_COUNT = 2;
  /** Lifeline's user timeout: derived, keepaliveIdle + keepaliveInterval x keepaliveCount. */
  public static final Duration USER_TIMEOUT = KEEPALIVE_IDLE.plus(KEEPALIVE_INTERVAL.multipliedBy(KEEPALIVE_COUNT));
  /** How long the long-query scenario's query runs: longer than the user timeout. */
  public static final int LONG_QUERY_SECONDS = 5;
  /**
   * When the silent failover heals, after the fault: late enough that a baseline caller blocked until then waits
   * more than twice Lifeline's bound (connectionTimeout + user timeout = 5 s).
   */
  public static final double FAILOVER_HEAL_SECONDS = 10.5;

  /** The keepalive budget: idle + interval x count. */
  public static Duration keepaliveBudget() {
    return KEEPALIVE_IDLE.plus(KEEPALIVE_INTERVAL.multipliedBy(KEEPALIVE_COUNT));
  }

  /** The {@code lifeline.*} driver properties of the Lifeline pool. */
  public static Map<String, String> lifelineProperties() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("lifeline.keepaliveIdle", KEEPALIVE_IDLE.getSeconds() + "s");
    m.put("lifeline.keepaliveInterval", KEEPALIVE_INTERVAL.getSeconds() + "s");
    m.put("lifeline.keepaliveCount", Integer.toString(KEEPALIVE_COUNT));
    return m;
  }

  /** The end of the measurement window, seconds after the fault. */
  public double capSeconds(Scenario s) {
    switch (s) {
      case RESTART:
      case CRASH:
        return quick ? 3 : 6;
      case BLACKHOLE_IDLE:
        return quick ? 4.5 : 8;
      case BLACKHOLE_INFLIGHT:
        return quick ? 4.5 : 10;
      case FREEZE:
        return quick ? 4 : 6;
      case SILENT_FAILOVER:
        return FAILOVER_HEAL_SECONDS + (quick ? 0.7 : 3);
      case LONG_QUERY:
        return LONG_QUERY_SECONDS + 1.5;
      default:
        throw new AssertionError(s);
    }
  }

  /** The settings recorded with each scenario. */
  public Map<String, Object> settings(Scenario s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("keepaliveIdleSeconds", KEEPALIVE_IDLE.getSeconds());
    m.put("keepaliveIntervalSeconds", KEEPALIVE_INTERVAL.getSeconds());
    m.put("keepaliveCount", KEEPALIVE_COUNT);
    m.put("userTimeoutMs", USER_TIMEOUT.toMillis());
    m.put("keepaliveBudgetSeconds", keepaliveBudget().getSeconds());
    m.put("poolSize", POOL_SIZE);
    m.put("connectionTimeoutMs", CONNECTION_TIMEOUT_MS);
    m.put("validationTimeoutMs", VALIDATION_TIMEOUT_MS);
    m.put("borrowPeriodMs", BORROW_PERIOD_MS);
    m.put("capSeconds", capSeconds(s));
    if (s == Scenario.SILENT_FAILOVER) {
      m.put("healSeconds", FAILOVER_HEAL_SECONDS);
    }
    if (s == Scenario.LONG_QUERY) {
      m.put("querySeconds", LONG_QUERY_SECONDS);
    }
    return m;
  }
}
