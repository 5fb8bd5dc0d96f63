package io.github.lifeline.internal.pool;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Borrow bookkeeping, the one place that looks at a connection between HikariCP's borrow and the caller (what
 * {@code LifelineDataSource.getConnection()} does), and between the caller's close and HikariCP's bag
 * ({@link #returning}, every pool).
 *
 * <p>The fast path is two volatile reads on the connection itself (no map, no lock, no scan): is it alive, and is its
 * server not in doubt. A connection Lifeline found dead or condemned is evicted and another one borrowed; a
 * connection made before a close of its server that Lifeline has not judged yet (the settle window, at most
 * {@value DeathPolicy#SETTLE_MILLIS} ms) is held until it is judged: a server shutting down closes all of its
 * connections within milliseconds, and the borrower then waits for a fresh connection instead of taking an old one.
 * After {@code maximumPoolSize + 1} refused connections, or the pool's connection timeout, the borrow fails with
 * {@link SQLTransientConnectionException}: a dead connection is never handed out.
 */
final class BorrowGate {

  private static final long PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BorrowGate.class);

  private final PoolGuard guard;

  /** The gate of a guarded pool. */
  BorrowGate(PoolGuard guard) {
    this.guard = guard;
  }

  /** Borrows a live connection from the pool. */
  Connection borrow(HikariDataSource pool) throws SQLException {
    return check(pool, pool.getConnection());
  }

  /** Checks a connection just borrowed from the pool: it, or another live one instead. */
  Connection check(HikariDataSource pool, Connection c) throws SQLException {
    GuardedConnection g = guarded(c);
    if (g == null) {
      return c;
    }
    g.lent(c);
    if (g.lendable()) {
      return c;
    }
    return refuse(pool, c, g, System.nanoTime());
  }

  private static GuardedConnection guarded(Connection proxy) {
    try {
      return proxy.unwrap(GuardedConnection.class); // HikariCP's proxy: its delegate, one instanceof
    } catch (SQLException e) {
      return null;
    }
  }

  private Connection refuse(HikariDataSource pool, Connection c, GuardedConnection g, long start)
      throws SQLException {
    long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(pool.getConnectionTimeout());
    int refused = 0;
    while (true) {
      awaitJudgement(g, start + timeoutNanos);
      if (g.lendable()) {
        if (LOG.isDebugEnabled()) {
          LOG.debug("{} - lends {} after waiting {} µs (state {}, epoch {}/{})", guard.name(), g.socket == null ? "?"
              : g.socket.local(), (System.nanoTime() - start) / 1000, g.state, g.hostEpoch,
              g.host == null ? -1 : g.host.epoch());
        }
        return c;
      }
      if (LOG.isDebugEnabled()) {
        LOG.debug("{} - refuses {} (state {}, epoch {}/{})", guard.name(), g.socket == null ? "?" : g.socket.local(),
            g.state, g.hostEpoch, g.host == null ? -1 : g.host.epoch());
      }
      guard.levers.evictBorrowed(c); // its verdict came while HikariCP was lending it: never give it out
      refused++;
      long elapsed = System.nanoTime() - start;
      if (refused > pool.getMaximumPoolSize() || elapsed - timeoutNanos > 0) {
        throw new SQLTransientConnectionException(guard.name() + " - Connection is not available: Lifeline refused "
            + refused + " dead connection(s) in " + TimeUnit.NANOSECONDS.toMillis(elapsed) + " ms and found no live "
            + "one", "08001");
      }
      c = pool.getConnection();
      g = guarded(c);
      if (g == null) {
        return c;
      }
      g.lent(c);
    }
  }

  /**
   * A connection on its way back into the pool: HikariCP's {@code close()} calls {@code clearWarnings()} on it just
   * before it gives the entry back to its bag (HikariCP 6.3 and 7.1). One made before an open settle window of its
   * server waits here until the server is judged, as a borrower of it waits in {@link #check}: a connection that was
   * in use when the window opened is not among those the hold took (idle ones only), and without this wait it would
   * be lent again unjudged, to a borrower that no check sees ({@code Lifeline.install}), or to the same thread at once
   * (HikariCP lends a thread the connection it returned last). The wait ends with the host event (the connection is
   * condemned, and HikariCP drops its entry instead of lending it), or when the window ends quietly (one backend died
   * alone), at most {@value DeathPolicy#SETTLE_MILLIS} ms after it opened; never later than {@link #RETURN_LIMIT_NANOS}.
   * Otherwise (the hot path) it costs the borrow check's reads.
   */
  static void returning(GuardedConnection g) {
    if (g.lendable()) {
      return; // the hot path: the borrow check's reads
    }
    HostState h = g.host;
    if (h != null && g.state == GuardedConnection.ALIVE && h.settlingSince(g.hostWindow)) {
      long start = System.nanoTime();
      awaitJudgement(g, start + RETURN_LIMIT_NANOS);
      if (LOG.isDebugEnabled()) {
        LOG.debug("{} - takes back {} after waiting {} µs for its server's judgement (state {}, epoch {}/{})",
            g.guard.name(), g.socket == null ? "?" : g.socket.local(), (System.nanoTime() - start) / 1000, g.state,
            g.hostEpoch, h.epoch());
      }
    }
    int state = g.state;
    if (state == GuardedConnection.DEAD || state == GuardedConnection.CONDEMNED
        || (h != null && h.epoch() != g.hostEpoch)) {
      // Judged dead or condemned while in use: HikariCP must have its entry marked before the entry is back in the
      // bag, or the next borrower (this thread first) could receive it before the monitor thread's eviction comes.
      g.guard.levers.markEvicted(g);
    }
  }

  /** The longest a returning connection waits: twice a settle window, should the window's end come late. */
  static final long RETURN_LIMIT_NANOS = TimeUnit.MILLISECONDS.toNanos(2 * DeathPolicy.SETTLE_MILLIS);

  /** Holds a connection whose server is in doubt until Lifeline has judged it (or the deadline passes). */
  private static void awaitJudgement(GuardedConnection g, long deadline) {
    HostState h = g.host;
    while (h != null && g.state == GuardedConnection.ALIVE && h.epoch() == g.hostEpoch
        && h.settlingSince(g.hostWindow) && System.nanoTime() - deadline < 0) {
      LockSupport.parkNanos(PARK_NANOS);
    }
  }
}
