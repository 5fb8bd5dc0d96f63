package io.github.lifeline;

import io.github.lifeline.socket.SocketRecord;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A read-only view of one pool under Lifeline: its sockets, what the monitor watches, and what was evicted. For
 * metrics, health checks and diagnostics; see {@link Lifeline#pools()} and {@link LifelineDataSource#pool()}.
 */
public interface LifelinePool {

  /** The pool's name, as HikariCP knows it. */
  String name();

  /**
   * Borrows a connection from the pool through Lifeline's borrow check, as {@link LifelineDataSource#getConnection()}
   * does: a connection Lifeline found dead or condemned is evicted and another one borrowed, a borrow made while the
   * server is shutting down waits for a fresh connection, and when no trustworthy connection comes within the pool's
   * {@code connectionTimeout} the borrow fails with {@link java.sql.SQLTransientConnectionException}. For code that
   * must keep handing out its own {@code HikariDataSource} (Lifeline's Spring Boot integration calls this from a proxy
   * of the pool bean); {@code HikariDataSource.getConnection()} itself does not check.
   *
   * @return a connection (a HikariCP proxy); close it to return it
   * @throws SQLException as {@code HikariDataSource.getConnection()}
   * @throws IllegalStateException if the pool this view belongs to has not been built yet
   */
  Connection getConnection() throws SQLException;

  /** The settings every socket of the pool is tuned with. */
  LifelineSettings settings();

  /** The sockets of the pool's physical connections that are open now. */
  List<SocketRecord> sockets();

  /** How many of the pool's sockets the monitor watches now. */
  int watchedCount();

  /** How many of the pool's open sockets hold an option with another value than requested (read at connect). */
  int mismatchedCount();

  /** How many connections Lifeline took out of the pool, or condemned, by reason, since the pool started. */
  Map<EvictionReason, Long> evictionCounts();

  /**
   * Why detection does not run for some of the pool's connections (no native access, the kernel refused an epoll
   * instance, a driver whose socket cannot be reached, ...); empty while it runs for all. Those connections work as
   * without Lifeline's monitor.
   */
  Optional<String> monitoringProblem();
}
