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
 * automatic module, and both are open.
 */
public final class PostgresSocketResolver implements ConnectionSocketResolver {

  private static final Field PG_STREAM = pgStreamField();

  private static Field pgStreamField() {
    try {
      Field f = QueryExecutorBase.class.getDeclaredField("pgStream");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  @Override
  public String driver() {
    return "postgresql";
  }

  @Override
  public Optional<Socket> socketOf(Connection connection) throws SQLException {
    if (!connection.isWrapperFor(BaseConnection.class)) {
      return Optional.empty();
    }
    QueryExecutor executor = connection.unwrap(BaseConnection.class).getQueryExecutor();
    if (PG_STREAM == null || !(executor instanceof QueryExecutorBase)) {
      throw new SQLException("Lifeline cannot reach the socket of this pgjdbc version's " + executor.getClass().getName()
          + " (expected a field QueryExecutorBase.pgStream)");
    }
    try {
      PGStream stream = (PGStream) PG_STREAM.get(executor);
      return Optional.of(stream.getSocket());
    } catch (IllegalAccessException e) {
      throw new SQLException("Lifeline cannot read QueryExecutorBase.pgStream", e);
    }
  }
}
