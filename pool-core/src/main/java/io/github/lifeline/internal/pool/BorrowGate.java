package io.github.lifeline.internal.pool;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.util.ClockSource;
import io.github.lifeline.internal.monitor.SocketMonitor;
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
public final class BorrowGate {

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

  /**
   * Checks a connection just borrowed from {@code pool} (by {@code LifelineDataSource}): it, or another live one
   * instead. The fast path reads the connection only, not this gate.
   */
  public Connection check(HikariDataSource pool, Connection c) throws SQLException {
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
          LOG.debug("{} - lends {} after waiting {} µs (state {}, epoch {}/{})", guard.name(), g.local(),
              (System.nanoTime() - start) / 1000, g.state, g.hostEpoch, g.host == null ? -1 : g.host.epoch());
        }
        return c;
      }
      if (LOG.isDebugEnabled()) {
        LOG.debug("{} - refuses {} (state {}, epoch {}/{})", guard.name(), g.local(), g.state, g.hostEpoch,
            g.host == null ? -1 : g.host.epoch());
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
            g.guard.name(), g.local(), (System.nanoTime() - start) / 1000, g.state, g.hostEpoch, h.epoch());
      }
    }
    int state = g.state;
    if (g.judgedDead(state)) {
      // Judged dead or condemned while in use: HikariCP must have its entry marked before the entry is back in the
      // bag, or the next borrower (this thread first) could receive it before the monitor thread's eviction comes.
      g.guard.levers.markEvicted(g);
    }
  }

  private static final long WAIT_WORTH_SAYING_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

  /** The longest a borrow's first call waits for the monitor thread to take the kernel's pending verdicts. */
  static final long CATCH_UP_LIMIT_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  /**
   * The first JDBC call of a borrow, in the borrower's thread, before the call reaches the driver. HikariCP lends a
   * connection used in the last 500 ms without a check, and {@code Lifeline.install} sees no borrow; on a busy host
   * the monitor thread, woken by the server's first FIN, may wait milliseconds for a CPU while the borrower runs
   * (measured in the plain app: up to 9.8 ms, the gap where 5 of 6 lost borrows started). So the first call:
   * <ol>
   *   <li>waits while the kernel holds verdicts the monitor thread has not taken ({@link SocketMonitor#awaitCaughtUp},
   *       one {@code poll} system call when there are none, about a microsecond; at most
   *       {@link #CATCH_UP_LIMIT_NANOS}), parked, which gives the monitor thread the CPU;</li>
   *   <li>then, for a connection made before its server began to close connections, waits for the server's judgement
   *       as a borrow through the gate does (at most {@value DeathPolicy#SETTLE_MILLIS} ms);</li>
   *   <li>then, if the connection is dead (its own verdict) or condemned (its server shut down), has a fresh
   *       connection stand in for it for the rest of the borrow ({@link PoolGuard#standIn}): nothing of the borrow has
   *       been sent on it, so the borrower cannot tell, except for the wait. Only when HikariCP took the connection
   *       back since the previous borrow's first call (its pool entry's last access is later): a caller's own
   *       {@code clearWarnings} in the middle of a borrow also marks the next call as a first one, and a connection
   *       that a borrow has used is never replaced under it.</li>
   * </ol>
   * Never throws: when nothing can stand in, the call goes to the old connection, as without Lifeline.
   */
  static void firstUse(GuardedConnection g) {
    HostState h = g.host;
    if (h == null || g.hasStandIn()) {
      return; // unwatched: as without Lifeline
    }
    long previous = g.lastFirstUse;
    g.lastFirstUse = ClockSource.currentTime();
    SocketMonitor monitor = g.guard.monitor();
    long start = System.nanoTime();
    boolean caughtUp = monitor.awaitCaughtUp(monitor.nanoTime() + CATCH_UP_LIMIT_NANOS);
    if (g.lendable()) {
      if (LOG.isDebugEnabled() && System.nanoTime() - start > WAIT_WORTH_SAYING_NANOS) {
        LOG.debug("{} - first call on {} waited {} µs for the monitor thread{}; lends it", g.guard.name(),
            g.local(), (System.nanoTime() - start) / 1000, caughtUp ? "" : " (limit reached)");
      }
      return; // the hot path
    }
    awaitJudgement(g, System.nanoTime() + RETURN_LIMIT_NANOS);
    int state = g.state;
    if (state == GuardedConnection.CLOSING || !g.judgedDead(state)) {
      if (LOG.isDebugEnabled()) {
        LOG.debug("{} - first call on {} after {} µs: not dead (state {}, epoch {}/{}); goes on with it",
            g.guard.name(), g.local(), (System.nanoTime() - start) / 1000, state, g.hostEpoch, h.epoch());
      }
      return; // alive, or its owner closes it, or its server still in doubt after the wait
    }
    if (!g.guard.levers.returnedSince(g, previous)) {
      LOG.debug("{} - {} is dead at a first call that may be in the middle of a borrow: not replaced", g.guard.name(),
          g.local());
      return;
    }
    g.guard.standIn(g, start);
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
