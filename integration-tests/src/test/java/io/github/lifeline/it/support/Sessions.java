package io.github.lifeline.it.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.server.DatabaseServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

/** Server sessions ended from an admin session of their own, as an operator or a server timeout ends one. */
public final class Sessions {

  private Sessions() {
  }

  /**
   * Ends the server session of the connection with this client port ({@code pg_terminate_backend}, MariaDB's
   * {@code KILL}): its backend dies alone.
   */
  public static void terminate(Driver driver, DatabaseServer server, int clientPort) throws Exception {
    try (Connection admin = admin(server)) {
      terminate(driver, admin, clientPort);
    }
  }

  /** A plain connection to {@code server} (no pool, no Lifeline) for {@link #terminate(Driver, Connection, int)}. */
  public static Connection admin(DatabaseServer server) throws Exception {
    return DriverManager.getConnection(server.jdbcUrl(), server.baseProperties());
  }

  /** Ends the session of client port {@code clientPort} through {@code admin}, without a connect first. */
  public static void terminate(Driver driver, Connection admin, int clientPort) throws Exception {
    try (Statement st = admin.createStatement()) {
      if (driver == Driver.POSTGRESQL) {
        try (ResultSet rs = st.executeQuery("select pg_terminate_backend(pid) from pg_stat_activity where "
            + "client_port = " + clientPort)) {
          assertThat(rs.next()).as("a backend for client port %d", clientPort).isTrue();
          assertThat(rs.getBoolean(1)).isTrue();
        }
      } else {
        long id;
        try (ResultSet rs = st.executeQuery("select id from information_schema.processlist where host like '%:"
            + clientPort + "'")) {
          assertThat(rs.next()).as("a session for client port %d", clientPort).isTrue();
          id = rs.getLong(1);
        }
        st.execute("kill " + id);
      }
    }
  }
}
