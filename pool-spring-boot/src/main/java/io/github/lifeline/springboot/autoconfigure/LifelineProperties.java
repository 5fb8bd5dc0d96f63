package io.github.lifeline.springboot.autoconfigure;

import io.github.lifeline.LifelineConfigException;
import io.github.lifeline.LifelineProperty;
import io.github.lifeline.LifelineSettings;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Lifeline's settings in a Spring Boot application: {@code lifeline.*}, kebab-case, one key for each of the core's
 * {@link LifelineProperty} keys ({@code lifeline.keepalive-idle} is {@code lifeline.keepaliveIdle}), plus per-pool
 * overrides under {@code lifeline.pools.<pool-or-bean-name>.*}.
 *
 * <p>Durations follow Boot's rules ({@code 30s}, {@code 500ms}, {@code 2m}; a bare number means milliseconds), as the
 * core's keys do. Values are checked by the core when the settings of a pool are built: an invalid one fails the
 * application's start with a message that names the Spring key and the value.
 */
@ConfigurationProperties(prefix = LifelineProperties.PREFIX)
public class LifelineProperties {

  /** The prefix of every key. */
  public static final String PREFIX = "lifeline";

  /** Whether Lifeline protects the application's HikariCP pools. */
  private boolean enabled = true;

  /** Idle time before the first keepalive probe (TCP_KEEPIDLE). Whole seconds, 1s to 32767s. */
  private Duration keepaliveIdle = Duration.ofSeconds(30);

  /** Time between unanswered keepalive probes (TCP_KEEPINTVL). Whole seconds, 1s to 32767s. */
  private Duration keepaliveInterval = Duration.ofSeconds(5);

  /** Unanswered keepalive probes before the kernel declares an idle connection dead (TCP_KEEPCNT), 1 to 127. */
  private int keepaliveCount = 3;

  /**
   * Longest time sent data may stay unacknowledged before the kernel drops the connection (TCP_USER_TIMEOUT). Unset,
   * it is keepalive-idle + keepalive-interval x keepalive-count; 0 disables it.
   */
  private Duration userTimeout;

  /** Per-pool overrides, by HikariCP pool name or, for a pool without one, by bean name. */
  private final Map<String, Pool> pools = new LinkedHashMap<>();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public Duration getKeepaliveIdle() {
    return keepaliveIdle;
  }

  public void setKeepaliveIdle(Duration keepaliveIdle) {
    this.keepaliveIdle = keepaliveIdle;
  }

  public Duration getKeepaliveInterval() {
    return keepaliveInterval;
  }

  public void setKeepaliveInterval(Duration keepaliveInterval) {
    this.keepaliveInterval = keepaliveInterval;
  }

  public int getKeepaliveCount() {
    return keepaliveCount;
  }

  public void setKeepaliveCount(int keepaliveCount) {
    this.keepaliveCount = keepaliveCount;
  }

  public Duration getUserTimeout() {
    return userTimeout;
  }

  public void setUserTimeout(Duration userTimeout) {
    this.userTimeout = userTimeout;
  }

  public Map<String, Pool> getPools() {
    return pools;
  }

  /**
   * The settings of one pool: the global keys, overridden by those under {@code lifeline.pools.<poolName>} or, when
   * none are there, {@code lifeline.pools.<beanName>}.
   *
   * @param poolName the pool's HikariCP name, or {@code null}
   * @param beanName the bean's name
   * @return the settings, checked by the core
   * @throws InvalidLifelinePropertyException naming the Spring key and the value, if the core rejects one
   */
  public LifelineSettings settingsFor(String poolName, String beanName) {
    String key = overrideKey(poolName, beanName);
    Pool pool = key == null ? null : pools.get(key);
    String own = key == null ? null : PREFIX + ".pools." + key + ".";
    LifelineSettings.Builder b = LifelineSettings.builder();
    boolean on = pool != null && pool.getEnabled() != null ? pool.getEnabled() : enabled;
    b.enabled(on);
    Duration idle = pool != null && pool.getKeepaliveIdle() != null ? pool.getKeepaliveIdle() : keepaliveIdle;
    String idleKey = pool != null && pool.getKeepaliveIdle() != null ? own + "keepalive-idle" : PREFIX
        + ".keepalive-idle";
    apply(idleKey, idle, () -> b.keepaliveIdle(idle));
    Duration interval = pool != null && pool.getKeepaliveInterval() != null ? pool.getKeepaliveInterval()
        : keepaliveInterval;
    String intervalKey = pool != null && pool.getKeepaliveInterval() != null ? own + "keepalive-interval" : PREFIX
        + ".keepalive-interval";
    apply(intervalKey, interval, () -> b.keepaliveInterval(interval));
    int count = pool != null && pool.getKeepaliveCount() != null ? pool.getKeepaliveCount() : keepaliveCount;
    String countKey = pool != null && pool.getKeepaliveCount() != null ? own + "keepalive-count" : PREFIX
        + ".keepalive-count";
    apply(countKey, count, () -> b.keepaliveCount(count));
    Duration timeout = pool != null && pool.getUserTimeout() != null ? pool.getUserTimeout() : userTimeout;
    String timeoutKey = pool != null && pool.getUserTimeout() != null ? own + "user-timeout" : PREFIX
        + ".user-timeout";
    apply(timeoutKey, timeout, () -> b.userTimeout(timeout));
    String built = timeout != null ? timeoutKey : idleKey; // the derived user timeout follows from the keepalive keys
    LifelineSettings[] out = new LifelineSettings[1];
    apply(built, timeout, () -> out[0] = b.build());
    return out[0];
  }

  /** The key under {@code lifeline.pools} that applies to a pool, or {@code null}. */
  String overrideKey(String poolName, String beanName) {
    if (poolName != null && pools.containsKey(poolName)) {
      return poolName;
    }
    return beanName != null && pools.containsKey(beanName) ? beanName : null;
  }

  /** Checks every value now (global and per pool), so that a bad one fails the start even before any pool exists. */
  void validate() {
    settingsFor(null, null);
    for (String name : pools.keySet()) {
      settingsFor(name, null);
    }
  }

  private static void apply(String springKey, Object value, Runnable setter) {
    try {
      setter.run();
    } catch (LifelineConfigException e) {
      throw new InvalidLifelinePropertyException(springKey, value, e);
    } catch (ArithmeticException e) {
      throw new InvalidLifelinePropertyException(springKey, value,
          new LifelineConfigException(springKey, "Invalid value for " + springKey + ": '" + value + "': "
              + e.getMessage()));
    }
  }

  /** Overrides for one pool; an absent key takes the global value. */
  public static class Pool {

    /** Whether Lifeline protects this pool. */
    private Boolean enabled;

    /** Idle time before the first keepalive probe (TCP_KEEPIDLE) for this pool. */
    private Duration keepaliveIdle;

    /** Time between unanswered keepalive probes (TCP_KEEPINTVL) for this pool. */
    private Duration keepaliveInterval;

    /** Unanswered keepalive probes before an idle connection is declared dead (TCP_KEEPCNT) for this pool. */
    private Integer keepaliveCount;

    /** Longest time sent data may stay unacknowledged (TCP_USER_TIMEOUT) for this pool; 0 disables it. */
    private Duration userTimeout;

    public Boolean getEnabled() {
      return enabled;
    }

    public void setEnabled(Boolean enabled) {
      this.enabled = enabled;
    }

    public Duration getKeepaliveIdle() {
      return keepaliveIdle;
    }

    public void setKeepaliveIdle(Duration keepaliveIdle) {
      this.keepaliveIdle = keepaliveIdle;
    }

    public Duration getKeepaliveInterval() {
      return keepaliveInterval;
    }

    public void setKeepaliveInterval(Duration keepaliveInterval) {
      this.keepaliveInterval = keepaliveInterval;
    }

    public Integer getKeepaliveCount() {
      return keepaliveCount;
    }

    public void setKeepaliveCount(Integer keepaliveCount) {
      this.keepaliveCount = keepaliveCount;
    }

    public Duration getUserTimeout() {
      return userTimeout;
    }

    public void setUserTimeout(Duration userTimeout) {
      this.userTimeout = userTimeout;
    }
  }
}
