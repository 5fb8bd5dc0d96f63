package io.github.lifeline.lint;

import com.zaxxer.hikari.HikariConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * The HikariCP settings that decide how a pool meets a dead or hung peer, as the user configured them (before
 * HikariCP's own validation at start, which silently changes some of them; the lint reports those).
 *
 * @param poolName the pool's name, for the report
 * @param connectionTimeout how long a borrower waits for a connection
 * @param validationTimeout how long a liveness check of an idle connection may take
 * @param maxLifetime the longest a connection lives; zero is infinite
 * @param keepaliveTime how often HikariCP pings an idle connection; zero is off (HikariCP 6.2.1+: 2 min by default)
 * @param aliveBypassWindow how recently a connection must have been used to be handed out without a liveness check
 *     ({@code com.zaxxer.hikari.aliveBypassWindowMs}, 500 ms by default)
 */
public record PoolSettings(String poolName, Duration connectionTimeout, Duration validationTimeout,
    Duration maxLifetime, Duration keepaliveTime, Duration aliveBypassWindow) {

  /** HikariCP's default {@code aliveBypassWindowMs}. */
  public static final Duration DEFAULT_ALIVE_BYPASS_WINDOW = Duration.ofMillis(500);
  /** HikariCP turns a {@code keepaliveTime} below this off (with one WARN line at start). */
  public static final Duration MIN_KEEPALIVE_TIME = Duration.ofSeconds(30);

  /** Checks that no component is null. */
  public PoolSettings {
    Objects.requireNonNull(poolName, "poolName");
    Objects.requireNonNull(connectionTimeout, "connectionTimeout");
    Objects.requireNonNull(validationTimeout, "validationTimeout");
    Objects.requireNonNull(maxLifetime, "maxLifetime");
    Objects.requireNonNull(keepaliveTime, "keepaliveTime");
    Objects.requireNonNull(aliveBypassWindow, "aliveBypassWindow");
  }

  /**
   * The settings of a configuration that has not started a pool yet (a started pool's configuration already carries
   * HikariCP's corrections). The alive-bypass window is the JVM-wide system property, read now.
   *
   * @param config the configuration
   * @return its settings
   */
  public static PoolSettings of(HikariConfig config) {
    return new PoolSettings(String.valueOf(config.getPoolName()), Duration.ofMillis(config.getConnectionTimeout()),
        Duration.ofMillis(config.getValidationTimeout()), Duration.ofMillis(config.getMaxLifetime()),
        Duration.ofMillis(config.getKeepaliveTime()),
        Duration.ofMillis(Long.getLong("com.zaxxer.hikari.aliveBypassWindowMs", 500)));
  }

  /**
   * The keepalive time HikariCP really runs with: zero when the configured one is below 30 s, or at or above a finite
   * {@code maxLifetime} (HikariCP's {@code validateNumerics}).
   */
  public Duration effectiveKeepaliveTime() {
    if (keepaliveTime.isZero() || keepaliveTime.compareTo(MIN_KEEPALIVE_TIME) < 0
        || (!maxLifetime.isZero() && keepaliveTime.compareTo(maxLifetime) >= 0)) {
      return Duration.ZERO;
    }
    return keepaliveTime;
  }
}
