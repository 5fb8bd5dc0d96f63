package io.github.lifeline.testkit;

import io.github.lifeline.mysql.MySqlSocketResolver;
import io.github.lifeline.postgres.PostgresSocketResolver;
import io.github.lifeline.spi.ConnectionSocketResolver;
import io.github.lifeline.testkit.server.DatabaseServer;
import java.net.Socket;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Properties;

/** The two drivers under test, and how a user configures each: by properties only. */
public enum Driver {
  POSTGRESQL(DatabaseServer.Kind.POSTGRESQL, "io.github.lifeline.postgres.LifelineSocketFactory",
      new PostgresSocketResolver()),
  MYSQL(DatabaseServer.Kind.MARIADB, "io.github.lifeline.mysql.LifelineSocketFactory", new MySqlSocketResolver());

  private final DatabaseServer.Kind serverKind;
  private final String socketFactory;
  private final ConnectionSocketResolver resolver;

  Driver(DatabaseServer.Kind serverKind, String socketFactory, ConnectionSocketResolver resolver) {
    this.serverKind = serverKind;
    this.socketFactory = socketFactory;
    this.resolver = resolver;
  }

  /** The server kind this driver talks to. */
  public DatabaseServer.Kind serverKind() {
    return serverKind;
  }

  /** Lifeline's socket factory class name for this driver. */
  public String socketFactory() {
    return socketFactory;
  }

  /**
   * HikariCP properties for a fixed-size pool, exactly as a user would write them in a file.
   *
   * @param server the server
   * @param poolName pool name
   * @param size pool size (minimumIdle = maximumPoolSize)
   * @param lifeline Lifeline keys ({@code lifeline.keepaliveIdle} → {@code 7s}), or {@code null} for a stock pool
   */
  public Properties hikariProperties(DatabaseServer server, String poolName, int size, Map<String, String> lifeline) {
    Properties p = new Properties();
    p.setProperty("jdbcUrl", server.jdbcUrl());
    p.setProperty("poolName", poolName);
    p.setProperty("maximumPoolSize", Integer.toString(size));
    p.setProperty("minimumIdle", Integer.toString(size));
    p.setProperty("connectionTimeout", "10000");
    Properties base = server.baseProperties();
    for (String k : base.stringPropertyNames()) {
      if (k.equals("user")) {
        p.setProperty("username", base.getProperty(k));
      } else if (k.equals("password")) {
        p.setProperty("password", base.getProperty(k));
      } else {
        p.setProperty("dataSource." + k, base.getProperty(k));
      }
    }
    if (lifeline != null) {
      p.setProperty("dataSource.socketFactory", socketFactory);
      lifeline.forEach((k, v) -> p.setProperty("dataSource." + k, v));
    }
    return p;
  }

  /** The socket under a connection of this driver (or a HikariCP proxy of one). */
  public Socket socketOf(Connection c) throws SQLException {
    return resolver.socketOf(c).orElseThrow(() -> new AssertionError("Not a " + this + " connection: " + c));
  }
}
