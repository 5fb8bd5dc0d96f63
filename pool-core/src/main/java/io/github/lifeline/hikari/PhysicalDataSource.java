package io.github.lifeline.hikari;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.util.DriverDataSource;
import com.zaxxer.hikari.util.PropertyElf;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * The data source HikariCP gets its physical connections from once Lifeline is installed: it builds the driver's data
 * source exactly as HikariCP would (a {@code DriverDataSource} for a JDBC URL, or the configured
 * {@code dataSourceClassName} with its properties), lazily, from the configuration as it stands when the pool starts,
 * and hands every new connection to the pool's {@link PoolGuard} before HikariCP sees it.
 */
public final class PhysicalDataSource implements DataSource {

  private final HikariConfig config;
  private final String dataSourceClassName;
  private final DataSource userDataSource;
  private final PoolGuard guard;
  private DataSource delegate;

  /**
   * @param config the pool's configuration
   * @param dataSourceClassName the driver data source class taken out of the configuration, or {@code null}
   * @param userDataSource a data source the user had set on the configuration, or {@code null}
   * @param guard the pool's guard
   */
  public PhysicalDataSource(HikariConfig config, String dataSourceClassName, DataSource userDataSource,
      PoolGuard guard) {
    this.config = config;
    this.dataSourceClassName = dataSourceClassName;
    this.userDataSource = userDataSource;
    this.guard = guard;
  }

  /** The pool's guard. */
  public PoolGuard guard() {
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
          throw new IllegalStateException(guard.poolName() + " - cannot instantiate dataSourceClassName "
              + dataSourceClassName, e);
        }
        PropertyElf.setTargetFromProperties(delegate, config.getDataSourceProperties());
      } else {
        delegate = new DriverDataSource(config.getJdbcUrl(), config.getDriverClassName(),
            config.getDataSourceProperties(), config.getUsername(), config.getPassword());
      }
    }
    return delegate;
  }

  private static ClassLoader classLoader() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    return cl != null ? cl : PhysicalDataSource.class.getClassLoader();
  }

  private Connection registered(Connection c) throws SQLException {
    try {
      guard.register(c);
      return c;
    } catch (SQLException | RuntimeException e) {
      try {
        c.close();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** One attempt to open a physical connection. */
  @FunctionalInterface
  private interface Opener {
    Connection open() throws SQLException;
  }

  /**
   * Opens a connection. While the guard knows the pool's host died moments ago, a refused connection (the server is
   * restarting) is retried every {@value #RECOVERY_RETRY_MS} ms, for as long as the recovery window lasts, instead of
   * failing into HikariCP's exponential backoff (10 ms doubling to 5 s): the first connection then opens within
   * {@value #RECOVERY_RETRY_MS} ms of the server accepting again. Any other failure is thrown at once.
   */
  private Connection open(Opener opener) throws SQLException {
    while (true) {
      try {
        Connection c = registered(opener.open());
        guard.recovered();
        return c;
      } catch (SQLException e) {
        if (!guard.recovering() || !serverNotAcceptingYet(e)) {
          throw e;
        }
        try {
          Thread.sleep(RECOVERY_RETRY_MS);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private static final long RECOVERY_RETRY_MS = 20;

  /** Connection refused, or PostgreSQL's "the database system is starting up" (57P03). */
  private static boolean serverNotAcceptingYet(SQLException e) {
    if ("57P03".equals(e.getSQLState())) {
      return true;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException) {
        return true;
      }
    }
    return false;
  }

  @Override
  public Connection getConnection() throws SQLException {
    return open(() -> delegate().getConnection());
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    return open(() -> delegate().getConnection(username, password));
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
