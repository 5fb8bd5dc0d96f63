package io.github.lifeline.mysql;

import com.mysql.cj.MysqlConnection;
import com.mysql.cj.NativeSession;
import com.mysql.cj.Session;
import io.github.lifeline.spi.ConnectionSocketResolver;
import java.io.IOException;
import java.net.Socket;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Finds the socket under a Connector/J connection through its public API:
 * {@code MysqlConnection.getSession().getProtocol().getSocketConnection().getMysqlSocket()}, unchanged from Connector/J
 * 9.7.0 to 26.10.0. Without Connector/J on the class path it recognises no connection; should a later release change
 * that path, every call fails with an {@link SQLException} that names the Connector/J version.
 */
public final class MySqlSocketResolver implements ConnectionSocketResolver {

  private static final boolean PRESENT = present();

  private static boolean present() {
    try {
      Class.forName("com.mysql.cj.MysqlConnection", false, MySqlSocketResolver.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  @Override
  public String driver() {
    return "mysql";
  }

  @Override
  public Optional<Socket> socketOf(Connection connection) throws SQLException {
    if (!PRESENT || !connection.isWrapperFor(MysqlConnection.class)) {
      return Optional.empty();
    }
    try {
      return Optional.of(socketOf(connection.unwrap(MysqlConnection.class)));
    } catch (LinkageError e) {
      // A Connector/J release that changed one of the public methods below: say so, not a bare NoSuchMethodError.
      throw new SQLException("Lifeline cannot reach the socket of a Connector/J " + connectorJVersion()
          + " connection: " + e + "; see \"Tested versions\" in Lifeline's README", e);
    }
  }

  private static Socket socketOf(MysqlConnection connection) throws SQLException {
    Session session = connection.getSession();
    if (session == null || session.isClosed()) {
      throw new SQLException("Connection is closed", "08003");
    }
    if (!(session instanceof NativeSession)) {
      throw new SQLException("Lifeline supports Connector/J's classic protocol only, not " + session.getClass().getName());
    }
    try {
      return ((NativeSession) session).getProtocol().getSocketConnection().getMysqlSocket();
    } catch (IOException e) {
      throw new SQLException("Lifeline cannot reach the socket of this Connector/J connection", e);
    }
  }

  /** The driver's own idea of its version, for messages. */
  static String connectorJVersion() {
    String v = com.mysql.cj.jdbc.Driver.class.getPackage().getImplementationVersion();
    return v != null ? v : "(unknown version)";
  }
}
