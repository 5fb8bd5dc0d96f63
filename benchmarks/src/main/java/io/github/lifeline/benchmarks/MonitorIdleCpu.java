package io.github.lifeline.benchmarks;

import io.github.lifeline.LifelineSettings;
import io.github.lifeline.internal.linux.DiagResult;
import io.github.lifeline.internal.linux.LinuxSockets;
import io.github.lifeline.internal.linux.SockDiag;
import io.github.lifeline.internal.linux.TcpInfo;
import io.github.lifeline.internal.monitor.SocketMonitor;
import io.github.lifeline.internal.socket.TunedSocket;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.socket.TcpState;
import io.github.lifeline.spi.LifelineSocket;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * CPU cost of a {@link SocketMonitor} watching many healthy sockets, and, for comparison, the cost of one polling sweep
 * over the same sockets with sock_diag and with TCP_INFO. Prints one JSON object on standard output; progress goes to
 * standard error.
 *
 * <p>The client sides ({@link LifelineSocket}s, all watched by one monitor) are in this process; the server sides are
 * held by a {@link PeerServer} child process, so 10 000 connections need 10 000 descriptors here, not 20 000. The idle
 * measurement reads the CPU time of the {@code lifeline-monitor} thread ({@link ThreadMXBean#getThreadCpuTime}) and
 * of the whole process ({@code OperatingSystemMXBean.getProcessCpuTime}) before and after the main thread sleeps, and
 * reports each as a percentage of one core. A baseline of the same JVM before any socket was opened is measured the
 * same way.
 *
 * <p>This is a plain program rather than a JMH benchmark because the quantity is CPU over wall time while nothing
 * happens, not the duration of an operation. Run it from the benchmarks jar:
 * {@code java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar io.github.lifeline.benchmarks.MonitorIdleCpu}
 * with optional {@code sockets=10000 idleSeconds=10 sweeps=20 connectThreads=2}.
 */
public final class MonitorIdleCpu {

  private MonitorIdleCpu() {
  }

  /**
   * Runs the measurement.
   *
   * @param args {@code key=value} options: {@code sockets}, {@code idleSeconds}, {@code sweeps},
   *     {@code connectThreads}
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (String a : args) {
      int eq = a.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("expected key=value, got " + a);
      }
      options.put(a.substring(0, eq), a.substring(eq + 1));
    }
    int sockets = Integer.parseInt(options.getOrDefault("sockets", "10000"));
    int idleSeconds = Integer.parseInt(options.getOrDefault("idleSeconds", "10"));
    int sweeps = Integer.parseInt(options.getOrDefault("sweeps", "20"));
    int connectThreads = Integer.parseInt(options.getOrDefault("connectThreads", "2"));
    System.out.println(new MonitorIdleCpu().run(sockets, idleSeconds, sweeps, connectThreads));
  }

  private String run(int sockets, int idleSeconds, int sweeps, int connectThreads) throws Exception {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    Json json = new Json();
    json.put("sockets", sockets);
    json.put("idleSeconds", idleSeconds);
    json.put("availableProcessors", Runtime.getRuntime().availableProcessors());
    json.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    json.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    json.put("loadAverageAtStart", loadAverage());

    log("baseline: the JVM idle for %d s before any socket is opened", idleSeconds);
    settle();
    Idle baseline = idle(os, threads, -1, idleSeconds);
    json.put("baselineProcessCpuPercent", baseline.processPercent());

    AtomicLong verdicts = new AtomicLong();
    List<LifelineSocket> clients = new ArrayList<>(sockets);
    SocketMonitor monitor = new SocketMonitor(SocketMonitor.daemonThreads(), System::nanoTime);
    try (PeerProcess peer = PeerProcess.start()) {
      log("peer process %d listens on %s; connecting %d sockets on %d threads", peer.pid(), peer.address(), sockets,
          connectThreads);
      long t0 = System.nanoTime();
      try {
        connect(peer.address(), monitor, verdicts, sockets, connectThreads, clients);
        peer.awaitHeld(sockets, 60_000);
        json.put("connectSeconds", (System.nanoTime() - t0) / 1e9);
        if (monitor.watchedCount() != sockets) {
          throw new IllegalStateException("the monitor watches " + monitor.watchedCount() + " sockets, expected "
              + sockets);
        }
        long monitorThread = monitorThreadId();

        log("idle: %d watched sockets for %d s", sockets, idleSeconds);
        settle();
        Idle idle = idle(os, threads, monitorThread, idleSeconds);
        json.put("monitorThreadCpuPercent", idle.monitorPercent());
        json.put("monitorThreadCpuMillis", idle.monitorCpuNanos() / 1e6);
        json.put("processCpuPercent", idle.processPercent());
        json.put("verdictsWhileIdle", verdicts.get());
        json.put("watchedAfterIdle", monitor.watchedCount());
        json.put("monitorRunningAfterIdle", String.valueOf(monitor.isRunning()));

        List<SocketRecord> records = new ArrayList<>();
        for (LifelineSocket c : clients) {
          records.add(c.record().orElseThrow());
        }
        log("polling sweeps: %d + 3 warm-up sweeps of %d sockets each, sock_diag then TCP_INFO", sweeps, sockets);
        try (SockDiag diag = SockDiag.open()) {
          json.putRaw("sockDiagSweep", sweep(threads, sweeps, records, r -> {
            Optional<DiagResult> d = diag.lookup(r.local(), r.remote(), r.cookie());
            return d.isPresent() && d.get().state() == TcpState.ESTABLISHED;
          }).toJson());
        }
        json.putRaw("tcpInfoSweep", sweep(threads, sweeps, records, r -> {
          TcpInfo info = LinuxSockets.tcpInfo(((TunedSocket) r).fd());
          return info.established();
        }).toJson());
      } finally {
        for (LifelineSocket c : clients) {
          Pair.closeQuietly(c);
        }
      }
      log("closed %d sockets; stopping peer process %d", clients.size(), peer.pid());
    } finally {
      monitor.shutdown();
    }
    json.put("loadAverageAtEnd", loadAverage());
    return json.toString();
  }

  private static void connect(InetSocketAddress address, SocketMonitor monitor, AtomicLong verdicts, int sockets,
      int connectThreads, List<LifelineSocket> clients) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(connectThreads);
    try {
      List<Future<?>> tasks = new ArrayList<>();
      AtomicLong remaining = new AtomicLong(sockets);
      long t0 = System.nanoTime();
      for (int t = 0; t < connectThreads; t++) {
        tasks.add(pool.submit(() -> {
          while (remaining.getAndDecrement() > 0) {
            LifelineSocket s = new LifelineSocket(LifelineSettings.defaults(), "bench");
            synchronized (clients) {
              clients.add(s);
              if (clients.size() % 1000 == 0) {
                log("  %d connected after %.1f s", clients.size(), (System.nanoTime() - t0) / 1e9);
              }
            }
            s.connect(address, 5000);
            if (monitor.watch((TunedSocket) s.record().orElseThrow(), v -> verdicts.incrementAndGet(), null).isEmpty()) {
              throw new IllegalStateException("not watched: " + s.record());
            }
          }
          return null;
        }));
      }
      for (Future<?> f : tasks) {
        f.get();
      }
    } finally {
      pool.shutdown();
      pool.awaitTermination(1, TimeUnit.MINUTES);
    }
  }

  private static long monitorThreadId() {
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().equals("lifeline-monitor")) {
        return t.getId();
      }
    }
    throw new IllegalStateException("no lifeline-monitor thread");
  }

  /** Lets JIT compilation and GC of the set-up finish before an idle measurement. */
  private static void settle() throws InterruptedException {
    System.gc();
    Thread.sleep(2000);
  }

  private record Idle(long wallNanos, long processCpuNanos, long monitorCpuNanos) {
    double processPercent() {
      return 100.0 * processCpuNanos / wallNanos;
    }

    double monitorPercent() {
      return 100.0 * monitorCpuNanos / wallNanos;
    }
  }

  private static Idle idle(com.sun.management.OperatingSystemMXBean os, ThreadMXBean threads, long monitorThread,
      int seconds) throws InterruptedException {
    long monitor0 = monitorThread < 0 ? 0 : threads.getThreadCpuTime(monitorThread);
    long process0 = os.getProcessCpuTime();
    long wall0 = System.nanoTime();
    Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
    long wall = System.nanoTime() - wall0;
    long process = os.getProcessCpuTime() - process0;
    long monitor = monitorThread < 0 ? 0 : threads.getThreadCpuTime(monitorThread) - monitor0;
    return new Idle(wall, process, monitor);
  }

  @FunctionalInterface
  private interface Probe {
    boolean healthy(SocketRecord r) throws IOException;
  }

  private record Sweep(double[] wallMillis, double[] cpuMillis, int sockets) {
    String toJson() {
      double[] sorted = wallMillis.clone();
      Arrays.sort(sorted);
      double mean = mean(wallMillis);
      Json j = new Json();
      j.put("sweeps", wallMillis.length);
      j.put("meanMillis", mean);
      j.put("stdevMillis", stdev(wallMillis, mean));
      j.put("minMillis", sorted[0]);
      j.put("medianMillis", sorted[sorted.length / 2]);
      j.put("maxMillis", sorted[sorted.length - 1]);
      j.put("meanCpuMillis", mean(cpuMillis));
      j.put("microsPerSocket", mean * 1000 / sockets);
      j.put("cpuMicrosPerSocket", mean(cpuMillis) * 1000 / sockets);
      j.put("corePercentIfEvery50ms", 100 * mean / 50);
      j.put("corePercentIfEvery1s", 100 * mean / 1000);
      return j.toString();
    }

    private static double mean(double[] v) {
      double s = 0;
      for (double x : v) {
        s += x;
      }
      return s / v.length;
    }

    private static double stdev(double[] v, double mean) {
      double s = 0;
      for (double x : v) {
        s += (x - mean) * (x - mean);
      }
      return v.length > 1 ? Math.sqrt(s / (v.length - 1)) : 0;
    }
  }

  private static Sweep sweep(ThreadMXBean threads, int sweeps, List<SocketRecord> records, Probe probe)
      throws IOException {
    double[] wall = new double[sweeps];
    double[] cpu = new double[sweeps];
    for (int i = -3; i < sweeps; i++) {
      long cpu0 = threads.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      int healthy = 0;
      for (SocketRecord r : records) {
        if (probe.healthy(r)) {
          healthy++;
        }
      }
      long t = System.nanoTime() - t0;
      long c = threads.getCurrentThreadCpuTime() - cpu0;
      if (healthy != records.size()) {
        throw new IllegalStateException(healthy + " of " + records.size() + " sockets are healthy");
      }
      if (i >= 0) {
        wall[i] = t / 1e6;
        cpu[i] = c / 1e6;
      }
    }
    return new Sweep(wall, cpu, records.size());
  }

  /** The first three fields of {@code /proc/loadavg}: runnable tasks averaged over 1, 5 and 15 minutes. */
  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static void log(String format, Object... args) {
    System.err.printf(Locale.ROOT, format + "%n", args);
  }

  /** A flat JSON object written by hand (numbers and strings only). */
  private static final class Json {
    private final StringBuilder sb = new StringBuilder("{");

    void put(String key, Object value) {
      String v;
      if (value instanceof Double) {
        v = String.format(Locale.ROOT, "%.4f", (Double) value);
      } else if (value instanceof Number) {
        v = value.toString();
      } else {
        v = '"' + String.valueOf(value).replace("\\", "\\\\").replace("\"", "\\\"") + '"';
      }
      putRaw(key, v);
    }

    void putRaw(String key, String rawValue) {
      if (sb.length() > 1) {
        sb.append(", ");
      }
      sb.append('"').append(key).append("\": ").append(rawValue);
    }

    @Override
    public String toString() {
      return sb + "}";
    }
  }
}
