package io.github.lifeline.drill.run;

import com.zaxxer.hikari.HikariPoolMXBean;
import io.github.lifeline.testkit.Borrower;
import io.github.lifeline.testkit.DeathWatch;
import io.github.lifeline.testkit.TcpDiag;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches both pools of a scenario from outside, the same way: every connection's socket on the drill's own
 * {@link DeathWatch} (the kernel's clock for its death), the pre-fault sockets' closing by their owner, the borrowers'
 * new connections, and HikariCP's own counts every 5 ms.
 */
final class Observer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Observer.class);
  private static final long TICK_MILLIS = 5;

  /** One pool under observation. */
  static final class Pool {
    final String name;
    final HikariPoolMXBean bean;
    final Borrower borrower;
    final List<Tracked> conns = new CopyOnWriteArrayList<>();
    final List<Observed.PoolSample> samples = new CopyOnWriteArrayList<>();
    int scanned;

    Pool(String name, HikariPoolMXBean bean, Borrower borrower) {
      this.name = name;
      this.bean = bean;
      this.borrower = borrower;
    }

    Observed.Side observed(Observed.Held held, Long lifelineVerdictNanos, Map<Integer, Long> lifelineByPort) {
      List<Observed.Conn> out = new ArrayList<>();
      for (Tracked t : conns) {
        out.add(new Observed.Conn(t.port, t.preFault, t.firstSeen, t.verdictNanos(), t.verdictState(),
            t.closed < 0 ? null : t.closed, lifelineByPort.get(t.port)));
      }
      return new Observed.Side(name, out, borrower.samples(), borrower.inProgressSince(), held, List.copyOf(samples),
          lifelineVerdictNanos);
    }
  }

  /** One socket. */
  static final class Tracked {
    final int port;
    final boolean preFault;
    final long firstSeen;
    final Socket socket;
    final DeathWatch.Watched watched;
    final long cookie;
    volatile long closed = -1;
    /** The last poll that found it ESTABLISHED. */
    volatile long lastAlive;
    /** A verdict seen by polling (the owner closed the socket before the epoll event was collected). */
    volatile long polledVerdict = -1;
    volatile String polledState;
    /** Polling is over: a verdict, or the owner closed it first. */
    volatile boolean settled;

    Tracked(int port, boolean preFault, long firstSeen, Socket socket, DeathWatch.Watched watched, long cookie) {
      this.port = port;
      this.preFault = preFault;
      this.firstSeen = firstSeen;
      this.socket = socket;
      this.watched = watched;
      this.cookie = cookie;
      this.lastAlive = firstSeen;
    }

    /** The verdict: the epoll event's time, else the polled one; {@code null} without one. */
    Long verdictNanos() {
      Optional<DeathWatch.Verdict> v = watched == null ? Optional.empty()
          : watched.verdict().filter(DeathWatch.Verdict::peer);
      if (v.isPresent()) {
        return v.get().nanos();
      }
      return polledVerdict > 0 ? polledVerdict : null;
    }

    String verdictState() {
      Optional<DeathWatch.Verdict> v = watched == null ? Optional.empty()
          : watched.verdict().filter(DeathWatch.Verdict::peer);
      return v.map(DeathWatch.Verdict::state).orElse(polledVerdict > 0 ? polledState + " (polled)" : null);
    }
  }

  private final InetSocketAddress server;
  private final DeathWatch watch;
  private final TcpDiag diag;
  private final List<Pool> pools = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;

  Observer(int serverPort) throws IOException {
    this.server = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), serverPort);
    this.watch = DeathWatch.start();
    try {
      this.diag = TcpDiag.open();
    } catch (IOException e) {
      watch.close();
      throw e;
    }
    this.thread = new Thread(this::loop, "drill-observer");
    thread.setDaemon(true);
  }

  /** Adds a pool with its connections as they are now (all borrowed by the caller, so each socket is known). */
  Pool add(String name, HikariPoolMXBean bean, Borrower borrower, List<Socket> preFault) throws IOException {
    Pool p = new Pool(name, bean, borrower);
    long now = System.nanoTime();
    for (Socket s : preFault) {
      InetSocketAddress local = (InetSocketAddress) s.getLocalSocketAddress();
      InetSocketAddress remote = (InetSocketAddress) s.getRemoteSocketAddress();
      Optional<DeathWatch.Watched> w = watch.watch(local, remote);
      if (w.isEmpty()) {
        throw new IOException(name + ": cannot watch the socket " + local + " -> " + remote);
      }
      p.conns.add(new Tracked(local.getPort(), true, now, s, w.get(), w.get().cookie()));
    }
    pools.add(p);
    return p;
  }

  void start() {
    thread.start();
  }

  private void loop() {
    long tick = 0;
    while (running) {
      long now = System.nanoTime();
      for (Pool p : pools) {
        try {
          p.samples.add(new Observed.PoolSample(now, p.bean.getTotalConnections(), p.bean.getActiveConnections(),
              p.bean.getIdleConnections(), p.bean.getThreadsAwaitingConnection()));
        } catch (RuntimeException e) {
          // the pool is closing
        }
        for (Tracked t : p.conns) {
          if (t.socket != null && t.closed < 0 && t.socket.isClosed()) {
            t.closed = now;
          }
          poll(t, now);
        }
        if (tick % 4 == 0) {
          discover(p);
        }
      }
      tick++;
      try {
        Thread.sleep(TICK_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /**
   * The fallback for a verdict whose epoll event was never collected: when the owner closes a socket microseconds
   * after the kernel's event (Lifeline does), the registration goes with the descriptor. Polling sock_diag then tells
   * what happened: a peer state ({@code CLOSE_WAIT}, {@code LAST_ACK}, {@code CLOSING}) or gone is the peer's or the
   * kernel's doing; {@code FIN_WAIT}/{@code TIME_WAIT} is the owner's own close. The time is the kernel's last ACK
   * received (the FIN carries one; jiffy resolution) where the socket is still there, else the last poll that saw it
   * alive: never later than the kernel's event.
   */
  private void poll(Tracked t, long now) {
    if (t.settled || t.watched == null) {
      return;
    }
    if (t.watched.verdict().isPresent()) {
      t.settled = true;
      return;
    }
    Optional<TcpDiag.TcpSocket> s;
    try {
      s = diag.find(t.watched.local(), t.watched.remote()).filter(x -> x.cookie() == t.cookie);
    } catch (IOException | RuntimeException e) {
      return;
    }
    if (s.isPresent() && s.get().established()) {
      t.lastAlive = now;
      return;
    }
    String state = s.map(TcpDiag.TcpSocket::state).orElse("GONE");
    if (state.startsWith("FIN_WAIT") || state.equals("TIME_WAIT")) {
      t.settled = true; // the owner closed it first
      return;
    }
    long at = t.lastAlive;
    if (s.isPresent() && s.get().info() != null) {
      at = Math.max(t.lastAlive, Math.min(now, now - s.get().info().lastAckRecvMillis() * 1_000_000L));
    }
    t.polledState = state;
    t.polledVerdict = at;
    t.settled = true;
  }

  /** Watches the sockets of the borrower's new connections (opened by the pool after the start). */
  private void discover(Pool p) {
    List<Borrower.Sample> samples = p.borrower.samples();
    for (int i = p.scanned; i < samples.size(); i++) {
      Borrower.Sample s = samples.get(i);
      if (s.localPort() <= 0) {
        continue;
      }
      Tracked latest = null;
      for (Tracked t : p.conns) {
        if (t.port == s.localPort() && (latest == null || t.firstSeen > latest.firstSeen)) {
          latest = t;
        }
      }
      try {
        if (latest != null) {
          boolean ended = latest.closed > 0 || latest.verdictNanos() != null;
          if (!ended) {
            continue;
          }
          // The port may have been reused by a new socket.
          InetSocketAddress local = new InetSocketAddress(server.getAddress(), s.localPort());
          Optional<TcpDiag.TcpSocket> now = diag.find(local, server);
          if (now.isEmpty() || now.get().cookie() == latest.cookie) {
            continue;
          }
        }
        InetSocketAddress local = new InetSocketAddress(server.getAddress(), s.localPort());
        Optional<DeathWatch.Watched> w = watch.watch(local, server);
        if (w.isPresent()) {
          p.conns.add(new Tracked(s.localPort(), false, s.borrowedNanos(), null, w.get(), w.get().cookie()));
        }
      } catch (IOException | RuntimeException e) {
        LOG.warn("{}: cannot watch the borrower's socket on port {}", p.name, s.localPort(), e);
      }
    }
    p.scanned = samples.size();
  }

  @Override
  public void close() {
    running = false;
    try {
      thread.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    watch.close();
    diag.close();
  }
}
