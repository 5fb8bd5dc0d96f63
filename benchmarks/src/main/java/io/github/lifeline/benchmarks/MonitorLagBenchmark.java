package io.github.lifeline.benchmarks;

import io.github.lifeline.LifelineSettings;
import io.github.lifeline.monitor.SocketMonitor;
import io.github.lifeline.socket.LifelineSocket;
import io.github.lifeline.socket.SocketRecord;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
 * Lag from the kernel's verdict on a socket to the {@link SocketMonitor}'s listener.
 *
 * <p>{@code connections} loopback connections are open, every client side a {@link LifelineSocket} watched by one
 * monitor; the server sides are in this process too. Each invocation closes the server side of one connection, with a
 * FIN ({@code close=FIN}) or a reset ({@code close=RST}, linger 0), and spins until the listener has received the
 * verdict for exactly that socket. The time measured therefore covers the {@code close} call (on loopback the kernel
 * delivers the FIN or RST to the client side within it), the epoll wake-up, the monitor's sock_diag confirmation and
 * the listener call. The used connection is replaced by a fresh one outside the measured path, in the next
 * invocation's setup; victims rotate over all connections.
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
  @Param({"10", "1000"})
  public int connections;

  /** How the peer closes. */
  @Param({"FIN", "RST"})
  public PeerClose close;

  private ServerSocket server;
  private SocketMonitor monitor;
  private Pair[] pairs;
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
    monitor = new SocketMonitor("bench", this::onDead, SocketMonitor.daemonThreads("bench"), System::nanoTime);
    pairs = new Pair[connections];
    for (int i = 0; i < connections; i++) {
      pairs[i] = open();
    }
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
    SocketMonitor.WatchResult result;
    try {
      result = monitor.watch(client.record());
    } catch (IOException | RuntimeException e) {
      pair.close();
      throw e;
    }
    if (result != SocketMonitor.WatchResult.WATCHED) {
      pair.close();
      throw new IllegalStateException("the monitor did not watch " + client.record() + ": " + result);
    }
    return pair;
  }

  /** On the monitor thread: releases the waiting benchmark thread if this is the verdict it waits for. */
  private void onDead(SocketMonitor.Verdict v) {
    synchronized (reasons) {
      reasons.merge(v.reason(), 1L, Long::sum);
    }
    if (awaited.get() == v.record()) {
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
    next = (next + 1) % connections;
    victim = pairs[used];
    if (close == PeerClose.RST) {
      victim.peer().setSoLinger(true, 0);
    }
    verdict = null;
    awaited.set(((LifelineSocket) victim.client()).record());
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
    monitor.close();
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
