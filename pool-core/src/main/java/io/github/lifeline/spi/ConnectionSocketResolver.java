package io.github.lifeline.spi;

import java.net.Socket;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Finds the TCP socket under a JDBC connection of one driver. Driver modules provide one each, registered through
 * {@link java.util.ServiceLoader} ({@code META-INF/services/io.github.lifeline.spi.ConnectionSocketResolver}).
 *
 * <p>Implementations must accept wrappers that implement {@link java.sql.Wrapper} faithfully (HikariCP's proxies do),
 * and answer empty, never throw, for a connection of another driver, and also when their driver is not on the class
 * path at all.
 */
public interface ConnectionSocketResolver {

  /** A short driver name, for example {@code postgresql}. */
  String driver();

  /**
   * The socket the connection talks through (possibly an {@code SSLSocket} layered on the tuned one).
   *
   * @param connection a connection of any driver, or a wrapper of one
   * @return the socket, or empty if the connection is not of this resolver's driver
   * @throws SQLException if the connection is of this driver but its socket cannot be reached
   */
  Optional<Socket> socketOf(Connection connection) throws SQLException;
}
