package io.github.lifeline.internal.pool;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.EvictionEvent;
import io.github.lifeline.EvictionListener;
import io.github.lifeline.EvictionReason;
import io.github.lifeline.LifelinePool;
import io.github.lifeline.LifelineSettings;
import io.github.lifeline.internal.Once;
import io.github.lifeline.internal.monitor.SocketMonitor;
import io.github.lifeline.internal.socket.SocketRegistry;
import io.github.lifeline.internal.socket.TunedSocket;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.socket.TcpState;
import io.github.lifeline.spi.DriverAdapter;
import java.io.IOException;
import java.net.Socket;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lifeline's guard over one HikariCP pool: it adopts every physical connection the pool opens, has the JVM's
 * {@link SocketMonitor} watch its socket, and acts on the kernel's verdicts.
 *
 * <p>On a verdict the guard, in this order:
 * <ol>
 *   <li>marks the connection dead (one volatile write: the borrow path sees it at once);</li>
 *   <li>reads the kernel's reason ({@link DeathPolicy#classify});</li>
 *   <li>closes the socket under its driver, so that a caller blocked on it fails now with SQLState 08xxx (which makes
 *       HikariCP evict it) and any later validation fails in microseconds;</li>
 *   <li>evicts it through {@link HikariLevers};</li>
 *   <li>widens the verdict only on strong host evidence ({@link DeathPolicy}): condemned connections are not lent
 *       any more, and are never closed under a borrower.</li>
 * </ol>
 * The one home of each concern: detection policy in {@link DeathPolicy} and {@link HostState}, HikariCP's levers in
 * {@link HikariLevers}, borrow bookkeeping in {@link BorrowGate}, recovery in {@link Recovery}.
 *
 * <p>Fail open: when a connection's socket cannot be reached or watched, the connection is handed to HikariCP as it
 * is, and the pool logs one warning per kind of problem, naming itself and the reason.
 */
public final class PoolGuard implements LifelinePool, SocketMonitor.Listener {

  private static final Logger LOG = LoggerFactory.getLogger(PoolGuard.class);
  private static final AtomicIntegerFieldUpdater<CacheLines.Hot> STATE =
      AtomicIntegerFieldUpdater.newUpdater(CacheLines.Hot.class, "state");

  private final HikariConfig config;
  private final DriverAdapter adapter;
  private final LifelineSettings settings;
  private final EvictionListener listener;
  private final SocketMonitor monitor;
  final HikariLevers levers = new HikariLevers(this);
  final Recovery recovery;
  private final Set<GuardedConnection> connections = ConcurrentHashMap.newKeySet();
  private final Map<EvictionReason, LongAdder> counts = new EnumMap<>(EvictionReason.class);
  private final Set<String> problemsSaid = ConcurrentHashMap.newKeySet();
  private final BorrowGate gate = new BorrowGate(this);
  private volatile String monitoringProblem;
  private volatile boolean closed;

  PoolGuard(HikariConfig config, DriverAdapter adapter, LifelineSettings settings, EvictionListener listener,
      SocketMonitor monitor) {
    this.config = config;
    this.adapter = adapter;
    this.settings = settings;
    this.listener = listener;
    this.monitor = monitor;
    this.recovery = new Recovery(monitor::nanoTime, config.getConnectionTimeout());
    for (EvictionReason r : EvictionReason.values()) {
      counts.put(r, new LongAdder());
    }
    Pools.add(this);
    Warm.up();
  }

  @Override
  public String name() {
    HikariDataSource ds = levers.pool();
    String n = ds != null && ds.getPoolName() != null ? ds.getPoolName() : config.getPoolName();
    return n == null ? "(unnamed pool)" : n;
  }

  @Override
  public LifelineSettings settings() {
    return settings;
  }

  /** The driver's adapter. */
  DriverAdapter adapter() {
    return adapter;
  }

  @Override
  public Connection getConnection() throws SQLException {
    HikariDataSource ds = levers.pool();
    if (ds == null) {
      throw new IllegalStateException("Lifeline pool " + name() + " has no HikariCP pool yet: build the pool from "
          + "the configuration Lifeline.install returned");
    }
    return gate.borrow(ds);
  }

  /**
   * The borrow check of {@link #getConnection()}, for the owner of the pool ({@code LifelineDataSource}), which
   * borrows from the pool itself and checks the connection with it: the same call path into HikariCP as a plain
   * pool's, and nothing of this guard read on the way.
   */
  public BorrowGate gate() {
    return gate;
  }

  private volatile PhysicalDataSource source;

  /** The data source HikariCP opens this pool's connections from. */
  void source(PhysicalDataSource s) {
    source = s;
  }

  /** The JVM's monitor. */
  SocketMonitor monitor() {
    return monitor;
  }

  /**
   * Opens a connection to stand in for {@code g} for the rest of its borrow ({@link BorrowGate#firstUse}), as HikariCP
   * would open and set up one of its own, and closes {@code g}'s driver connection. A refused connect is retried for
   * up to the pool's connection timeout (the server may be restarting: {@link Recovery}).
   *
   * When no connection can be opened and set up, {@code g} is left as it was.
   */
  void standIn(GuardedConnection g, long sinceNanos) {
    PhysicalDataSource s = source;
    if (s == null || closed) {
      return;
    }
    recovery.deathSeen();
    GuardedConnection fresh = null;
    try {
      fresh = s.openAsHikariDoes();
      levers.setUp(fresh);
    } catch (SQLException | RuntimeException e) {
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      LOG.debug("{} - no connection could stand in for {} ({}, at the root {}); the borrow goes on with it", name(),
          g.local(), e.toString(), root.toString());
      if (fresh != null) {
        try {
          fresh.close();
        } catch (SQLException ignored) {
          // it is being dropped
        }
      }
      return;
    }
    Connection old = g.standIn(fresh);
    try {
      old.close();
    } catch (SQLException e) {
      LOG.debug("{} - closing dead connection {} failed: {}", name(), g.local(), e.toString());
    }
    if (LOG.isDebugEnabled()) {
      LOG.debug("{} - {} stands in for {} (state {}, judged before the borrow's first call) after {} µs", name(),
          fresh.local(), g.local(), g.state, (System.nanoTime() - sinceNanos) / 1000);
    }
  }

  /** Gives the guard the pool itself, for its levers. */
  void attach(HikariDataSource pool) {
    levers.attach(pool);
  }

  /** The pool, once attached. */
  public HikariDataSource pool() {
    return levers.pool();
  }

  // --- connections ------------------------------------------------------------------------------------------------

  /**
   * Takes a new physical connection under guard: finds its socket, has the monitor watch it, and wraps it. Never
   * fails: a connection whose socket cannot be reached or watched is returned wrapped but unwatched, and the pool says
   * why once.
   */
  GuardedConnection adopt(Connection raw) {
    TunedSocket socket = null;
    String problem = null;
    String kind = null;
    try {
      Optional<Socket> s = adapter.socketOf(raw);
      if (s.isEmpty()) {
        kind = "adapter";
        problem = "the " + adapter.driver() + " module does not recognise " + raw.getClass().getName();
      } else {
        socket = SocketRegistry.global().find(s.get()).orElse(null);
        if (socket == null && !s.get().isClosed()) {
          kind = "factory";
          problem = "socket " + s.get().getLocalSocketAddress() + " -> " + s.get().getRemoteSocketAddress()
              + " was not opened by Lifeline's socket factory (is the driver's socketFactory property set to "
              + "something else?)";
        }
      }
    } catch (Exception | LinkageError e) {
      kind = "resolver";
      problem = "this " + adapter.driver() + " driver's socket cannot be reached (" + e + ")";
    }
    HostState host = socket == null ? null : HostState.of(socket.remote());
    GuardedConnection g = new GuardedConnection(raw, this, host);
    g.socket = socket;
    connections.add(g);
    if (socket != null) {
      try {
        monitor.watch(socket, this, g).ifPresent(w -> {
          rehearseOnce(w);
          rehearseHoldSoon();
        });
      } catch (IOException | RuntimeException e) {
        kind = "monitor:" + e.getMessage();
        problem = "the kernel's verdicts cannot be watched: " + e.getMessage();
      }
    }
    if (problem != null) {
      monitoringProblem = problem;
      if (problemsSaid.add(kind)) {
        LOG.warn("{} - Lifeline cannot watch this pool's connections ({}); they work as without Lifeline's "
            + "monitor. Said once per pool.", name(), problem);
      }
    }
    return g;
  }

  /** The owner (HikariCP or the driver) closes the connection. */
  void closing(GuardedConnection g) {
    g.state = GuardedConnection.CLOSING;
    connections.remove(g);
    if (connections.isEmpty() && levers.poolClosed()) {
      close();
    }
  }

  // --- verdicts (monitor thread) -------------------------------------------------------------------------------------

  /**
   * First pass of a verdict: marks the connection dead (one volatile write: the borrow path sees it now), reads the
   * kernel's reason, and decides about the server before any slower step, for every verdict of the wake-up.
   */
  @Override
  public void prepare(SocketMonitor.Verdict v) {
    GuardedConnection g = (GuardedConnection) v.watch().attachment();
    g.pending = null;
    if (closed || v.socket().shutDownByOwner() || !v.socket().isOpen()) {
      return; // the pool or the driver is closing this connection itself
    }
    int before = g.state;
    if (before == GuardedConnection.CLOSING || !STATE.compareAndSet(g, before, GuardedConnection.DEAD)) {
      return;
    }
    // A server shutting down closes its connections one by one. A FIN alone (no error, no hang-up) is the peer's
    // close, so the server is judged now, before any kernel lookup: every pool on it stops lending old connections
    // within microseconds of the wake-up (the settle window opens at the first close, the host event comes with the
    // second).
    boolean exitNoted = g.host != null && DeathPolicy.finOnly(v.events());
    boolean hostDown = exitNoted && peerExit(g.host, v.nanos());
    // The verdict is in effect from here: no borrow through the gate receives this connection (nor, after a FIN, an
    // older sibling until it is judged). Read after the writes, so that a thread descheduled between its wake-up and
    // them does not report a time before the borrow path could see anything.
    long effective = monitor.nanoTime();
    Optional<DeathPolicy.Death> death = DeathPolicy.classify(monitor, v);
    if (death.isEmpty()) {
      // No death after all (rare: the owner shut its input down unseen); a settle window it opened ends by itself.
      STATE.compareAndSet(g, GuardedConnection.DEAD, before);
      rewatch(g);
      return;
    }
    if (!exitNoted && g.host != null && DeathPolicy.peerAction(death.get().reason())) {
      hostDown = peerExit(g.host, v.nanos()); // a reset: judged once its reason is known
    }
    g.pending = new Pending(death.get(), before, hostDown, effective);
  }

  /**
   * Notes a peer's close of a connection to {@code host}. When it opens a settle window, every pool holds its older
   * idle connections to that server out of borrowers' reach until the window ends; on a host event, every pool
   * condemns them.
   */
  private boolean peerExit(HostState host, long nanos) {
    DeathPolicy.Exit exit = DeathPolicy.peerExit(host, nanos);
    if (exit == DeathPolicy.Exit.WINDOW_OPENED) {
      long window = host.window(); // the monitor thread is its only writer
      for (PoolGuard pool : Pools.live()) {
        long start = monitor.nanoTime();
        int held = pool.levers.hold(host, window);
        if (held > 0 && LOG.isDebugEnabled()) {
          LOG.debug("{} - holds {} connection(s) to {} while it may be shutting down ({} µs after the close was seen, "
              + "{} µs to hold)", pool.name(), held, host, (start - nanos) / 1000, (monitor.nanoTime() - start) / 1000);
        }
      }
      DeathPolicy.endWindowLater(host, monitor, RELEASE);
      return false;
    }
    if (exit != DeathPolicy.Exit.HOST_EVENT) {
      return false;
    }
    long effective = monitor.nanoTime(); // after the host event: no pool lends an old connection from here
    for (PoolGuard pool : Pools.live()) {
      pool.hostDown(host, effective);
    }
    return true;
  }

  /** A settle window ended quietly (one backend died alone): every pool lends its held connections again. */
  private static final Consumer<HostState> RELEASE = host -> {
    for (PoolGuard pool : Pools.live()) {
      pool.levers.release(host);
    }
  };

  /**
   * What the first pass decided, for the second. Monitor thread only.
   *
   * @param effectiveNanos when the verdict was in effect for the borrow path (read after the first pass's writes)
   */
  record Pending(DeathPolicy.Death death, int before, boolean hostDown, long effectiveNanos) {
  }

  /** Second pass: closes the dead socket under its driver, evicts it, and reports it. */
  @Override
  public void onVerdict(SocketMonitor.Verdict v) {
    GuardedConnection g = (GuardedConnection) v.watch().attachment();
    Pending p = g.pending;
    g.pending = null;
    if (p == null) {
      return;
    }
    EvictionReason reason = p.death().reason();
    abort(g);
    recovery.deathSeen();
    levers.evict(g);
    List<EvictionEvent> events = new ArrayList<>();
    if (p.before() != GuardedConnection.CONDEMNED) { // a condemned connection was reported when it was condemned
      events.add(event(g, reason, p.death().state(), p.effectiveNanos()));
    }
    if (!anyAlive()) {
      levers.evictAll(); // nothing alive is left: HikariCP refills from scratch
    }
    publish(events);
  }

  private boolean anyAlive() {
    for (GuardedConnection c : connections) {
      if (c.state == GuardedConnection.ALIVE) {
        return true;
      }
    }
    return false;
  }

  private static volatile boolean rehearsed;

  /**
   * Once per JVM, with the first watched connection: walks the verdict path on the monitor thread for a healthy
   * socket (it reads the socket's state and finds it alive), so that the first real verdict does not pay for class
   * loading, lambda linkage and the first native calls. Measured: the first verdict of a JVM took 11–18 ms without
   * this, the next ones 0.1–0.7 ms.
   */
  private void rehearseOnce(SocketMonitor.Watch watch) {
    if (rehearsed) {
      return;
    }
    rehearsed = true;
    monitor.schedule(monitor.nanoTime(), () -> {
      SocketMonitor.Verdict v = new SocketMonitor.Verdict(watch, 0, monitor.nanoTime());
      DeathPolicy.classify(monitor, v); // a healthy socket: no death
      new Pending(new DeathPolicy.Death(EvictionReason.PEER_CLOSED, TcpState.CLOSE_WAIT), 0, false, v.nanos())
          .hostDown();
      GuardedConnection g = (GuardedConnection) watch.attachment();
      event(g, EvictionReason.PEER_CLOSED, TcpState.CLOSE_WAIT, v.nanos()); // built and dropped
      counts.get(EvictionReason.PEER_CLOSED).add(-1); // event() counted it
      anyAlive();
      Pools.live();
      HikariBag.warmUp(); // the hold at a settle window's opening must not wait for method handles to link
      Events.submit(() -> { });
    });
  }

  private static final int REHEARSAL_RETRY_MILLIS = 100;
  private static final int REHEARSAL_TRIES = 50;
  /** Whether this pool's hold was rehearsed, or a rehearsal is due ({@link #rehearseHoldSoon}). */
  private final AtomicBoolean holdRehearsal = new AtomicBoolean();
  private final Runnable holdRehearsalTask = this::rehearseHoldNow;
  private int holdRehearsals; // monitor thread only

  /**
   * Once per pool, soon after its first watched connection: rehearses the hold on the monitor thread (see
   * {@link HikariLevers#rehearseHold}); measured, a pool's first hold took 2.3–5.2 ms without this (reaching the bag,
   * first reads of its entries), the next ones about 0.1 ms. Tried again every {@value #REHEARSAL_RETRY_MILLIS} ms
   * until the pool has started, at most {@value #REHEARSAL_TRIES} times.
   */
  private void rehearseHoldSoon() {
    if (holdRehearsal.compareAndSet(false, true)) {
      scheduleHoldRehearsal();
    }
  }

  private void rehearseHoldNow() {
    if (!closed && !levers.rehearseHold() && ++holdRehearsals < REHEARSAL_TRIES) {
      scheduleHoldRehearsal();
    }
  }

  private void scheduleHoldRehearsal() {
    monitor.schedule(monitor.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REHEARSAL_RETRY_MILLIS), holdRehearsalTask);
  }

  /** Every connection of this pool to a server that is going down: condemned, and evicted from HikariCP. */
  void hostDown(HostState host, long effectiveNanos) {
    List<GuardedConnection> condemned = new ArrayList<>();
    boolean onHost = false;
    for (GuardedConnection c : connections) {
      if (c.host != host) {
        continue;
      }
      onHost = true;
      if (c.hostEpoch != host.epoch() && STATE.compareAndSet(c, GuardedConnection.ALIVE, GuardedConnection.CONDEMNED)) {
        condemned.add(c);
      }
    }
    if (!onHost) {
      return;
    }
    recovery.deathSeen();
    levers.evictAll();
    levers.release(host); // what this pool held for the host: condemned now, so evicted
    // Reported once HikariCP has them marked: the lag is the time until no borrower can receive them.
    List<EvictionEvent> events = new ArrayList<>(condemned.size());
    for (GuardedConnection c : condemned) {
      events.add(event(c, EvictionReason.HOST_DOWN, TcpState.ESTABLISHED, effectiveNanos));
    }
    publish(events);
  }

  private void rewatch(GuardedConnection g) {
    try {
      monitor.watch(g.socket, this, g);
    } catch (IOException | RuntimeException e) {
      Once.warn(LOG, "rewatch:" + name(), "{} - Lifeline cannot watch {} -> {} again: {}", name(),
          g.socket.local(), g.socket.remote(), e.getMessage());
    }
  }

  private void abort(GuardedConnection g) {
    try {
      g.socket.abort();
    } catch (IOException e) {
      LOG.debug("{} - closing dead socket {} -> {} failed: {}", name(), g.socket.local(), g.socket.remote(),
          e.getMessage());
    }
  }

  private EvictionEvent event(GuardedConnection g, EvictionReason reason, TcpState state, long verdictNanos) {
    counts.get(reason).increment();
    SocketRecord s = g.socket;
    return new EvictionEvent(name(), s == null ? null : s.local(), s == null ? null : s.remote(), reason, state,
        verdictNanos, Duration.ofNanos(monitor.nanoTime() - verdictNanos));
  }

  private void publish(List<EvictionEvent> events) {
    if (events.isEmpty()) {
      return;
    }
    Events.submit(() -> {
      for (EvictionEvent e : events) {
        LOG.info("{} - Lifeline evicted connection {} -> {} ({}, kernel state {}), {} µs after the kernel's verdict",
            e.pool(), e.local(), e.remote(), e.reason(), e.state(), e.lagAfterVerdict().toNanos() / 1000);
        try {
          listener.onEviction(e);
        } catch (RuntimeException ex) {
          LOG.warn("{} - Lifeline eviction listener failed", e.pool(), ex);
        }
      }
    });
  }

  /** Loads what the first verdict needs before it comes, so that its handling is not slowed by class loading. */
  private static final class Warm {
    static void up() {
      // The holder's initialization does the work once per JVM.
    }

    static {
      try {
        Class.forName(DeathPolicy.class.getName());
        Class.forName(DeathPolicy.Death.class.getName());
        Class.forName(EvictionEvent.class.getName());
        Class.forName(Events.class.getName());
        Class.forName(HostState.class.getName());
        Class.forName(DeathPolicy.Exit.class.getName());
        Class.forName(DeathPolicy.WindowEnd.class.getName());
        Class.forName(HikariBag.class.getName()); // finds HikariCP's internals once
        Class.forName(HikariBag.Entry.class.getName());
        Class.forName(HikariLevers.class.getName() + "$Held");
        Class.forName(io.github.lifeline.internal.linux.DiagResult.class.getName());
      } catch (ClassNotFoundException e) {
        throw new ExceptionInInitializerError(e);
      }
    }
  }

  // --- view ---------------------------------------------------------------------------------------------------------

  @Override
  public List<SocketRecord> sockets() {
    List<SocketRecord> out = new ArrayList<>();
    for (GuardedConnection c : connections) {
      TunedSocket s = c.socket;
      if (s != null && s.isOpen()) {
        out.add(s);
      }
    }
    return out;
  }

  @Override
  public int watchedCount() {
    int n = 0;
    for (GuardedConnection c : connections) {
      TunedSocket s = c.socket;
      if (s != null && s.isOpen() && s.isWatched()) {
        n++;
      }
    }
    return n;
  }

  @Override
  public int mismatchedCount() {
    int n = 0;
    for (SocketRecord s : sockets()) {
      if (s.tuning().mismatched()) {
        n++;
      }
    }
    return n;
  }

  @Override
  public Map<EvictionReason, Long> evictionCounts() {
    Map<EvictionReason, Long> m = new EnumMap<>(EvictionReason.class);
    counts.forEach((r, n) -> m.put(r, n.sum()));
    return Collections.unmodifiableMap(m);
  }

  @Override
  public Optional<String> monitoringProblem() {
    return Optional.ofNullable(monitoringProblem);
  }

  /** The guard is done: the pool closed. Its connections are the pool's to close. */
  public void close() {
    closed = true;
    Pools.remove(this);
    levers.releaseAll();
  }

  /** Whether the guard is closed. */
  boolean isClosed() {
    return closed;
  }

  @Override
  public String toString() {
    return "LifelinePool(" + name() + ", " + connections.size() + " connections, " + settings + ")";
  }
}
