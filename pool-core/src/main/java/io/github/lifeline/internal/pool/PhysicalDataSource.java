package io.github.lifeline.internal.pool;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.util.DriverDataSource;
import com.zaxxer.hikari.util.PropertyElf;
import io.github.lifeline.LifelineProperty;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * The data source HikariCP gets its physical connections from once Lifeline is installed. It builds the driver's data
 * source as HikariCP would (a {@code DriverDataSource} for a JDBC URL, or the configured {@code dataSourceClassName}
 * with its bean properties, or the user's own {@code DataSource}), lazily, from the configuration as it stands when
 * the pool starts, with Lifeline's driver properties added to a copy of the user's; and it hands every new
 * connection to the pool's {@link PoolGuard} before HikariCP sees it. HikariCP's own levers used here are public:
 * {@code DriverDataSource} and {@code PropertyElf}, the classes HikariCP itself uses for the same job.
 */
public final class PhysicalDataSource implements DataSource {

  private final HikariConfig config;
  private final String dataSourceClassName;
  private final DataSource userDataSource;
  private final Properties driverProperties;
  private final PoolGuard guard;
  private DataSource delegate;

  /**
   * @param config the pool's configuration
   * @param dataSourceClassName the driver data source class taken out of the configuration, or {@code null}
   * @param userDataSource a data source the user had set on the configuration, or {@code null}
   * @param driverProperties the user's data source properties with Lifeline's added (a copy)
   * @param guard the pool's guard
   */
  PhysicalDataSource(HikariConfig config, String dataSourceClassName, DataSource userDataSource,
      Properties driverProperties, PoolGuard guard) {
    this.config = config;
    this.dataSourceClassName = dataSourceClassName;
    this.userDataSource = userDataSource;
    this.driverProperties = driverProperties;
    this.guard = guard;
    guard.source(this);
  }

  /** The pool's guard. */
  PoolGuard guard() {
    return guard;
  }

  private synchronized DataSource delegate() {
    if (delegate == null) {
      if (userDataSource != null) {
        delegate = userDataSource;
      } else if (dataSourceClassName != null) {
        try {
          delegate = (DataSource) Class.forName(dataSourceClassName, true, classLoader()).getDeclaredConstructor()
              .newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
          throw new IllegalStateException(guard.name() + " - cannot instantiate dataSourceClassName "
              + dataSourceClassName, e);
        }
        PropertyElf.setTargetFromProperties(delegate, beanProperties());
      } else {
        delegate = new DriverDataSource(config.getJdbcUrl(), config.getDriverClassName(), driverProperties,
            config.getUsername(), config.getPassword());
      }
    }
    return delegate;
  }

  /**
   * The properties for a data source's bean setters: without {@code lifeline.*} keys, which no driver data source
   * has a setter for (they travel in the driver's own carrier, e.g. pgjdbc's {@code socketFactoryArg}).
   */
  private Properties beanProperties() {
    Properties p = new Properties();
    for (String k : driverProperties.stringPropertyNames()) {
      if (!k.startsWith(LifelineProperty.PREFIX)) {
        p.setProperty(k, driverProperties.getProperty(k));
      }
    }
    driverProperties.forEach((k, v) -> {
      if (k instanceof String && !((String) k).startsWith(LifelineProperty.PREFIX) && !(v instanceof String)) {
        p.put(k, v);
      }
    });
    return p;
  }

  private static ClassLoader classLoader() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    return cl != null ? cl : PhysicalDataSource.class.getClassLoader();
  }

  @Override
  public Connection getConnection() throws SQLException {
    return guard.adopt(guard.recovery.open(() -> delegate().getConnection()));
  }

  /**
   * A new physical connection opened as HikariCP would open one now, under guard: with the running pool's user name
   * and password, if any. HikariCP reads them from the running pool at each connect and lets an application change
   * them while it runs ({@code HikariConfigMXBean.setUsername}, {@code setPassword}); the configuration this data
   * source was built from may be a copy that never sees the change. Before the guard has the pool, the
   * configuration's.
   */
  GuardedConnection openAsHikariDoes() throws SQLException {
    HikariConfig running = guard.pool();
    HikariConfig c = running != null ? running : config;
    String user = c.getUsername();
    return (GuardedConnection) (user == null ? getConnection() : getConnection(user, c.getPassword()));
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    return guard.adopt(guard.recovery.open(() -> delegate().getConnection(username, password)));
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return delegate().getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    delegate().setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    delegate().setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return delegate().getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return delegate().getParentLogger();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    return delegate().unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return iface.isInstance(this) || delegate().isWrapperFor(iface);
  }

  @Override
  public String toString() {
    return "Lifeline(" + (dataSourceClassName != null ? dataSourceClassName
        : userDataSource != null ? userDataSource : config.getJdbcUrl()) + ")";
  }
}
