package io.github.lifeline.benchmarks;

import io.github.lifeline.LifelineSettings;
import io.github.lifeline.internal.linux.Epoll;
import io.github.lifeline.internal.monitor.SocketMonitor;
import io.github.lifeline.internal.socket.TunedSocket;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.spi.LifelineSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Lag from the kernel's verdict on a socket to the {@link SocketMonitor}'s listener of the socket's pool.
 *
 * <p>{@code connections} loopback connections are open, every client side a {@link LifelineSocket} watched by one
 * monitor (one per JVM, as in production), spread over {@code pools} listeners, one per pool; each listener reads the
 * socket's state through the monitor's netlink channel, as a pool's guard does to classify a verdict. The server
 * sides are in this process too. Each invocation closes the server side of one connection, with a
 * FIN ({@code close=FIN}) or a reset ({@code close=RST}, linger 0), and spins until the listener has received the
 * verdict for exactly that socket. The time measured therefore covers the {@code close} call (on loopback the kernel
 * delivers the FIN or RST to the client side within it), the epoll wake-up, the monitor's sock_diag confirmation and
 * the listener call. The used connection is replaced by a fresh one outside the measured path, in the next
 * invocation's setup; victims rotate over all connections.
 *
 * <p>Above {@value #IN_PROCESS} connections, only {@value #IN_PROCESS} (the victims) have their server side in this
 * process; the others connect to a {@link PeerServer} in a child JVM, are watched the same way, spread over the same
 * listeners, and stay open: the monitor watches {@code connections} sockets in all, and this process needs one
 * descriptor per connection plus two per victim (within {@code ulimit -n} 20000).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class MonitorLagBenchmark {

  /** How the peer closes its side. */
  public enum PeerClose {
    /** An orderly close: FIN; the monitor sees peer-closed. */
    FIN,
    /** An abortive close (SO_LINGER 0): RST; the monitor sees reset-or-timeout. */
    RST
  }

  /** Open watched connections. */
  @Param({"1000", "10000"})
  public int connections;

  /** How the peer closes. */
  @Param({"FIN", "RST"})
  public PeerClose close;

  /** How many pools (listeners) the connections are spread over. */
  @Param({"1", "200"})
  public int pools;

  /** Connections with both ends in this process, the victims; the rest are held by the peer process. */
  static final int IN_PROCESS = 1000;

  private SocketMonitor.Listener[] listeners;
  private PeerProcess peers;
  private final List<LifelineSocket> background = new ArrayList<>();

  private ServerSocket server;
  private SocketMonitor monitor;
  private Pair[] pairs;
  private int opened;
  private int next;
  private int used = -1;
  private Pair victim;

  private final AtomicReference<SocketRecord> awaited = new AtomicReference<>();
  private volatile SocketMonitor.Verdict verdict;
  private final Map<String, Long> reasons = new TreeMap<>();
  private long stray;

  /** Opens the listener, the monitor and the connections. */
  @Setup(Level.Trial)
  public void setUp() throws IOException {
    server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
    monitor = new SocketMonitor(SocketMonitor.daemonThreads(), System::nanoTime);
    listeners = new SocketMonitor.Listener[pools];
    for (int i = 0; i < pools; i++) {
      listeners[i] = v -> {
        try {
          monitor.kernelState(v.socket()); // a guard classifies the verdict with one lookup
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
        onDead(v);
      };
    }
    int victims = Math.min(connections, IN_PROCESS);
    if (connections > victims) {
      peers = PeerProcess.start();
      for (int i = victims; i < connections; i++) {
        LifelineSocket client = new LifelineSocket(LifelineSettings.defaults(), "bench");
        background.add(client);
        client.connect(peers.address(), 5000);
        if (monitor.watch(tuned(client), listeners[opened++ % pools], null).isEmpty()) {
          throw new IllegalStateException("the monitor did not watch " + client.record());
        }
      }
      try {
        peers.awaitHeld(connections - victims, 60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
    }
    pairs = new Pair[victims];
    for (int i = 0; i < victims; i++) {
      pairs[i] = open();
    }
    System.out.println("watched: " + monitor.watchedCount() + " sockets over " + pools + " listeners ("
        + background.size() + " held by peer process " + (peers == null ? "-" : peers.pid()) + ")");
  }

  private Pair open() throws IOException {
    LifelineSocket client = new LifelineSocket(LifelineSettings.defaults(), "bench");
    try {
      client.connect(server.getLocalSocketAddress(), 5000);
    } catch (IOException e) {
      Pair.closeQuietly(client);
      throw e;
    }
    Pair pair = new Pair(client, server.accept());
    boolean watched;
    try {
      watched = monitor.watch(tuned(client), listeners[opened++ % pools], null).isPresent();
    } catch (IOException | RuntimeException e) {
      pair.close();
      throw e;
    }
    if (!watched) {
      pair.close();
      throw new IllegalStateException("the monitor did not watch " + client.record());
    }
    return pair;
  }

  static TunedSocket tuned(LifelineSocket s) {
    return (TunedSocket) s.record().orElseThrow(() -> new IllegalStateException("not tuned: " + s));
  }

  /** On the monitor thread: releases the waiting benchmark thread if this is the verdict it waits for. */
  private void onDead(SocketMonitor.Verdict v) {
    synchronized (reasons) {
      reasons.merge((v.events() & (Epoll.EPOLLERR | Epoll.EPOLLHUP)) != 0 ? "reset-or-timeout" : "peer-closed", 1L,
          Long::sum);
    }
    if (awaited.get() == v.socket()) {
      verdict = v;
      awaited.set(null);
    } else {
      synchronized (reasons) {
        stray++;
      }
    }
  }

  /** Outside the measurement: replaces the connection used last and arms the next victim. */
  @Setup(Level.Invocation)
  public void arm() throws IOException {
    if (used >= 0) {
      pairs[used].close();
      pairs[used] = open();
    }
    used = next;
    next = (next + 1) % pairs.length;
    victim = pairs[used];
    if (close == PeerClose.RST) {
      victim.peer().setSoLinger(true, 0);
    }
    verdict = null;
    awaited.set(tuned((LifelineSocket) victim.client()));
  }

  /** Closes one peer and waits for the monitor's verdict on the client side. */
  @Benchmark
  public SocketMonitor.Verdict peerCloseToVerdict() throws IOException {
    victim.peer().close();
    long deadline = 0;
    for (int spins = 0; awaited.get() != null; spins++) {
      if ((spins & 0xffff) == 0xffff) {
        long now = System.nanoTime();
        if (deadline == 0) {
          deadline = now + TimeUnit.SECONDS.toNanos(5);
        } else if (now > deadline) {
          throw new IllegalStateException("no verdict within 5 s for " + awaited.get());
        }
      }
      Thread.onSpinWait();
    }
    return verdict;
  }

  /** Reports what the monitor saw, then closes everything. */
  @TearDown(Level.Trial)
  public void tearDown() {
    long strays;
    synchronized (reasons) {
      strays = stray;
      System.out.println("monitor verdicts by reason: " + reasons + ", for another socket than awaited: " + stray
          + ", still watched: " + monitor.watchedCount());
    }
    for (Pair p : pairs) {
      if (p != null) {
        p.close();
      }
    }
    for (LifelineSocket c : background) {
      Pair.closeQuietly(c);
    }
    background.clear();
    if (peers != null) {
      peers.close();
      peers = null;
    }
    monitor.shutdown();
    try {
      server.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
    if (strays != 0) {
      throw new IllegalStateException(strays + " verdicts for sockets that were not closed by the benchmark");
    }
  }
}
