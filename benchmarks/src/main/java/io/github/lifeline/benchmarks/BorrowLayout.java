package io.github.lifeline.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.LifelineDataSource;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.io.Closeable;
import java.io.IOException;
import java.lang.reflect.Field;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import sun.misc.Unsafe;

/**
 * A diagnostic, not a figure: {@link BorrowBenchmark}'s borrow and return, and after each iteration where the words
 * a borrow touches lie, by 64-byte cache line (object addresses read with {@code Unsafe}; they move at every young
 * collection until the objects are old). It prints the lines where a word one thread writes on every borrow shares the
 * line with a word another thread reads or writes on every borrow: false sharing, which this virtual machine cannot
 * count (no hardware counters). Written per borrow: HikariCP's pool entry ({@code state}, {@code lastAccessed}), each
 * thread's list of its last connections, and pgjdbc's per-connection locks, warnings and socket lock; read by every
 * thread: the data source, HikariCP's pool and bag, Lifeline's server state; read by the thread using a connection:
 * the headers of its objects (every virtual call checks the receiver's class there).
 *
 * <pre>{@code java ... org.openjdk.jmh.Main BorrowLayout.threads04 -p pool=lifeline -f 1}</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class BorrowLayout extends BorrowBenchmarkPad {

  private static final Unsafe U = unsafe();
  private static final long BASE = U.arrayBaseOffset(Object[].class);

  /** Which pool. */
  @Param({"plain", "lifeline"})
  public String pool;

  /**
   * Kilobytes of long-lived ballast (byte arrays of 1 KB) allocated before the pool, to move where the pool's objects
   * land in the old generation; 0 by default.
   */
  @Param({"0"})
  public int ballastKb;

  private byte[][] ballast;
  private DatabaseServer server;
  private DataSource ds;
  private final List<Object> threadLists = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();

  /** One benchmark thread: remembers its list of last connections (HikariCP's thread-local). */
  @State(Scope.Thread)
  public static class Worker {
    /** Registers this thread's list. */
    @TearDown(Level.Iteration)
    public void remember(BorrowLayout b) {
      Object list = ((ThreadLocal<?>) get(bag(b.ds), "threadLocalList")).get();
      synchronized (b.threadLists) {
        if (!b.threadLists.contains(list)) {
          b.threadLists.add(list);
          b.threads.add(Thread.currentThread());
        }
      }
    }
  }

  /** Starts the server and the pool. */
  @Setup(Level.Trial)
  public void setUp() throws SQLException {
    server = PostgresServer.start();
    ballast = new byte[ballastKb][];
    for (int i = 0; i < ballastKb; i++) {
      ballast[i] = new byte[1024 - 16];
    }
    ds = BorrowBenchmark.openPool(server, pool, "layout-" + pool);
  }

  /** Prints the shared lines of this iteration's layout. */
  @TearDown(Level.Iteration)
  public void report() {
    System.out.println(layout());
  }

  /** Closes the pool and stops the server. */
  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    ((Closeable) ds).close();
    server.close();
  }

  /** Four threads. */
  @Benchmark
  @Threads(4)
  public Connection threads04(Worker w) throws SQLException {
    return borrowAndReturn();
  }

  /** Sixteen threads. */
  @Benchmark
  @Threads(16)
  public Connection threads16(Worker w) throws SQLException {
    return borrowAndReturn();
  }

  private Connection borrowAndReturn() throws SQLException {
    Connection c = ds.getConnection();
    c.close();
    return c;
  }

  private final Map<Long, List<String>> lines = new TreeMap<>();

  private String layout() {
    lines.clear();
    HikariDataSource h = hikari(ds);
    Object hikariPool = get(h, "pool");
    Object bag = get(hikariPool, "connectionBag");
    whole("all", "the data source", ds);
    whole("all", "HikariDataSource", h);
    whole("all", "HikariPool", hikariPool);
    whole("all", "ConcurrentBag", bag);
    whole("all", "ConcurrentBag's thread-local", get(bag, "threadLocalList"));
    whole("all", "ConcurrentBag's waiters", get(bag, "waiters"));
    word("all", "the data source's header", ds, null, false);
    if (ds instanceof LifelineDataSource) {
      for (String f : new String[] {"pool", "guard", "gate"}) {
        if (has(ds, f)) {
          word("all", "LifelineDataSource." + f, ds, f, false);
        }
      }
    }
    word("all", "HikariDataSource.fastPathPool", h, "fastPathPool", false);
    word("all", "HikariDataSource.isShutdown", h, "isShutdown", false);
    word("all", "HikariPool.connectionBag", hikariPool, "connectionBag", false);
    word("all", "HikariPool.poolState", hikariPool, "poolState", false);
    word("all", "ConcurrentBag.threadLocalList", bag, "threadLocalList", false);
    word("all", "ConcurrentBag.waiters", bag, "waiters", false);
    List<?> entries = (List<?>) get(bag, "sharedList");
    int[] holderIndex = new int[entries.size()]; // the thread whose list holds each entry, -1 for none
    java.util.Arrays.fill(holderIndex, -1);
    for (int t = 0; t < threadLists.size(); t++) {
      Object list = threadLists.get(t);
      whole("t" + t, "its list", list);
      whole("t" + t, "its list's array", get(list, "elementData"));
      word("t" + t, "its list", list, "size", true);
      word("t" + t, "its list's array", get(list, "elementData"), null, true);
      for (Object e : (Object[]) get(list, "elementData")) {
        if (e != null && entries.indexOf(e) >= 0) {
          holderIndex[entries.indexOf(e)] = t;
        }
      }
    }
    int stores = 0;
    int cross = 0;
    java.util.Set<Long> regions = new java.util.TreeSet<>();
    for (int i = 0; i < entries.size(); i++) {
      int t = holderIndex[i];
      if (t < 0) {
        continue;
      }
      Object e = entries.get(i);
      Object c = get(e, "connection");
      if (has(c, "hostEpoch")) {
        c = get(c, "delegate");
      }
      Object thread = threads.get(t);
      Object[] targets = {get(get(c, "lock"), "sync"), get(get(get(c, "queryExecutor"), "lock"), "sync")};
      for (Object sync : targets) { // ReentrantLock.lock() stores the owner thread into it
        stores++;
        cross += region(sync) != region(thread) ? 1 : 0;
        regions.add(region(sync));
      }
      Object array = get(threadLists.get(t), "elementData"); // HikariCP's return stores the entry into it
      stores++;
      cross += region(array) != region(e) ? 1 : 0;
      regions.add(region(array));
      regions.add(region(e));
      regions.add(region(thread));
    }
    String barrier = String.format(
        " cross-region reference stores per round of borrows: %d of %d (G1 regions of %d MB: %s)",
        cross, stores, REGION >> 20, regions);
    for (int i = 0; i < entries.size(); i++) {
      String who = holderIndex[i] < 0 ? "c" + i + " (idle)" : "t" + holderIndex[i];
      Object e = entries.get(i);
      whole(who, "c" + i + " PoolEntry", e);
      Object statements = get(e, "openStatements");
      whole(who, "c" + i + " its statement list", statements);
      whole(who, "c" + i + " its statement array", get(statements, "elementData"));
      word(who, "c" + i + " entry's header", e, null, false);
      word(who, "c" + i + " entry.state", e, "state", true);
      word(who, "c" + i + " entry.lastAccessed", e, "lastAccessed", true);
      Object c = get(e, "connection");
      if (has(c, "hostEpoch")) { // GuardedConnection
        whole(who, "c" + i + " GuardedConnection", c);
        word(who, "c" + i + " GuardedConnection's header", c, null, false);
        word(who, "c" + i + " GuardedConnection.state", c, "state", false);
        Object host = get(c, "host");
        whole("all", "HostState", host);
        word("all", "HostState.epoch", host, "epoch", false);
        c = get(c, "delegate");
      }
      whole(who, "c" + i + " PgConnection", c);
      whole(who, "c" + i + " PgConnection's lock", get(c, "lock"));
      whole(who, "c" + i + " PgConnection's lock sync", get(get(c, "lock"), "sync"));
      word(who, "c" + i + " PgConnection's header", c, null, false);
      word(who, "c" + i + " PgConnection.firstWarning", c, "firstWarning", true);
      word(who, "c" + i + " PgConnection.lock", get(get(c, "lock"), "sync"), "state", true);
      Object qe = get(c, "queryExecutor");
      whole(who, "c" + i + " QueryExecutor", qe);
      whole(who, "c" + i + " QueryExecutor's lock", get(qe, "lock"));
      whole(who, "c" + i + " QueryExecutor's lock sync", get(get(qe, "lock"), "sync"));
      whole(who, "c" + i + " QueryExecutorCloseAction", get(qe, "closeAction"));
      whole(who, "c" + i + " PGStream", get(qe, "pgStream"));
      word(who, "c" + i + " QueryExecutor.warnings", qe, "warnings", true);
      word(who, "c" + i + " QueryExecutor.lock", get(get(qe, "lock"), "sync"), "state", true);
      Object socket = get(get(qe, "pgStream"), "connection");
      whole(who, "c" + i + " Socket", socket);
      word(who, "c" + i + " Socket's header", socket, null, false);
      if (has(socket, "closeLock")) {
        word(who, "c" + i + " Socket.closeLock", get(socket, "closeLock"), null, true);
      }
    }
    StringBuilder out = new StringBuilder("layout:").append(barrier);
    int shared = 0;
    for (List<String> words : lines.values()) {
      long owners = words.stream().map(w -> w.substring(0, w.indexOf(':'))).filter(o -> !o.endsWith("(idle)"))
          .distinct().count();
      boolean written = words.stream().anyMatch(w -> w.contains(" writes ") && !w.contains("(idle)"));
      if (owners > 1 && written) {
        shared++;
        out.append("\n  shared line: ").append(words);
      }
    }
    return out.append(shared == 0 ? " no shared line" : "").toString();
  }

  private void word(String owner, String label, Object o, String field, boolean writes) {
    if (o == null) {
      return;
    }
    long address = address(o) + (field == null ? 0 : U.objectFieldOffset(field(o.getClass(), field)));
    lines.computeIfAbsent(address >>> 6, k -> new ArrayList<>())
        .add(owner + ": " + (writes ? owner + " writes " : "read ") + label);
  }

  /** Marks every line of {@code o} as read by {@code owner} (an over-estimate: not every field is read). */
  private void whole(String owner, String label, Object o) {
    if (o == null) {
      return;
    }
    long start = address(o);
    long end = start + size(o);
    for (long line = start >>> 6; line <= (end - 1) >>> 6; line++) {
      List<String> words = lines.computeIfAbsent(line, k -> new ArrayList<>());
      String w = owner + ": read (some of) " + label;
      if (!words.contains(w)) {
        words.add(w);
      }
    }
  }

  private static long size(Object o) {
    Class<?> type = o.getClass();
    if (type.isArray()) {
      return U.arrayBaseOffset(type) + (long) java.lang.reflect.Array.getLength(o) * U.arrayIndexScale(type);
    }
    long end = 16;
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (!java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
          Class<?> t = f.getType();
          long bytes = t == long.class || t == double.class ? 8 : t == int.class || t == float.class ? 4
              : t == short.class || t == char.class ? 2 : t == byte.class || t == boolean.class ? 1 : 4;
          end = Math.max(end, U.objectFieldOffset(f) + bytes);
        }
      }
    }
    return (end + 7) & ~7L;
  }

  /** G1's region size, for which stores cross regions (G1's post-write barrier does work only for those). */
  private static final long REGION = regionSize();

  private static long regionSize() {
    try {
      var bean = java.lang.management.ManagementFactory.getPlatformMXBean(
          com.sun.management.HotSpotDiagnosticMXBean.class);
      return Long.parseLong(bean.getVMOption("G1HeapRegionSize").getValue());
    } catch (RuntimeException e) {
      return 1 << 20;
    }
  }

  private static long region(Object o) {
    return address(o) / REGION;
  }

  /** The address of {@code o}, from its compressed reference (shift 3, the default); lines are what matters. */
  private static long address(Object o) {
    Object[] a = {o};
    return (U.getInt(a, BASE) & 0xffffffffL) << 3;
  }

  private static HikariDataSource hikari(DataSource ds) {
    return ds instanceof LifelineDataSource ? ((LifelineDataSource) ds).hikari() : (HikariDataSource) ds;
  }

  private static Object bag(DataSource ds) {
    return get(get(hikari(ds), "pool"), "connectionBag");
  }

  private static boolean has(Object o, String name) {
    try {
      field(o.getClass(), name);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static Object get(Object o, String name) {
    return U.getObject(o, U.objectFieldOffset(field(o.getClass(), name)));
  }

  private static Field field(Class<?> type, String name) {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (f.getName().equals(name) && !java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
          return f;
        }
      }
    }
    throw new IllegalArgumentException(type.getName() + " has no field " + name);
  }

  private static Unsafe unsafe() {
    try {
      Field f = Unsafe.class.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      return (Unsafe) f.get(null);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
