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
 * {@code MysqlConnection.getSession().getProtocol().getSocketConnection().getMysqlSocket()}.
 */
public final class MySqlSocketResolver implements ConnectionSocketResolver {

  @Override
  public String driver() {
    return "mysql";
  }

  @Override
  public Optional<Socket> socketOf(Connection connection) throws SQLException {
    if (!connection.isWrapperFor(MysqlConnection.class)) {
      return Optional.empty();
    }
    Session session = connection.unwrap(MysqlConnection.class).getSession();
    if (session == null || session.isClosed()) {
      throw new SQLException("Connection is closed", "08003");
    }
    if (!(session instanceof NativeSession)) {
      throw new SQLException("Lifeline supports Connector/J's classic protocol only, not " + session.getClass().getName());
    }
    try {
      return Optional.of(((NativeSession) session).getProtocol().getSocketConnection().getMysqlSocket());
    } catch (IOException e) {
      throw new SQLException("Lifeline cannot reach the socket of this Connector/J connection", e);
    }
  }
}
