package io.github.lifeline.hikari;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.pool.HikariPool;
import io.github.lifeline.monitor.SocketMonitor;
import io.github.lifeline.socket.KernelState;
import io.github.lifeline.socket.Liveness;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.socket.SocketRegistry;
import io.github.lifeline.spi.DriverAdapter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.function.LongSupplier;
import javax.management.JMX;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lifeline's guard over one HikariCP pool: it watches every physical connection's socket through a
 * {@link SocketMonitor} and, on the kernel's verdict, takes the dead connections out of the pool before a borrower can
 * receive them.
 *
 * <p>On a verdict for one socket the guard:
 * <ol>
 *   <li>settles the siblings to the same host at once: each is looked up in the kernel (sock_diag, microseconds); one
 *       that is closed, or whose keepalive probes or retransmissions go unanswered, is dead too. No probe blocks a pool
 *       thread;</li>
 *   <li>closes each dead socket under its driver, so that a caller blocked on it fails now with SQLState 08xxx (which
 *       makes HikariCP evict it) and any later validation fails in microseconds;</li>
 *   <li>evicts each dead connection through HikariCP's public API: {@code softEvictConnections()} when no live
 *       connection is left in the pool; otherwise {@code evictConnection(proxy)} with the proxy of the connection's
 *       last borrow, and for a connection never borrowed through Lifeline a sweep that borrows the idle connections
 *       once (HikariCP drops the dead ones itself, in microseconds, because their sockets are closed). HikariCP
 *       refills the pool after each close ({@code fillPool}), not after its 30 s housekeeper.</li>
 * </ol>
 * Without a handle on the {@link HikariDataSource} (a plain {@link HikariConfig} given to {@code Lifeline.install}),
 * the guard reaches the pool through its JMX bean, which offers {@code softEvictConnections()} only: a whole dead pool
 * is evicted at once; a partly dead one has its dead sockets closed, and HikariCP drops them at their next borrow.
 */
public final class PoolGuard implements SocketMonitor.Listener, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PoolGuard.class);
  private static final long SWEEP_BORROW_TIMEOUT_MS = 20;

  private final HikariConfig config;
  private final DriverAdapter adapter;
  private final EvictionListener listener;
  private final ThreadFactory threadFactory;
  private final LongSupplier nanoTime;
  private final Map<Connection, SocketRecord> recordByPhysical = Collections.synchronizedMap(new IdentityHashMap<>());
  private final Map<SocketRecord, Connection> proxyByRecord = Collections.synchronizedMap(new IdentityHashMap<>());
  private final Set<Connection> aborted = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
  private volatile HikariDataSource dataSource;
  private volatile long recoveringUntilNanos;
  private SocketMonitor monitor;
  private volatile boolean closed;

  /**
   * @param config the pool's configuration (its pool name is read when needed: HikariCP generates one at start)
   * @param adapter the driver's adapter
   * @param listener receives every eviction
   * @param threadFactory makes the monitor thread, or {@code null} for a daemon named {@code lifeline-monitor-<pool>}
   * @param nanoTime the clock, normally {@code System::nanoTime}
   */
  public PoolGuard(HikariConfig config, DriverAdapter adapter, EvictionListener listener, ThreadFactory threadFactory,
      LongSupplier nanoTime) {
    this.config = config;
    this.adapter = adapter;
    this.listener = listener;
    this.threadFactory = threadFactory;
    this.nanoTime = nanoTime;
  }

  /** The pool's name, as HikariCP knows it. */
  public String poolName() {
    String n = config.getPoolName();
    return n == null ? "(unnamed pool)" : n;
  }

  /** Gives the guard the pool itself, for per-connection eviction. */
  public void attach(HikariDataSource pool) {
    this.dataSource = pool;
  }

  /** How many sockets are watched now. */
  public synchronized int watchedCount() {
    return monitor == null ? 0 : monitor.watchedCount();
  }

  /**
   * Starts watching a new physical connection's socket. Called for every connection the pool creates.
   *
   * @throws SQLException if the connection's socket is not a Lifeline socket (the socket factory was replaced)
   */
  public void register(Connection physical) throws SQLException {
    Socket socket = adapter.socketOf(physical).orElseThrow(() -> new SQLException(poolName()
        + " - Lifeline cannot find the socket of " + physical.getClass().getName()));
    SocketRecord record = SocketRegistry.global().find(socket).orElse(null);
    if (record == null) {
      if (!socket.isClosed()) {
        throw new SQLException(poolName() + " - Lifeline: socket " + socket.getLocalSocketAddress() + " -> "
            + socket.getRemoteSocketAddress() + " was not opened by Lifeline's socket factory; is the driver's "
            + "socketFactory property overridden?", "08001");
      }
      return;
    }
    recordByPhysical.put(physical, record);
    try {
      boolean open = record.whileOpen(r -> { }, r -> {
        recordByPhysical.remove(physical);
        proxyByRecord.remove(r);
      });
      if (open) {
        watch(record);
      }
    } catch (IOException e) {
      throw new SQLException(poolName() + " - Lifeline cannot watch socket " + record.local() + " -> "
          + record.remote() + ": " + e.getMessage(), "08001", e);
    }
  }

  private synchronized void watch(SocketRecord record) throws IOException {
    if (closed) {
      return;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
      if (monitor == null || !monitor.isRunning()) {
        String name = poolName();
        monitor = new SocketMonitor(name, this, threadFactory != null ? threadFactory
            : SocketMonitor.daemonThreads(name), nanoTime, true);
      }
      if (monitor.watch(record) != SocketMonitor.WatchResult.MONITOR_STOPPED) {
        return;
      }
    }
    throw new IOException("the monitor stopped twice while starting to watch");
  }

  /**
   * Whether a connection of the pool died recently (within the pool's connection timeout). While it has, new connections
   * that the server refuses are retried quickly ({@link PhysicalDataSource}) instead of through HikariCP's exponential
   * backoff, so the pool refills as soon as the server accepts again.
   */
  public boolean recovering() {
    long until = recoveringUntilNanos;
    return until != 0 && nanoTime.getAsLong() - until < 0 && !closed;
  }

  /** A new connection succeeded: the host is back. */
  void recovered() {
    recoveringUntilNanos = 0;
  }

  /** Remembers the proxy of a borrow, so that the connection can be evicted precisely later. */
  public void borrowed(Connection proxy) throws SQLException {
    Connection physical = proxy.unwrap(Connection.class);
    SocketRecord r = recordByPhysical.get(physical);
    if (r != null) {
      proxyByRecord.put(r, proxy);
    }
  }

  @Override
  public void onDead(SocketMonitor.Verdict verdict) {
    SocketRecord first = verdict.record();
    if (closingByOwner(first) || (verdict.state().established() && verdict.reason().equals("peer-closed"))) {
      // The pool or the driver is closing this connection itself; a peer's FIN would have left CLOSE_WAIT.
      return;
    }
    abortNow(first); // first of all, so that a borrower who gets it meanwhile fails fast or is refused it

    Map<SocketRecord, String> reasons = new LinkedHashMap<>();
    Map<SocketRecord, KernelState> states = new LinkedHashMap<>();
    reasons.put(first, verdict.reason());
    states.put(first, verdict.state());
    List<SocketRecord> watched;
    synchronized (this) {
      watched = monitor == null ? List.of() : monitor.watchedSockets();
    }
    int alive = 0;
    for (SocketRecord s : watched) {
      if (!s.remote().equals(first.remote())) {
        alive++;
        continue;
      }
      KernelState st;
      try {
        st = s.kernelState();
      } catch (IOException e) {
        LOG.warn("{} - Lifeline cannot read the kernel state of {} -> {}: {}", poolName(), s.local(), s.remote(),
            e.getMessage());
        alive++;
        continue;
      }
      if (st.liveness() == Liveness.ALIVE) {
        alive++;
      } else {
        reasons.put(s, st.liveness() == Liveness.DEAD ? "peer-closed" : "host-dead");
        states.put(s, st);
      }
    }
    evict(reasons, states, alive == 0, verdict.detectedNanos());
  }

  private void evict(Map<SocketRecord, String> reasons, Map<SocketRecord, KernelState> states, boolean wholePool,
      long verdictNanos) {
    Map<SocketRecord, Connection> proxies = new LinkedHashMap<>();
    for (SocketRecord r : reasons.keySet()) {
      proxies.put(r, proxyByRecord.get(r));
      abortNow(r);
    }
    HikariDataSource ds = dataSource;
    List<SocketRecord> unevicted = new ArrayList<>();
    recoveringUntilNanos = nanoTime.getAsLong() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(
        Math.max(1000, config.getConnectionTimeout()));
    if (wholePool) {
      softEvictAll(ds);
    } else {
      for (Map.Entry<SocketRecord, Connection> e : proxies.entrySet()) {
        if (ds != null && e.getValue() != null) {
          ds.evictConnection(e.getValue());
        } else {
          unevicted.add(e.getKey());
        }
      }
      if (!unevicted.isEmpty()) {
        if (ds != null) {
          sweep(ds);
        } else {
          LOG.debug("{} - Lifeline closed {} dead idle connection(s); without a handle on the pool HikariCP drops "
              + "them at their next borrow", poolName(), unevicted.size());
        }
      }
    }
    Duration lag = Duration.ofNanos(nanoTime.getAsLong() - verdictNanos);
    for (SocketRecord r : reasons.keySet()) {
      EvictionEvent event = new EvictionEvent(poolName(), r.local(), r.remote(), reasons.get(r),
          states.get(r).tcpState(), lag);
      LOG.info("{} - Lifeline evicted connection {} -> {} ({}, kernel state {}), {} µs after the kernel's verdict",
          poolName(), r.local(), r.remote(), event.reason(), event.kernelState(), lag.toNanos() / 1000);
      try {
        listener.onEviction(event);
      } catch (RuntimeException ex) {
        LOG.warn("{} - Lifeline eviction listener failed", poolName(), ex);
      }
    }
  }

  /**
   * Whether the verdict is the answer to the pool's own close (HikariCP retiring or shutting down the connection: the
   * driver sent its goodbye, the server closed its side). Such a connection is no eviction.
   */
  private boolean closingByOwner(SocketRecord r) {
    if (closed || r.shutDownByOwner()) {
      return true;
    }
    Connection physical = physicalOf(r);
    if (physical == null) {
      return true; // its socket is already closed and unregistered
    }
    try {
      return physical.isClosed();
    } catch (SQLException e) {
      return false;
    }
  }

  private void abortNow(SocketRecord r) {
    Connection physical = physicalOf(r);
    if (physical != null) {
      aborted.add(physical);
    }
    try {
      r.abort();
    } catch (IOException e) {
      LOG.debug("{} - closing dead socket {} -> {} failed: {}", poolName(), r.local(), r.remote(), e.getMessage());
    }
  }

  /**
   * Whether a connection just borrowed is one Lifeline already found dead (its verdict came while HikariCP was handing
   * it out). {@code LifelineDataSource} then evicts it and borrows again, so the caller never receives it.
   */
  public boolean isKnownDead(Connection proxy) throws SQLException {
    Connection physical = proxy.unwrap(Connection.class);
    if (aborted.contains(physical)) {
      return true;
    }
    SocketRecord r = recordByPhysical.get(physical);
    return r != null && r.isClosed();
  }

  private Connection physicalOf(SocketRecord r) {
    synchronized (recordByPhysical) {
      for (Map.Entry<Connection, SocketRecord> e : recordByPhysical.entrySet()) {
        if (e.getValue() == r) {
          return e.getKey();
        }
      }
    }
    return null;
  }

  private void softEvictAll(HikariDataSource ds) {
    try {
      HikariPoolMXBean bean = ds != null ? ds.getHikariPoolMXBean() : jmxBean();
      if (bean != null) {
        bean.softEvictConnections();
      }
    } catch (RuntimeException e) {
      LOG.warn("{} - Lifeline could not evict the pool's connections: {}", poolName(), e.toString());
    }
  }

  private HikariPoolMXBean jmxBean() {
    try {
      ObjectName name = new ObjectName("com.zaxxer.hikari:type=Pool (" + poolName() + ")");
      return JMX.newMXBeanProxy(ManagementFactory.getPlatformMBeanServer(), name, HikariPoolMXBean.class);
    } catch (javax.management.MalformedObjectNameException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Borrows each idle connection once. HikariCP validates the ones idle longer than its bypass window itself and drops
   * the dead ones (their sockets are closed: microseconds); a dead one it hands over unchecked is evicted here.
   */
  private void sweep(HikariDataSource ds) {
    if (!(ds.getHikariPoolMXBean() instanceof HikariPool)) {
      return;
    }
    HikariPool pool = (HikariPool) ds.getHikariPoolMXBean();
    List<Connection> keep = new ArrayList<>();
    try {
      int idle = pool.getIdleConnections();
      for (int i = 0; i < idle; i++) {
        Connection c;
        try {
          c = pool.getConnection(SWEEP_BORROW_TIMEOUT_MS);
        } catch (SQLException e) {
          break;
        }
        if (aborted.contains(c.unwrap(Connection.class))) {
          ds.evictConnection(c);
        } else {
          borrowed(c);
          keep.add(c);
        }
      }
    } catch (SQLException | RuntimeException e) {
      LOG.debug("{} - Lifeline sweep stopped: {}", poolName(), e.toString());
    } finally {
      for (Connection c : keep) {
        try {
          c.close();
        } catch (SQLException e) {
          LOG.debug("{} - returning a swept connection failed: {}", poolName(), e.toString());
        }
      }
    }
  }

  /** Stops the monitor; the pool's sockets are left to the pool. */
  @Override
  public void close() {
    SocketMonitor m;
    synchronized (this) {
      closed = true;
      m = monitor;
      monitor = null;
    }
    if (m != null) {
      m.close(); // outside the lock: the monitor thread may be waiting for it in onDead
    }
  }
}
