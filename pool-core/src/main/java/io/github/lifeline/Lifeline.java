package io.github.lifeline;

import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.socket.SocketRegistry;
import io.github.lifeline.spi.ConnectionSocketResolver;
import java.net.Socket;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Entry points to Lifeline.
 *
 * <p>{@link #lookup(Connection)} answers, for any pgjdbc or Connector/J connection (or a HikariCP proxy of one), what
 * Lifeline applied to its socket and what the kernel holds.
 */
public final class Lifeline {

  private Lifeline() {
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
    for (ConnectionSocketResolver resolver : Resolvers.ALL) {
      Optional<Socket> socket = resolver.socketOf(connection);
      if (socket.isPresent()) {
        return SocketRegistry.global().find(socket.get());
      }
    }
    throw new IllegalArgumentException("No Lifeline driver module understands " + connection.getClass().getName()
        + "; installed: " + (Resolvers.ALL.isEmpty() ? "none (add lifeline-postgres or lifeline-mysql)"
            : Resolvers.ALL.stream().map(ConnectionSocketResolver::driver).collect(Collectors.joining(", "))));
  }

  private static final class Resolvers {
    static final List<ConnectionSocketResolver> ALL = load();

    private static List<ConnectionSocketResolver> load() {
      List<ConnectionSocketResolver> list = new ArrayList<>();
      ServiceLoader.load(ConnectionSocketResolver.class, Lifeline.class.getClassLoader()).forEach(list::add);
      return List.copyOf(list);
    }
  }
}
