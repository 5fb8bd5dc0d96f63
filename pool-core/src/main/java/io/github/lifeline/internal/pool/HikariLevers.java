package io.github.lifeline.internal.pool;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.github.lifeline.internal.Once;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HikariCP's levers, and the only place that pulls them:
 * <ul>
 *   <li>{@link HikariDataSource#evictConnection(Connection)} with a HikariCP proxy of the connection: a proxy keeps its
 *       pool entry after it was closed, so the proxy of any earlier borrow through {@code LifelineDataSource} evicts
 *       exactly that physical connection (closed at once when idle, on its return when in use), and HikariCP refills
 *       the pool ({@code fillPool}) right after;</li>
 *   <li>{@link HikariPoolMXBean#softEvictConnections()} from {@link HikariDataSource#getHikariPoolMXBean()} (the pool
 *       object itself, no JMX): every connection of the pool, when its server went down. HikariCP checks the evicted
 *       mark before its 500 ms validation bypass, so a borrower never receives one of them;</li>
 *   <li>through {@link HikariBag} (HikariCP's internals, see there): a connection never borrowed through Lifeline is
 *       evicted the same way as with a proxy, and while a server may be shutting down (the settle window, see
 *       {@link DeathPolicy}) its older idle connections are held out of borrowers' reach until Lifeline has judged
 *       them. That is what keeps a pool that Lifeline does not see borrow from ({@code Lifeline.install}) from lending
 *       a connection of a server that is going down.</li>
 * </ul>
 * Without {@link HikariBag} (it says why, once per pool), a connection without a proxy is left in the pool: its
 * socket is closed and its {@code isValid} answers false, so HikariCP drops it at its next validated borrow or
 * keepalive, in microseconds.
 */
final class HikariLevers {

  private static final Logger LOG = LoggerFactory.getLogger(HikariLevers.class);

  private volatile HikariDataSource pool;
  /** The bag once reached, or why it cannot be ({@link String}); null until the pool is started. */
  private Object bag;
  /** Entries held out of borrowers' reach while their server is in doubt; guarded by {@code this}. */
  private final List<Held> held = new ArrayList<>();
  private final PoolGuard guard;

  /** An entry held while its server is in doubt. */
  private record Held(HostState host, HikariBag.Entry entry) {
  }

  HikariLevers(PoolGuard guard) {
    this.guard = guard;
  }

  /** The pool these levers act on; set once, before its first connection. */
  void attach(HikariDataSource ds) {
    HikariDataSource current = pool;
    if (current != null && current != ds) {
      throw new IllegalStateException("This Lifeline configuration already belongs to pool " + current.getPoolName()
          + "; call Lifeline.install(config) again for another pool");
    }
    pool = ds;
    String problem = HikariBag.unreachable();
    if (problem != null) {
      synchronized (this) {
        if (bag == null) {
          bag = problem;
          warnNoBag(problem); // at the start: HikariCP's internals are out of reach for every pool of the JVM
        }
      }
    }
  }

  HikariDataSource pool() {
    return pool;
  }

  /**
   * Evicts a dead connection's entry: through a proxy of an earlier borrow when Lifeline has one, otherwise through
   * the bag (at once when it is idle or held, on its return when in use).
   *
   * @return whether HikariCP has it marked
   */
  boolean evict(GuardedConnection g) {
    HikariDataSource ds = pool;
    if (ds == null) {
      return false;
    }
    if (evictHeld(g)) {
      return true;
    }
    Connection proxy = g.proxy;
    if (proxy != null) {
      ds.evictConnection(proxy);
      return true;
    }
    return markEvicted(g);
  }

  /**
   * Marks the entry of a connection evicted through the bag, without closing it (closed at once when idle, otherwise
   * when HikariCP next finds it: a borrower never receives it). For a connection on its way back into the pool
   * ({@link BorrowGate#returning}), whose borrower's proxy is still open: evicting through that proxy would close it
   * inside its own {@code close()}.
   *
   * @return whether HikariCP has it marked
   */
  boolean markEvicted(GuardedConnection g) {
    HikariBag b = bag();
    if (b == null) {
      return false;
    }
    try {
      HikariBag.Entry e = entryOf(b, g);
      if (e != null) {
        b.evict(e, false);
        return true;
      }
    } catch (RuntimeException e) {
      refused("an eviction", e);
    }
    return false;
  }

  private boolean evictHeld(GuardedConnection g) {
    List<HikariBag.Entry> found = take(null, g);
    for (HikariBag.Entry e : found) {
      giveBack(e, g);
    }
    return !found.isEmpty();
  }

  /**
   * Holds every idle connection of this pool to {@code host} made before its settle window {@code window} out of
   * borrowers' reach, until {@link #release}: when the window closes quietly, or at the host event, which condemns
   * them (they are evicted then).
   *
   * @return how many this call held
   */
  int hold(HostState host, long window) {
    HikariBag b = bag();
    if (b == null || pool.isClosed()) {
      return 0;
    }
    try {
      return hold(b, b.entries(), host, window);
    } catch (RuntimeException e) {
      refused("a hold", e);
      return 0;
    }
  }

  private synchronized int hold(HikariBag b, List<HikariBag.Entry> entries, HostState host, long window) {
    int n = 0;
    for (HikariBag.Entry e : entries) { // no lambda: a first call would link one on the monitor thread
      if (e.connection() instanceof GuardedConnection g && g.guard == guard && g.host == host
          && g.hostWindow < window && b.reserve(e)) {
        held.add(new Held(host, e)); // at once: whatever fails next, what is reserved is given back
        n++;
      }
    }
    return n;
  }

  /**
   * Walks a hold's path on this pool without holding anything (no settle window opens before
   * {@link Long#MIN_VALUE}), so that the pool's first real hold, on the monitor thread at a server's first close, does
   * not pay for reaching the bag and for the first reads of its entries.
   *
   * @return false when the pool has not started yet: call again later
   */
  boolean rehearseHold() {
    HikariBag b = bag();
    if (b == null) {
      return bag != null; // out of reach: nothing to rehearse
    }
    try {
      hold(b, b.entries(), null, Long.MIN_VALUE);
    } catch (RuntimeException e) {
      refused("a hold", e);
    }
    return true;
  }

  /** Gives back what is held for {@code host}; a connection found dead or condemned meanwhile is evicted instead. */
  void release(HostState host) {
    for (HikariBag.Entry e : take(host, null)) {
      giveBack(e, (GuardedConnection) e.connection());
    }
  }

  /** Takes out of {@link #held} the entries for {@code host} (any when null) of connection {@code g} (any when null). */
  private synchronized List<HikariBag.Entry> take(HostState host, GuardedConnection g) {
    List<HikariBag.Entry> out = new ArrayList<>();
    for (Iterator<Held> it = held.iterator(); it.hasNext(); ) {
      Held h = it.next();
      if ((host == null || h.host() == host) && (g == null || h.entry().connection() == g)) {
        it.remove();
        out.add(h.entry());
      }
    }
    return out;
  }

  /** One held entry: back to borrowers when its connection is alive, evicted (closed now) otherwise. */
  private void giveBack(HikariBag.Entry e, GuardedConnection g) {
    HikariBag b = bag();
    try {
      if (g.state == GuardedConnection.ALIVE) {
        b.unreserve(e);
      } else {
        b.evict(e, true);
      }
    } catch (RuntimeException ex) {
      refused("a held connection back", ex);
    }
  }

  private void refused(String what, RuntimeException e) {
    Once.warn(LOG, "bag:" + guard.name() + ":" + what, "{} - HikariCP's connection bag refused {} ({}); the pool "
        + "goes on. Said once per pool.", guard.name(), what, e.toString());
  }

  /** Gives back everything held (the pool closes). */
  void releaseAll() {
    release(null);
  }

  /** The pool's bag, reached on first use (the pool starts after {@link #attach}); null when out of reach. */
  private synchronized HikariBag bag() {
    if (bag == null) {
      HikariDataSource ds = pool;
      if (ds == null || ds.getHikariPoolMXBean() == null) {
        return null; // not started yet: nothing to hold or evict
      }
      bag = HikariBag.of(ds);
      if (bag instanceof String problem) {
        warnNoBag(problem);
      }
    }
    return bag instanceof HikariBag b ? b : null;
  }

  private void warnNoBag(String problem) {
    LOG.warn("{} - Lifeline cannot reach HikariCP's connection bag ({}): a connection never borrowed through "
        + "Lifeline stays in the pool until HikariCP validates it, and a borrow that does not go through Lifeline "
        + "(Lifeline.install) may receive an old connection while its server is shutting down, as without Lifeline. "
        + "LifelineDataSource and the Spring Boot integration check every borrow themselves. Said once per pool.",
        guard.name(), problem);
  }

  /**
   * Whether HikariCP took {@code g} back after {@code sinceClock} (HikariCP's clock), or at all when
   * {@code sinceClock} is 0: its pool entry was accessed later. False when the entry or HikariCP's internals are out
   * of reach.
   */
  boolean returnedSince(GuardedConnection g, long sinceClock) {
    HikariBag b = bag();
    if (b == null) {
      return false;
    }
    try {
      HikariBag.Entry e = entryOf(b, g);
      return e != null && (sinceClock == 0 || HikariBag.lastAccessed(e) - sinceClock > 0);
    } catch (RuntimeException e) {
      refused("a stand-in", e);
    }
    return false;
  }

  /** The bag's entry that holds {@code g}, or null. */
  private static HikariBag.Entry entryOf(HikariBag b, GuardedConnection g) {
    for (HikariBag.Entry e : b.entries()) {
      if (e.connection() == g) {
        return e;
      }
    }
    return null;
  }

  /** HikariCP's own setup of a new connection, as for one it opens itself ({@link HikariBag#setUp}). */
  void setUp(Connection c) throws SQLException {
    HikariBag b = bag();
    if (b == null) {
      throw new SQLException("HikariCP's pool is out of reach");
    }
    b.setUp(c);
  }

  /** Evicts the entry of a connection just borrowed (its proxy is in the caller's hands). */
  void evictBorrowed(Connection proxy) {
    HikariDataSource ds = pool;
    if (ds != null) {
      ds.evictConnection(proxy);
    }
  }

  /**
   * Evicts every connection of the pool (idle ones now, the others when they are returned); the ones Lifeline holds
   * are its own to give back ({@link #release}: condemned, they are evicted then).
   */
  void evictAll() {
    HikariDataSource ds = pool;
    HikariPoolMXBean bean = ds == null ? null : ds.getHikariPoolMXBean();
    if (bean != null) {
      bean.softEvictConnections();
    }
  }

  /** Whether the pool was closed by its owner. */
  boolean poolClosed() {
    HikariDataSource ds = pool;
    return ds != null && ds.isClosed();
  }
}
