package io.github.lifeline;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.hikari.EvictionListener;
import io.github.lifeline.hikari.PoolGuard;
import java.io.Closeable;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A HikariCP pool with Lifeline installed and in full control: it sees every borrow, so it can evict any dead
 * connection individually the moment the kernel declares it dead, and the pool refills at once.
 *
 * <pre>{@code
 * try (LifelineDataSource ds = new LifelineDataSource(hikariConfig)) {
 *   try (Connection c = ds.getConnection()) { ... }
 * }
 * }</pre>
 * Closing it closes the pool and stops the monitor: no thread, registry entry or descriptor is left behind.
 */
public final class LifelineDataSource implements DataSource, Closeable {

  private final HikariDataSource pool;
  private final PoolGuard guard;

  /** A pool from {@code config}, with the settings among its data source properties ({@code lifeline.*}). */
  public LifelineDataSource(HikariConfig config) {
    this(config, LifelineSettings.from(config.getDataSourceProperties()), EvictionListener.NONE);
  }

  /**
   * A pool from {@code config}.
   *
   * @param config the HikariCP configuration (not yet used by another pool)
   * @param settings Lifeline's settings
   * @param listener receives every eviction
   * @throws LifelineConfigException if no Lifeline driver module matches, or a driver property conflicts
   */
  public LifelineDataSource(HikariConfig config, LifelineSettings settings, EvictionListener listener) {
    this.guard = Lifeline.prepare(config, settings, listener);
    this.pool = new HikariDataSource(config);
    if (guard != null) {
      guard.attach(pool);
    }
  }

  /** The HikariCP pool underneath, for its MXBeans and metrics. */
  public HikariDataSource hikari() {
    return pool;
  }

  @Override
  public Connection getConnection() throws SQLException {
    for (int attempt = 0; ; attempt++) {
      Connection c = pool.getConnection();
      if (guard == null) {
        return c;
      }
      try {
        if (attempt <= pool.getMaximumPoolSize() && guard.isKnownDead(c)) {
          pool.evictConnection(c); // its verdict arrived while HikariCP handed it out: never give it to the caller
          continue;
        }
        guard.borrowed(c);
        return c;
      } catch (SQLException | RuntimeException e) {
        c.close();
        throw e;
      }
    }
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("HikariCP pools do not take per-call credentials");
  }

  @Override
  public void close() {
    try {
      if (guard != null) {
        guard.close(); // first: the pool's own closing of its connections is no death to report
      }
    } finally {
      pool.close();
    }
  }

  /** Whether the pool is closed. */
  public boolean isClosed() {
    return pool.isClosed();
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return pool.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    pool.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    pool.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return pool.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return pool.getParentLogger();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    return iface.isInstance(this) ? iface.cast(this) : pool.unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return iface.isInstance(this) || pool.isWrapperFor(iface);
  }

  @Override
  public String toString() {
    return "LifelineDataSource(" + pool + ")";
  }
}
