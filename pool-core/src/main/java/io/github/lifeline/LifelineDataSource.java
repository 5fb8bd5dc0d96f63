package io.github.lifeline;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.internal.pool.Installer;
import io.github.lifeline.internal.pool.PoolGuard;
import java.io.Closeable;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A HikariCP pool with Lifeline installed and in full control: it sees every borrow, so besides what
 * {@link Lifeline#install(HikariConfig)} gives, a connection whose death the kernel reported while HikariCP was lending
 * it is never handed out, a borrow made while the server is shutting down waits for a fresh connection instead of
 * taking an old one, and every dead connection it ever lent is evicted individually the moment the kernel declares
 * it dead.
 *
 * <pre>{@code
 * try (LifelineDataSource ds = new LifelineDataSource(hikariConfig)) {
 *   try (Connection c = ds.getConnection()) { ... }
 * }
 * }</pre>
 * Closing it closes the pool: no thread, registry entry or descriptor of it is left behind.
 */
public final class LifelineDataSource extends DataSourceLines.PadAfter implements DataSource, Closeable {

  private final PoolGuard guard;

  /** A pool from {@code config}, with the settings among its data source properties ({@code lifeline.*}). */
  public LifelineDataSource(HikariConfig config) {
    this(config, LifelineSettings.from(config.getDataSourceProperties()), EvictionListener.NONE);
  }

  /**
   * A pool from {@code config}; {@code config} itself is not changed.
   *
   * @param config the HikariCP configuration
   * @param settings Lifeline's settings
   * @param listener receives every eviction
   * @throws LifelineConfigException if no Lifeline driver module matches, or a driver property conflicts
   */
  public LifelineDataSource(HikariConfig config, LifelineSettings settings, EvictionListener listener) {
    this(Installed.of(config, settings, listener));
  }

  private LifelineDataSource(Installed installed) {
    super(installed.pool, installed.guard == null ? null : installed.guard.gate());
    this.guard = installed.guard;
  }

  /** The pool and its guard, built before the fields are set. */
  private record Installed(HikariDataSource pool, PoolGuard guard) {
    static Installed of(HikariConfig config, LifelineSettings settings, EvictionListener listener) {
      HikariConfig installed = Lifeline.install(config, settings, listener);
      PoolGuard guard = Installer.guardOf(installed).orElse(null);
      return new Installed(new HikariDataSource(installed), guard);
    }
  }

  /** The HikariCP pool underneath, for its MXBeans and metrics. */
  public HikariDataSource hikari() {
    return pool;
  }

  /**
   * Lifeline's view of this pool: its sockets, what is watched, what was evicted.
   *
   * @throws IllegalStateException when Lifeline is disabled ({@code lifeline.enabled=false})
   */
  public LifelinePool pool() {
    if (guard == null) {
      throw new IllegalStateException("Lifeline is disabled on pool " + pool.getPoolName());
    }
    return guard;
  }

  @Override
  public Connection getConnection() throws SQLException {
    Connection c = pool.getConnection();
    return gate == null ? c : gate.check(pool, c); // reads only the padded fields (DataSourceLines)
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("HikariCP pools do not take per-call credentials");
  }

  @Override
  public void close() {
    try {
      pool.close();
    } finally {
      if (guard != null) {
        guard.close();
      }
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
