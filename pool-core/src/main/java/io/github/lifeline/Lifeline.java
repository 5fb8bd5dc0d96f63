package io.github.lifeline;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.hikari.EvictionListener;
import io.github.lifeline.hikari.PhysicalDataSource;
import io.github.lifeline.hikari.PoolGuard;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.socket.SocketRegistry;
import io.github.lifeline.spi.DriverAdapter;
import java.net.Socket;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry points to Lifeline.
 *
 * <ul>
 *   <li>{@link #install(HikariConfig)} prepares a HikariCP configuration: it detects the driver, sets the driver
 *       properties that put Lifeline's socket factory in place, and attaches the monitor and evictor that take dead
 *       connections out of the pool;</li>
 *   <li>{@link #lookup(Connection)} answers, for any pgjdbc or Connector/J connection (or a HikariCP proxy of one),
 *       what Lifeline applied to its socket and what the kernel holds.</li>
 * </ul>
 * See also {@link LifelineDataSource}, the standalone wrapper.
 */
public final class Lifeline {

  private static final Logger LOG = LoggerFactory.getLogger(Lifeline.class);

  private Lifeline() {
  }

  /**
   * Installs Lifeline on a HikariCP configuration, with the settings found among its data source properties
   * ({@code lifeline.*} keys), or the defaults.
   *
   * @param config the configuration; pass it to {@code new HikariDataSource(config)} afterwards
   * @return the same configuration
   * @throws LifelineConfigException if no Lifeline driver module matches, or a driver property conflicts
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
   * <p>When {@code config} is itself the {@link HikariDataSource} (not started yet), Lifeline evicts dead connections
   * one by one through it. For a plain {@link HikariConfig} it has no handle on the pool that will be built from it,
   * so it turns on {@code registerMbeans} and reaches the pool through its JMX bean: a pool whose connections all died
   * is evicted at once, and a partly dead pool has its dead sockets closed, which HikariCP notices at their next borrow
   * in microseconds. {@link LifelineDataSource} always has the handle.
   *
   * @see #install(HikariConfig)
   */
  public static HikariConfig install(HikariConfig config, LifelineSettings settings, EvictionListener listener) {
    PoolGuard guard = prepare(config, settings, listener);
    if (guard != null && !(config instanceof HikariDataSource)) {
      config.setRegisterMbeans(true);
    } else if (guard != null) {
      guard.attach((HikariDataSource) config);
    }
    return config;
  }

  /** Installs Lifeline and returns the pool's guard, or {@code null} when Lifeline is disabled. */
  static PoolGuard prepare(HikariConfig config, LifelineSettings settings, EvictionListener listener) {
    if (config.getDataSource() instanceof PhysicalDataSource) {
      throw new IllegalStateException("Lifeline is already installed on pool configuration " + config.getPoolName());
    }
    DriverAdapter adapter = adapterFor(config);
    String dsClass = config.getDataSource() == null ? config.getDataSourceClassName() : null;
    Map<String, String> props = adapter.connectionProperties(settings, dsClass);
    for (Map.Entry<String, String> e : props.entrySet()) {
      Object existing = config.getDataSourceProperties().get(e.getKey());
      if (existing != null && !String.valueOf(existing).trim().equals(e.getValue())) {
        throw new LifelineConfigException(e.getKey(), "Lifeline cannot install on pool " + config.getPoolName()
            + ": data source property " + e.getKey() + " is '" + existing + "' but Lifeline needs '" + e.getValue()
            + "'");
      }
    }
    if (config.getDataSource() != null) {
      LOG.warn("{} - Lifeline: the pool uses a DataSource object; make sure it opens its sockets through "
          + "Lifeline's socket factory ({})", config.getPoolName(), props);
    } else {
      props.forEach(config::addDataSourceProperty);
    }
    if (!settings.enabled()) {
      LOG.info("{} - Lifeline is disabled (lifeline.enabled=false)", config.getPoolName());
      return null;
    }
    PoolGuard guard = new PoolGuard(config, adapter, listener, null, System::nanoTime);
    DataSource user = config.getDataSource();
    config.setDataSource(new PhysicalDataSource(config, dsClass, user, guard));
    if (dsClass != null) {
      config.setDataSourceClassName(null);
    }
    LOG.info("{} - Lifeline installed for {}: {}", config.getPoolName(), adapter.driver(), settings);
    return guard;
  }

  static DriverAdapter adapterFor(HikariConfig c) {
    String dsObject = c.getDataSource() == null ? null : c.getDataSource().getClass().getName();
    for (DriverAdapter a : Adapters.ALL) {
      if (a.acceptsUrl(c.getJdbcUrl()) || a.acceptsClassName(c.getDriverClassName())
          || a.acceptsClassName(c.getDataSourceClassName()) || a.acceptsClassName(dsObject)) {
        return a;
      }
    }
    throw new LifelineConfigException("jdbcUrl", "Lifeline has no driver module for pool " + c.getPoolName()
        + " (jdbcUrl=" + c.getJdbcUrl() + ", driverClassName=" + c.getDriverClassName() + ", dataSourceClassName="
        + c.getDataSourceClassName() + ", dataSource=" + dsObject + "); installed: " + installed());
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
    for (DriverAdapter adapter : Adapters.ALL) {
      Optional<Socket> socket = adapter.socketOf(connection);
      if (socket.isPresent()) {
        return SocketRegistry.global().find(socket.get());
      }
    }
    throw new IllegalArgumentException("No Lifeline driver module understands " + connection.getClass().getName()
        + "; installed: " + installed());
  }

  private static String installed() {
    return Adapters.ALL.isEmpty() ? "none (add lifeline-postgres or lifeline-mysql)"
        : Adapters.ALL.stream().map(DriverAdapter::driver).collect(Collectors.joining(", "));
  }

  private static final class Adapters {
    static final List<DriverAdapter> ALL = load();

    private static List<DriverAdapter> load() {
      List<DriverAdapter> list = new ArrayList<>();
      ServiceLoader.load(DriverAdapter.class, Lifeline.class.getClassLoader()).forEach(list::add);
      return List.copyOf(list);
    }
  }
}
