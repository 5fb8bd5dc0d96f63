package io.github.lifeline.internal.pool;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.EvictionListener;
import io.github.lifeline.LifelineConfigException;
import io.github.lifeline.LifelineProperty;
import io.github.lifeline.LifelineSettings;
import io.github.lifeline.internal.monitor.SocketMonitor;
import io.github.lifeline.spi.DriverAdapter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What {@code Lifeline.install} does; the facade is {@link io.github.lifeline.Lifeline}. */
public final class Installer {

  private static final Logger LOG = LoggerFactory.getLogger(Installer.class);

  private Installer() {
  }

  /**
   * A copy of {@code config} with Lifeline installed; {@code config} itself is not changed.
   *
   * @return the copy, or {@code config} itself when Lifeline is disabled
   */
  public static HikariConfig install(HikariConfig config, LifelineSettings settings, EvictionListener listener) {
    if (config instanceof HikariDataSource) {
      install((HikariDataSource) config, settings, listener);
      return config;
    }
    if (config instanceof LifelineHikariConfig || config.getDataSource() instanceof PhysicalDataSource) {
      throw new IllegalStateException("Lifeline is already installed on this configuration (pool "
          + config.getPoolName() + ")");
    }
    DriverAdapter adapter = adapterFor(config);
    String dsClass = config.getDataSource() == null ? config.getDataSourceClassName() : null;
    Properties driverProps = driverProperties(config, adapter, settings, dsClass);
    if (!settings.enabled()) {
      LOG.info("{} - Lifeline is disabled (lifeline.enabled=false); the configuration is returned unchanged",
          config.getPoolName());
      return config;
    }
    LifelineHikariConfig copy = new LifelineHikariConfig(config);
    PoolGuard guard = new PoolGuard(copy, adapter, settings, listener, SocketMonitor.get());
    copy.guard(guard);
    copy.setDataSource(new PhysicalDataSource(copy, dsClass, config.getDataSource(), driverProps, guard));
    if (dsClass != null) {
      copy.setDataSourceClassName(null);
    }
    LOG.info("{} - Lifeline installed for {}: {}. HikariCP opens connections through Lifeline's data source, with "
        + "driver properties {}; the configuration passed in is unchanged.", config.getPoolName(), adapter.driver(),
        settings, summary(adapter, settings, dsClass));
    return copy;
  }

  /** Installs Lifeline on a HikariDataSource that has not started yet. */
  public static void install(HikariDataSource ds, LifelineSettings settings, EvictionListener listener) {
    if (ds.getDataSource() instanceof PhysicalDataSource) {
      throw new IllegalStateException("Lifeline is already installed on pool " + ds.getPoolName());
    }
    if (ds.getHikariPoolMXBean() != null || ds.isClosed()) {
      throw new IllegalStateException("Pool " + ds.getPoolName() + " has already started: Lifeline must be installed "
          + "before its first getConnection(), so that its sockets are opened through Lifeline's socket factory");
    }
    DriverAdapter adapter = adapterFor(ds);
    String dsClass = ds.getDataSource() == null ? ds.getDataSourceClassName() : null;
    Properties driverProps = driverProperties(ds, adapter, settings, dsClass);
    if (!settings.enabled()) {
      LOG.info("{} - Lifeline is disabled (lifeline.enabled=false)", ds.getPoolName());
      return;
    }
    PoolGuard guard = new PoolGuard(ds, adapter, settings, listener, SocketMonitor.get());
    guard.attach(ds);
    DataSource user = ds.getDataSource();
    ds.setDataSource(new PhysicalDataSource(ds, dsClass, user, driverProps, guard));
    if (dsClass != null) {
      ds.setDataSourceClassName(null);
    }
    LOG.info("{} - Lifeline installed for {}: {}. Changed on this pool: its data source is now Lifeline's{}, which "
        + "opens connections with driver properties {}.", ds.getPoolName(), adapter.driver(), settings,
        dsClass != null ? " (dataSourceClassName " + dsClass + " moved into it)" : user != null
            ? " (wrapping the data source object you set)" : "", summary(adapter, settings, dsClass));
  }

  /** The guard of a pool or configuration Lifeline was installed on. */
  public static Optional<PoolGuard> guardOf(HikariConfig config) {
    if (config instanceof LifelineHikariConfig) {
      return Optional.ofNullable(((LifelineHikariConfig) config).guard());
    }
    return config.getDataSource() instanceof PhysicalDataSource
        ? Optional.of(((PhysicalDataSource) config.getDataSource()).guard()) : Optional.empty();
  }

  private static Map<String, String> summary(DriverAdapter adapter, LifelineSettings settings, String dsClass) {
    return adapter.connectionProperties(settings, dsClass);
  }

  /**
   * The driver properties the physical connections are opened with: the user's, plus Lifeline's. A property the user
   * set to something else is never overridden: it is an error naming it.
   */
  static Properties driverProperties(HikariConfig config, DriverAdapter adapter, LifelineSettings settings,
      String dsClass) {
    Properties user = config.getDataSourceProperties();
    Map<String, String> ours = adapter.connectionProperties(settings, dsClass);
    for (Map.Entry<String, String> e : adapter.incompatibleProperties().entrySet()) {
      Object v = user.get(e.getKey());
      if (v != null && String.valueOf(v).trim().equalsIgnoreCase(e.getValue())) {
        throw conflict(config, e.getKey(), v, "it turns off what Lifeline is for");
      }
    }
    for (Map.Entry<String, String> e : ours.entrySet()) {
      Object existing = user.get(e.getKey());
      if (existing != null && !String.valueOf(existing).trim().equals(e.getValue())) {
        throw conflict(config, e.getKey(), existing, "Lifeline needs '" + e.getValue() + "'");
      }
    }
    if (config.getDataSource() != null) {
      LOG.warn("{} - Lifeline: the pool uses a DataSource object ({}); make sure it opens its sockets through "
          + "Lifeline's socket factory ({}), or Lifeline cannot watch them", config.getPoolName(),
          config.getDataSource().getClass().getName(), ours);
    }
    Properties merged = new Properties();
    user.forEach(merged::put);
    ours.forEach(merged::setProperty);
    return merged;
  }

  private static LifelineConfigException conflict(HikariConfig config, String key, Object value, String why) {
    return new LifelineConfigException(key, "Lifeline cannot install on pool " + config.getPoolName()
        + ": data source property " + key + " is '" + value + "' but " + why);
  }

  /** The driver module for a configuration. */
  public static DriverAdapter adapterFor(HikariConfig c) {
    String dsObject = c.getDataSource() == null ? null : c.getDataSource().getClass().getName();
    for (DriverAdapter a : adapters()) {
      if (a.acceptsUrl(c.getJdbcUrl()) || a.acceptsClassName(c.getDriverClassName())
          || a.acceptsClassName(c.getDataSourceClassName()) || a.acceptsClassName(dsObject)) {
        return a;
      }
    }
    throw new LifelineConfigException("jdbcUrl", "Lifeline has no driver module for pool " + c.getPoolName()
        + " (jdbcUrl=" + c.getJdbcUrl() + ", driverClassName=" + c.getDriverClassName() + ", dataSourceClassName="
        + c.getDataSourceClassName() + ", dataSource=" + dsObject + "); installed: " + installed());
  }

  /** The installed driver modules, as a sentence. */
  public static String installed() {
    List<DriverAdapter> all = adapters();
    return all.isEmpty() ? "none (add lifeline-postgres or lifeline-mysql)"
        : all.stream().map(DriverAdapter::driver).collect(Collectors.joining(", "));
  }

  /** The driver modules on the class path; one that cannot load is skipped (logged at debug). */
  public static List<DriverAdapter> adapters() {
    return Adapters.ALL;
  }

  private static final class Adapters {
    static final List<DriverAdapter> ALL = load();

    private static List<DriverAdapter> load() {
      List<DriverAdapter> list = new ArrayList<>();
      var it = ServiceLoader.load(DriverAdapter.class, Installer.class.getClassLoader()).iterator();
      while (true) {
        try {
          if (!it.hasNext()) {
            break;
          }
          list.add(it.next());
        } catch (ServiceConfigurationError | LinkageError e) {
          LOG.debug("Lifeline: a driver module cannot be loaded: {}", e.toString());
        }
      }
      return List.copyOf(list);
    }
  }

  static boolean isLifelineKey(String key) {
    return key.startsWith(LifelineProperty.PREFIX);
  }
}
