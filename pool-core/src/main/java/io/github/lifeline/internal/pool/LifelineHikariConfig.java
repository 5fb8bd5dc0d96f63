package io.github.lifeline.internal.pool;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * The configuration {@code Lifeline.install(HikariConfig)} returns: a copy of the user's, with Lifeline's data source
 * in place. {@code new HikariDataSource(config)} hands itself to {@link #copyStateTo} (public HikariCP API, called by
 * that constructor before the pool starts), which is how the guard gets its own pool, and only that one: no JMX, no
 * lookup by name.
 */
final class LifelineHikariConfig extends HikariConfig {

  private transient volatile PoolGuard guard;

  LifelineHikariConfig(HikariConfig user) {
    user.copyStateTo(this);
  }

  PoolGuard guard() {
    return guard;
  }

  void guard(PoolGuard g) {
    this.guard = g;
  }

  @Override
  public void copyStateTo(HikariConfig other) {
    super.copyStateTo(other);
    PoolGuard g = guard;
    if (other instanceof HikariDataSource && g != null) {
      g.attach((HikariDataSource) other);
    }
  }
}
