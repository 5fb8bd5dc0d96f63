package io.github.lifeline.springboot.autoconfigure;

import io.github.lifeline.LifelineSettings;
import io.github.lifeline.socket.SocketRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the endpoint and the health contributor show of a pool. Built from addresses, kernel counters, option values
 * and Lifeline's settings only: no URL, user, password or data source property ever appears.
 */
final class PoolReports {

  private PoolReports() {
  }

  /** The summary of one pool (the health contributor shows this). */
  static Map<String, Object> summary(GuardedPool pool) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("bean", pool.beanName());
    m.put("protection", pool.protection().name());
    pool.detail().ifPresent(d -> m.put("reason", d));
    if (pool.settings() != null) {
      m.put("settings", settings(pool.settings()));
    }
    Optional<CoreAccess.PoolView> view = pool.view();
    view.ifPresent(v -> {
      m.put("watchedSockets", v.watched());
      m.put("mismatchedSockets", v.mismatched());
      v.monitoringProblem().ifPresent(p -> m.put("monitoringProblem", p));
    });
    if (pool.isProtected()) {
      m.put("evictions", pool.evictionCounts());
    }
    return m;
  }

  /** The summary plus every connection, as {@code ss -tnoe} shows it (the endpoint shows this). */
  static Map<String, Object> detail(GuardedPool pool) {
    Map<String, Object> m = summary(pool);
    List<Map<String, Object>> connections = new ArrayList<>();
    pool.view().ifPresent(v -> {
      for (SocketRecord r : v.sockets()) {
        connections.add(CoreAccess.socket(r));
      }
    });
    m.put("connections", connections);
    return m;
  }

  static Map<String, Object> settings(LifelineSettings s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("enabled", s.enabled());
    m.put("keepaliveIdle", LifelineSettings.format(s.keepaliveIdle()));
    m.put("keepaliveInterval", LifelineSettings.format(s.keepaliveInterval()));
    m.put("keepaliveCount", s.keepaliveCount());
    m.put("userTimeout", LifelineSettings.format(s.userTimeout()) + (s.userTimeoutDerived() ? " (derived)" : ""));
    return m;
  }
}
