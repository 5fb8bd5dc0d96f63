package io.github.lifeline.benchmarks;

import io.github.lifeline.LifelineSettings;
import io.github.lifeline.internal.linux.DescriptorLookup;
import io.github.lifeline.internal.socket.TunedSocket;
import io.github.lifeline.spi.LifelineSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How often the predicted descriptor of a {@link LifelineSocket} is wrong, so that its {@code connect} falls back to
 * scanning {@code /proc/self/fd}: several threads connect Lifeline sockets at once, optionally beside a thread that
 * opens and closes a file in a loop (or plain sockets), and the program reports {@link DescriptorLookup#counts()}.
 * Prints one JSON object per scenario on standard output; progress goes to standard error.
 *
 * <p>Each connector thread connects {@code connectsPerThread} Lifeline sockets (default settings) one after the other
 * to a loopback {@link ServerSocket} of this process and closes each with a reset right after {@code connect}
 * returned. An acceptor thread accepts the server sides; each connector closes its own server side after its client. {@code otherSockets}
 * idle connections (both ends here) are open throughout, so a fallback scan costs what it costs in a process with
 * that many descriptors.
 *
 * <p>Run it from the benchmarks jar:
 * {@code java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar io.github.lifeline.benchmarks.DescriptorRace}
 * with optional {@code threads=1,2,4,8 churn=none,files,sockets connectsPerThread=5000 otherSockets=0}.
 */
public final class DescriptorRace {

  private DescriptorRace() {
  }

  /**
   * Runs every combination of {@code threads} and {@code churn}.
   *
   * @param args {@code key=value} options: {@code threads}, {@code churn}, {@code connectsPerThread},
   *     {@code otherSockets}
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (String a : args) {
      int eq = a.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("expected key=value, got '" + a + "'");
      }
      options.put(a.substring(0, eq), a.substring(eq + 1));
    }
    int[] threadCounts = Arrays.stream(options.getOrDefault("threads", "1,2,4,8").split(","))
        .mapToInt(Integer::parseInt).toArray();
    String[] churns = options.getOrDefault("churn", "none,files,sockets").split(",");
    int perThread = Integer.parseInt(options.getOrDefault("connectsPerThread", "5000"));
    int otherSockets = Integer.parseInt(options.getOrDefault("otherSockets", "0"));
    for (String churn : churns) {
      if (!List.of("none", "files", "sockets").contains(churn)) {
        throw new IllegalArgumentException("churn must be none, files or sockets, got '" + churn + "'");
      }
    }

    try (ServerSocket server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress())) {
      SocketAddress address = server.getLocalSocketAddress();
      List<Pair> others = new ArrayList<>();
      try {
        for (int i = 0; i < otherSockets / 2; i++) {
          Socket c = new Socket();
          c.connect(address, 5000);
          others.add(new Pair(c, server.accept()));
        }
        Path file = Files.createTempFile("descriptor-race", ".tmp");
        try {
          for (String churn : churns) {
            for (int threads : threadCounts) {
              System.out.println(run(server, address, file, threads, churn, perThread, otherSockets));
            }
          }
        } finally {
          Files.deleteIfExists(file);
        }
      } finally {
        others.forEach(Pair::close);
      }
    }
  }

  private static String run(ServerSocket server, SocketAddress address, Path file, int threads, String churn,
      int perThread, int otherSockets) throws Exception {
    System.err.printf("threads=%d churn=%s ...%n", threads, churn);
    LifelineSettings settings = LifelineSettings.defaults();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong churnRounds = new AtomicLong();
    AtomicLong failures = new AtomicLong();
    List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());

    // Server sides by their client's port: each connector closes its own server side after its client, so no reset
    // reaches a client that is still being tuned.
    Map<Integer, Socket> accepted = new ConcurrentHashMap<>();
    Thread acceptor = new Thread(() -> {
      try {
        server.setSoTimeout(200);
        while (!stop.get()) {
          try {
            Socket peer = server.accept();
            accepted.put(peer.getPort(), peer);
          } catch (java.net.SocketTimeoutException idle) {
            // check stop
          }
        }
      } catch (IOException e) {
        errors.add("acceptor: " + e);
      }
    }, "race-acceptor");
    acceptor.start();

    Thread churner = null;
    if (!churn.equals("none")) {
      churner = new Thread(() -> {
        try {
          while (!stop.get()) {
            if (churn.equals("files")) {
              try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
                c.size();
              }
            } else {
              try (Socket s = new Socket()) {
                s.getSoTimeout(); // creates the socket's descriptor; closed at once
              }
            }
            churnRounds.incrementAndGet();
          }
        } catch (IOException e) {
          errors.add("churn: " + e);
        }
      }, "race-churn");
      churner.start();
    }

    DescriptorLookup.Counts start = DescriptorLookup.counts();
    long[][] nanos = new long[threads][perThread];
    List<Thread> connectors = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      long[] mine = nanos[t];
      Thread c = new Thread(() -> {
        for (int i = 0; i < perThread; i++) {
          long begin = System.nanoTime();
          LifelineSocket s = new LifelineSocket(settings, "race");
          try {
            s.connect(address, 5000);
            mine[i] = System.nanoTime() - begin;
            TunedSocket r = (TunedSocket) s.record().orElse(null);
            if (r == null || r.fd() < 0 || !r.tuning().allMatch()) {
              failures.incrementAndGet(); // tuning fails open: a connect without its descriptor still succeeds
              errors.add("not fully tuned: " + r);
            }
          } catch (IOException e) {
            failures.incrementAndGet();
            errors.add("connect: " + e);
          } finally {
            int port = s.getLocalPort();
            Pair.reset(s);
            Socket peer;
            while ((peer = accepted.remove(port)) == null && port > 0 && !stop.get()) {
              Thread.onSpinWait();
            }
            Pair.reset(peer);
          }
        }
      }, "race-connector-" + t);
      connectors.add(c);
      c.start();
    }
    for (Thread c : connectors) {
      c.join();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    DescriptorLookup.Counts counts = DescriptorLookup.counts().since(start);
    stop.set(true);
    if (churner != null) {
      churner.join();
    }
    acceptor.join();
    accepted.values().forEach(Pair::reset);

    long[] all = Arrays.stream(nanos).flatMapToLong(Arrays::stream).filter(n -> n > 0).sorted().toArray();
    double meanMicros = Arrays.stream(all).average().orElse(0) / 1e3;
    return String.format(Locale.ROOT, "{\"threads\": %d, \"churn\": \"%s\", \"otherSockets\": %d, "
        + "\"connects\": %d, \"failed\": %d, \"lookups\": %d, \"exact\": %d, \"nearby\": %d, \"missed\": %d, "
        + "\"unpredicted\": %d, \"scanPercent\": %.3f, \"churnRoundsPerSecond\": %.0f, \"seconds\": %.2f, "
        + "\"connectMeanMicros\": %.1f, \"connectP50Micros\": %.1f, \"connectP99Micros\": %.1f, "
        + "\"loadAverage\": \"%s\", \"errors\": %s}",
        threads, churn, otherSockets, (long) threads * perThread, failures.get(), counts.lookups(), counts.exact(),
        counts.nearby(), counts.missed(), counts.unpredicted(), 100.0 * counts.scans() / Math.max(1, counts.lookups()),
        churnRounds.get() / seconds, seconds, meanMicros, percentile(all, 0.50) / 1e3, percentile(all, 0.99) / 1e3,
        loadAverage(), errors.isEmpty() ? "[]" : "[\"" + String.join("\", \"", errors.subList(0,
            Math.min(5, errors.size()))).replace("\\", "\\\\") + "\"]");
  }

  private static double percentile(long[] sorted, double q) {
    return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "unknown";
    }
  }
}
