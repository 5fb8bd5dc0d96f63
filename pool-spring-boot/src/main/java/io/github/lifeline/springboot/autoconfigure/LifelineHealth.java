package io.github.lifeline.springboot.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the {@code lifeline} health contributor reports, on every Boot line: the status is always UP, because Lifeline
 * is there to keep the pools working through a database failure, and a liveness probe that restarts the application
 * on a database failover would be worse than the failover. The details say, per pool, whether Lifeline protects it
 * and how (the same summary as the endpoint's, without the connections).
 */
final class LifelineHealth {

  private LifelineHealth() {
  }

  /** The details: one summary per pool, by name. */
  static Map<String, Object> details(LifelinePools pools) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (GuardedPool p : pools.all()) {
      m.put(p.name(), PoolReports.summary(p));
    }
    return m;
  }
}
