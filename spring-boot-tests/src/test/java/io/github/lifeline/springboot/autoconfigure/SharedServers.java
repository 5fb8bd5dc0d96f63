package io.github.lifeline.springboot.autoconfigure;

import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.MariaDbServer;
import io.github.lifeline.testkit.server.PostgresServer;

/**
 * One PostgreSQL and one MariaDB server for every test class of the JVM that does not inject faults, started on first
 * use and closed when the JVM exits (the testkit also kills its servers from a shutdown hook). Fault tests start their
 * own.
 */
final class SharedServers {

  private static DatabaseServer postgres;
  private static DatabaseServer mariadb;

  private SharedServers() {
  }

  static synchronized DatabaseServer postgres() {
    if (postgres == null) {
      postgres = PostgresServer.start();
      DatabaseServer s = postgres;
      Runtime.getRuntime().addShutdownHook(new Thread(s::close, "close-shared-postgres"));
    }
    return postgres;
  }

  static synchronized DatabaseServer mariadb() {
    if (mariadb == null) {
      mariadb = MariaDbServer.start();
      DatabaseServer s = mariadb;
      Runtime.getRuntime().addShutdownHook(new Thread(s::close, "close-shared-mariadb"));
    }
    return mariadb;
  }
}
