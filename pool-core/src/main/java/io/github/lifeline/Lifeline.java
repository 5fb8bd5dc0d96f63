package io.github.lifeline;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.internal.pool.Installer;
import io.github.lifeline.internal.pool.PoolGuard;
import io.github.lifeline.internal.pool.Pools;
import io.github.lifeline.internal.socket.SocketRegistry;
import io.github.lifeline.socket.SocketCapabilities;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.spi.DriverAdapter;
import java.net.Socket;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Entry points to Lifeline.
 *
 * <ul>
 *   <li>{@link #install(HikariConfig)} returns a copy of a HikariCP configuration with Lifeline installed: the driver
 *       properties that put Lifeline's socket factory in place, and the monitor and evictor that take dead
 *       connections out of the pool built from it. {@link #install(HikariDataSource)} does the same to a pool that has
 *       not started yet.</li>
 *   <li>{@link #lookup(Connection)} answers, for any pgjdbc or Connector/J connection (or a HikariCP proxy of one),
 *       what Lifeline applied to its socket and what the kernel holds.</li>
 *   <li>{@link #pools()} lists the pools under Lifeline, for metrics and health checks.</li>
 * </ul>
 * See also {@link LifelineDataSource}, the standalone wrapper that also checks every borrow.
 */
public final class Lifeline {

  private Lifeline() {
  }

  /**
   * Installs Lifeline on a copy of a HikariCP configuration, with the settings found among its data source
   * properties ({@code lifeline.*} keys), or the defaults. {@code config} itself is not changed, so it can be used
   * again; build the pool from the returned copy: {@code new HikariDataSource(Lifeline.install(config))}. Each copy
   * serves one pool.
   *
   * @param config the configuration, complete (later changes to it do not reach the copy)
   * @return the copy to build the pool from; {@code config} itself when {@code lifeline.enabled=false}
   * @throws LifelineConfigException if no Lifeline driver module matches, a setting is invalid, or a data source
   *     property contradicts Lifeline (the message names it)
   * @throws IllegalStateException if Lifeline is already installed on it
   */
  public static HikariConfig install(HikariConfig config) {
    return install(config, LifelineSettings.from(config.getDataSourceProperties()), EvictionListener.NONE);
  }

  /**
   * Installs Lifeline with explicit settings.
   *
   * @see #install(HikariConfig)
   */
  public static HikariConfig install(HikariConfig config, LifelineSettings settings) {
    return install(config, settings, EvictionListener.NONE);
  }

  /**
   * Installs Lifeline with explicit settings and an eviction listener.
   *
   * @see #install(HikariConfig)
   */
  public static HikariConfig install(HikariConfig config, LifelineSettings settings, EvictionListener listener) {
    return Installer.install(config, settings, listener);
  }

  /**
   * Installs Lifeline on a pool that has not started yet (made with {@code new HikariDataSource()} and setters, as
   * Spring Boot does), with the settings among its data source properties. The pool's data source becomes Lifeline's,
   * which opens the driver's connections with Lifeline's socket factory; this is logged once.
   *
   * @param pool the pool, before its first {@code getConnection()}
   * @return the same pool
   * @throws IllegalStateException if the pool has started, or Lifeline is already installed on it
   * @throws LifelineConfigException as {@link #install(HikariConfig)}
   */
  public static HikariDataSource install(HikariDataSource pool) {
    return install(pool, LifelineSettings.from(pool.getDataSourceProperties()), EvictionListener.NONE);
  }

  /**
   * Installs Lifeline on a pool that has not started yet, with explicit settings and an eviction listener.
   *
   * @see #install(HikariDataSource)
   */
  public static HikariDataSource install(HikariDataSource pool, LifelineSettings settings,
      EvictionListener listener) {
    Installer.install(pool, settings, listener);
    return pool;
  }

  /**
   * The registry record of the socket under a JDBC connection.
   *
   * @param connection a driver connection or a wrapper of one (HikariCP proxies unwrap)
   * @return the record, or empty when the socket was not opened through a Lifeline socket factory
   * @throws SQLException if the connection is closed or its driver's socket cannot be reached
   * @throws IllegalArgumentException if no installed Lifeline driver module understands the connection
   */
  public static Optional<SocketRecord> lookup(Connection connection) throws SQLException {
    if (connection.isClosed()) {
      throw new SQLException("Connection is closed: " + connection);
    }
    for (DriverAdapter adapter : Installer.adapters()) {
      Optional<Socket> socket = adapter.socketOf(connection);
      if (socket.isPresent()) {
        return SocketRegistry.global().find(socket.get()).map(r -> r);
      }
    }
    throw new IllegalArgumentException("No Lifeline driver module understands " + connection.getClass().getName()
        + "; installed: " + Installer.installed());
  }

  /** The pools under Lifeline in this JVM (started or not yet started), in no particular order. */
  public static List<LifelinePool> pools() {
    return new ArrayList<>(Pools.live());
  }

  /** The Lifeline view of a pool, if Lifeline is installed on it. */
  public static Optional<LifelinePool> pool(HikariDataSource pool) {
    for (PoolGuard g : Pools.live()) {
      if (g.pool() == pool) {
        return Optional.of(g);
      }
    }
    return Installer.guardOf(pool).map(g -> g);
  }

  /** What this JVM can do for Lifeline here (probed and logged once). */
  public static SocketCapabilities capabilities() {
    return SocketCapabilities.current();
  }
}
