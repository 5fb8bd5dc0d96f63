package io.github.lifeline.postgres;

import io.github.lifeline.spi.ConnectionSocketResolver;
import java.lang.reflect.Field;
import java.net.Socket;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.PGStream;
import org.postgresql.core.QueryExecutor;
import org.postgresql.core.QueryExecutorBase;

/**
 * Finds the socket under a pgjdbc connection.
 *
 * <p>pgjdbc has no public accessor for it: the path is {@code BaseConnection.getQueryExecutor()}, then the protected
 * field {@code QueryExecutorBase.pgStream}, then the public {@code PGStream.getSocket()}. The field is read by
 * reflection on pgjdbc's own class (not the JDK's), which needs no JVM flag: pgjdbc is on the class path or an
 * automatic module, and both are open. Every pgjdbc 42.x release has this path (read in 42.0.0 to 42.7.13). Without
 * pgjdbc on the class path it recognises no connection; with a pgjdbc whose internals differ it says so with an
 * exception naming the pgjdbc version and the missing piece, and Lifeline leaves that pool unwatched (it still works).
 */
public final class PostgresSocketResolver implements ConnectionSocketResolver {

  /** pgjdbc's classes, resolved only when pgjdbc is there. */
  private static final class Pgjdbc {
    static final Field PG_STREAM;
    static final String UNREACHABLE;

    static {
      Field f = null;
      String why = null;
      try {
        f = QueryExecutorBase.class.getDeclaredField("pgStream");
        if (!PGStream.class.isAssignableFrom(f.getType())) {
          why = "field QueryExecutorBase.pgStream is a " + f.getType().getName() + ", not a PGStream";
          f = null;
        } else {
          f.setAccessible(true);
        }
      } catch (ReflectiveOperationException | RuntimeException e) {
        why = "no readable field QueryExecutorBase.pgStream (" + e + ")";
        f = null;
      }
      PG_STREAM = f;
      UNREACHABLE = why;
    }
  }

  private static final boolean PRESENT = present();

  private static boolean present() {
    try {
      Class.forName("org.postgresql.core.BaseConnection", false, PostgresSocketResolver.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  @Override
  public String driver() {
    return "postgresql";
  }

  @Override
  public Optional<Socket> socketOf(Connection connection) throws SQLException {
    if (!PRESENT || !connection.isWrapperFor(BaseConnection.class)) {
      return Optional.empty();
    }
    QueryExecutor executor = connection.unwrap(BaseConnection.class).getQueryExecutor();
    Field pgStream = Pgjdbc.PG_STREAM;
    if (pgStream == null) {
      throw unreachable(Pgjdbc.UNREACHABLE, null);
    }
    if (!(executor instanceof QueryExecutorBase)) {
      throw unreachable("its query executor " + executor.getClass().getName() + " does not extend QueryExecutorBase",
          null);
    }
    try {
      PGStream stream = (PGStream) pgStream.get(executor);
      return Optional.of(stream.getSocket());
    } catch (IllegalAccessException | LinkageError e) {
      throw unreachable("reading QueryExecutorBase.pgStream failed", e);
    }
  }

  private static SQLException unreachable(String why, Throwable cause) {
    return new SQLException("Lifeline cannot reach the socket of a pgjdbc " + pgjdbcVersion() + " connection: " + why
        + "; see \"Tested versions\" in Lifeline's README", cause);
  }

  /** The driver's own idea of its version, for messages. */
  static String pgjdbcVersion() {
    String v = org.postgresql.Driver.class.getPackage().getImplementationVersion();
    return v != null ? v : "(unknown version)";
  }
}
