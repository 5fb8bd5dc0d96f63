package io.github.lifeline.internal.pool;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import com.zaxxer.hikari.util.ConcurrentBag;
import com.zaxxer.hikari.util.ConcurrentBag.IConcurrentBagEntry;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * HikariCP's connection bag, the one place where Lifeline reaches into HikariCP's internals, for the two levers its
 * public API lacks (used by {@link HikariLevers} only):
 * <ul>
 *   <li><b>Hold</b>: keep borrowers away from a pool's idle connections for a moment, with the bag's own
 *       {@link ConcurrentBag#reserve} and {@link ConcurrentBag#unreserve} (public methods of a public class; HikariCP's
 *       housekeeper holds a connection the same way while it checks or retires it). A borrower finding no idle
 *       connection waits in HikariCP for one, as it does when the pool is busy.</li>
 *   <li><b>Evict one connection</b> that was never borrowed through Lifeline, so that Lifeline has no HikariCP
 *       proxy of it for {@link HikariDataSource#evictConnection}: HikariCP's own private
 *       {@code softEvictConnection(entry, reason, owner)}, the method {@code evictConnection} calls.</li>
 * </ul>
 * A third use, apart: the stand-in of a borrow ({@code BorrowGate.firstUse}) reads a pool entry's
 * {@code lastAccessed} (did HikariCP take the connection back since the previous borrow's first call?) and sets a new
 * connection up with HikariCP's own {@code PoolBase.setupConnection}, so that it is configured exactly as HikariCP
 * configures its own ({@link StandInInternals}: when they are out of reach, no connection stands in for another).
 *
 * <p>Reaching them takes three non-public members of HikariCP: the pool's {@code connectionBag} field, a pool entry's
 * {@code connection} field, and {@code HikariPool.softEvictConnection}; identical in HikariCP 6.3 and 7.1 (the tested
 * versions). Java lets a library reach them when HikariCP is on the class path. When it cannot (HikariCP on the module
 * path, which does not open its {@code pool} package, or a version without these members), {@link #of} says why and
 * Lifeline works without both levers: through {@code LifelineDataSource} and the Spring Boot integration, which check
 * every borrow themselves, nothing changes; through {@code Lifeline.install} a borrower may then receive an old
 * connection while its server is shutting down, as without Lifeline.
 */
final class HikariBag {

  private static final Internals INTERNALS = Internals.find();

  private final HikariPool pool;
  @SuppressWarnings("rawtypes")
  private final ConcurrentBag bag;

  private HikariBag(HikariPool pool, ConcurrentBag<?> bag) {
    this.pool = pool;
    this.bag = bag;
  }

  /** Why HikariCP's internals are out of reach in this JVM, or null when they are not. */
  static String unreachable() {
    return INTERNALS.problem;
  }

  /**
   * The bag of a started pool.
   *
   * @return the bag, or a {@link String} saying why it cannot be reached
   */
  static Object of(HikariDataSource ds) {
    if (INTERNALS.problem != null) {
      return INTERNALS.problem;
    }
    Object mx = ds.getHikariPoolMXBean();
    if (!(mx instanceof HikariPool)) {
      return "HikariCP's pool object is " + (mx == null ? "not started" : "a " + mx.getClass().getName());
    }
    try {
      ConcurrentBag<?> bag = bagOf(mx);
      return bag == null ? "HikariCP's pool has no connection bag" : new HikariBag((HikariPool) mx, bag);
    } catch (RuntimeException e) {
      return "HikariCP's connection bag cannot be read: " + e;
    }
  }

  /** A pool entry, and the physical connection HikariCP holds in it. */
  record Entry(IConcurrentBagEntry entry, Connection connection) {
  }

  /** Every entry of the bag with its connection, in no particular order. */
  List<Entry> entries() {
    List<?> values = bag.values();
    List<Entry> out = new ArrayList<>(values.size());
    for (Object e : values) {
      Connection c = connectionOf(e);
      if (c != null) {
        out.add(new Entry((IConcurrentBagEntry) e, c));
      }
    }
    return out;
  }

  /** Takes an idle entry out of reach of borrowers; false when it is not idle. */
  @SuppressWarnings("unchecked")
  boolean reserve(Entry e) {
    return bag.reserve(e.entry());
  }

  /** Gives a reserved entry back to borrowers (a waiting borrower receives it first). */
  @SuppressWarnings("unchecked")
  void unreserve(Entry e) {
    if (e.entry().getState() == IConcurrentBagEntry.STATE_RESERVED) {
      bag.unreserve(e.entry());
    }
  }

  /**
   * Evicts one entry as {@link HikariDataSource#evictConnection} does: marks it evicted, closes it now when it is
   * idle ({@code owner = false}) or reserved by the caller ({@code owner = true}), otherwise when it comes back.
   */
  void evict(Entry e, boolean owner) {
    softEvict(pool, e.entry(), owner);
  }

  /**
   * HikariCP's clock ({@code ClockSource.currentTime()}) when it last took the entry back (or made it): the pool
   * entry's {@code lastAccessed}, which {@code PoolEntry.recycle()} sets right after the connection's
   * {@code clearWarnings()}.
   *
   * @throws IllegalStateException when the member is out of reach ({@link StandInInternals#problem})
   */
  static long lastAccessed(Entry e) {
    StandInInternals in = StandInInternals.INSTANCE;
    if (in.problem != null) {
      throw new IllegalStateException(in.problem);
    }
    return (long) in.lastAccessed.get(e.entry());
  }

  /**
   * HikariCP's own setup of a new physical connection ({@code PoolBase.setupConnection}: network timeout, read-only,
   * auto-commit, isolation, catalog, schema, {@code connectionInitSql}), exactly as for a connection it opens itself.
   */
  void setUp(Connection c) throws SQLException {
    StandInInternals in = StandInInternals.INSTANCE;
    if (in.problem != null) {
      throw new SQLException(in.problem);
    }
    try {
      in.setupConnection.invokeExact((Object) pool, c);
    } catch (RuntimeException | Error | SQLException ex) {
      throw ex;
    } catch (Throwable t) { // PoolBase.ConnectionSetupException, around the driver's SQLException
      if (t.getCause() instanceof SQLException sql) {
        throw sql;
      }
      throw new SQLException("HikariCP's setup of a new connection failed: " + t, t);
    }
  }

  /**
   * The two members the stand-in of a borrow needs ({@code BorrowGate.firstUse}), found apart from the levers'
   * three so that a HikariCP without them keeps the levers: {@code PoolEntry.lastAccessed} and
   * {@code PoolBase.setupConnection(Connection)}, identical in HikariCP 6.3 and 7.1.
   */
  static final class StandInInternals {
    static final StandInInternals INSTANCE = find();

    final VarHandle lastAccessed;
    final MethodHandle setupConnection;
    /** Why they are out of reach, or null. */
    final String problem;

    private StandInInternals(VarHandle lastAccessed, MethodHandle setupConnection, String problem) {
      this.lastAccessed = lastAccessed;
      this.setupConnection = setupConnection;
      this.problem = problem;
    }

    private static StandInInternals find() {
      try {
        ClassLoader loader = HikariPool.class.getClassLoader();
        Class<?> entry = Class.forName("com.zaxxer.hikari.pool.PoolEntry", false, loader);
        Class<?> base = Class.forName("com.zaxxer.hikari.pool.PoolBase", false, loader);
        return new StandInInternals(
            MethodHandles.privateLookupIn(entry, MethodHandles.lookup()).findVarHandle(entry, "lastAccessed",
                long.class),
            MethodHandles.privateLookupIn(base, MethodHandles.lookup()).findVirtual(base, "setupConnection",
                MethodType.methodType(void.class, Connection.class))
                .asType(MethodType.methodType(void.class, Object.class, Connection.class)),
            null);
      } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
        return new StandInInternals(null, null, "HikariCP's pool entry and connection setup are out of reach (" + e
            + ")");
      }
    }
  }

  // The three call sites of the internals: a method handle's call site is linked on its first call, which took 27 ms
  // on the monitor thread in a plain app's first restart (the hold came after a borrower had taken an old connection).

  private static ConcurrentBag<?> bagOf(Object pool) {
    return (ConcurrentBag<?>) INTERNALS.connectionBag.get(pool);
  }

  private static Connection connectionOf(Object entry) {
    return (Connection) INTERNALS.connection.get(entry);
  }

  private static void softEvict(Object pool, Object entry, boolean owner) {
    try {
      // invokeExact needs the handle's exact type, return value included; whether it closed the entry now is not used.
      boolean closedNow = (boolean) INTERNALS.softEvict.invokeExact(pool, entry, "(connection evicted by Lifeline)",
          owner);
    } catch (RuntimeException | Error ex) {
      throw ex;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  /**
   * Links the three call sites before the first verdict needs them: each is called once on no object at all, which
   * fails before it reaches HikariCP (a null receiver).
   */
  static void warmUp() {
    if (INTERNALS.problem != null) {
      return;
    }
    try {
      bagOf(null);
    } catch (NullPointerException expected) {
      // linked
    }
    try {
      connectionOf(null);
    } catch (NullPointerException expected) {
      // linked
    }
    try {
      softEvict(null, null, false);
    } catch (NullPointerException expected) {
      // linked
    }
  }

  /** The three members, found once per JVM, or why they cannot be. */
  private static final class Internals {
    final VarHandle connectionBag;
    final VarHandle connection;
    final MethodHandle softEvict;
    final String problem;

    private Internals(VarHandle connectionBag, VarHandle connection, MethodHandle softEvict, String problem) {
      this.connectionBag = connectionBag;
      this.connection = connection;
      this.softEvict = softEvict;
      this.problem = problem;
    }

    static Internals find() {
      try {
        Class<?> entry = Class.forName("com.zaxxer.hikari.pool.PoolEntry", false, HikariPool.class.getClassLoader());
        MethodHandles.Lookup pool = MethodHandles.privateLookupIn(HikariPool.class, MethodHandles.lookup());
        MethodHandles.Lookup poolEntry = MethodHandles.privateLookupIn(entry, MethodHandles.lookup());
        return new Internals(
            pool.findVarHandle(HikariPool.class, "connectionBag", ConcurrentBag.class),
            poolEntry.findVarHandle(entry, "connection", Connection.class),
            pool.findVirtual(HikariPool.class, "softEvictConnection",
                MethodType.methodType(boolean.class, entry, String.class, boolean.class))
                .asType(MethodType.methodType(boolean.class, Object.class, Object.class, String.class,
                    boolean.class)),
            null);
      } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
        return new Internals(null, null, null, "HikariCP's connection bag is out of reach (" + e + ")");
      }
    }
  }
}
