import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.LifelineDataSource;

/**
 * A plain application: the stock pgjdbc driver, with or without Lifeline's socket factory, in a process that holds
 * many other socket descriptors (a busy service). It knows nothing of Lifeline but the driver property that names the
 * factory. Run with the single-file source launcher and only the published jars on the class path:
 * {@code java -cp <jars> ConnectTimeApp.java jdbc:postgresql://127.0.0.1:5432/postgres [key=value ...]}.
 *
 * <p>It opens {@code extraSockets} socket descriptors ({@code extraSockets / 2} idle loopback connections with both
 * ends in this process), then, after {@code warmup} rounds that are not counted, runs {@code rounds} rounds of three
 * JDBC connections in a rotating order: stock, Lifeline, and stock again as a control (the control's ratio to the
 * stock arm is the noise floor of the machine at that moment). Each time covers
 * {@code DriverManager.getConnection} only (TCP connect, startup, authentication); the connection is closed outside
 * the timing.
 *
 * <p>Then, with the same descriptors still open, the borrow path: a plain {@code HikariDataSource} and a
 * {@code LifelineDataSource} built from the same properties (the Lifeline one adds the factory and Lifeline's keys as
 * {@code dataSource.*}, as the README shows), each with {@code borrowThreads} threads doing {@code getConnection()}
 * then {@code close()}, in {@code borrowRounds} windows of {@code borrowMillis} ms per arm, rotating plain, Lifeline
 * and plain again as a control, after {@code borrowWarmupRounds} rounds that are not counted.
 *
 * <p>Prints one JSON object. Options: {@code rounds=300 warmup=1000 extraSockets=10000 user=postgres
 * password=postgres borrowThreads=4 borrowRounds=20 borrowMillis=500 borrowWarmupRounds=6}.
 */
public class ConnectTimeApp {

  static final String FACTORY = "io.github.lifeline.postgres.LifelineSocketFactory";

  public static void main(String[] args) throws Exception {
    String url = args[0];
    Map<String, String> o = new HashMap<>();
    for (String a : Arrays.copyOfRange(args, 1, args.length)) {
      o.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
    }
    int rounds = Integer.parseInt(o.getOrDefault("rounds", "300"));
    int warmup = Integer.parseInt(o.getOrDefault("warmup", "1000"));
    int extra = Integer.parseInt(o.getOrDefault("extraSockets", "10000"));

    Properties stock = new Properties();
    stock.setProperty("user", o.getOrDefault("user", "postgres"));
    stock.setProperty("password", o.getOrDefault("password", "postgres"));
    stock.setProperty("connectTimeout", "10");
    Properties lifeline = new Properties();
    lifeline.putAll(stock);
    // As the README's properties example, without the "dataSource." prefix of a HikariCP file.
    lifeline.setProperty("socketFactory", FACTORY);
    lifeline.setProperty("lifeline.keepaliveIdle", "30s");
    lifeline.setProperty("lifeline.keepaliveInterval", "5s");
    lifeline.setProperty("lifeline.keepaliveCount", "3");
    lifeline.setProperty("lifeline.userTimeout", "45s");

    String loadAtStart = loadAverage();
    List<Socket> others = new ArrayList<>();
    long[] stockNanos = new long[rounds];
    long[] lifelineNanos = new long[rounds];
    long[] controlNanos = new long[rounds];
    String ssStock;
    String ssLifeline;
    String borrow;
    long descriptors;
    try (ServerSocket server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress())) {
      for (int i = 0; i < extra / 2; i++) {
        Socket c = new Socket();
        c.connect(server.getLocalSocketAddress(), 5000);
        others.add(c);
        others.add(server.accept());
      }
      descriptors = descriptors();

      for (int i = 0; i < warmup; i++) {
        time(url, stock);
        time(url, lifeline);
      }
      // Three arms in a rotating order: stock, Lifeline, and stock again as a control, whose ratio to the first stock
      // arm shows how much of a difference this machine's noise alone makes.
      Properties[] arms = {stock, lifeline, stock};
      long[][] nanos = {stockNanos, lifelineNanos, controlNanos};
      for (int i = 0; i < rounds; i++) {
        for (int k = 0; k < 3; k++) {
          int arm = (i + k) % 3;
          nanos[arm][i] = time(url, arms[arm]);
        }
      }

      // What the kernel holds for one connection of each kind, seen from outside the JVM.
      int serverPort = Integer.parseInt(url.replaceAll(".*:(\\d+)/.*", "$1"));
      try (Connection s = DriverManager.getConnection(url, stock)) {
        ssStock = ss(s, serverPort);
      }
      try (Connection l = DriverManager.getConnection(url, lifeline)) {
        ssLifeline = ss(l, serverPort);
      }
      borrow = borrowPath(url, o, stock);
    } finally {
      for (Socket s : others) {
        s.close();
      }
    }

    System.out.printf(Locale.ROOT, "{\"java\": \"%s\", \"descriptorsOpen\": %d, \"extraSockets\": %d, "
            + "\"rounds\": %d, \"warmup\": %d,%n \"stockMillis\": %s,%n \"lifelineMillis\": %s,%n"
            + " \"controlMillis\": %s,%n \"lifelineToStock\": %s,%n \"controlToStock\": %s,%n"
            + " \"ssStock\": \"%s\",%n \"ssLifeline\": \"%s\",%n"
            + " \"borrowPath\": %s,%n"
            + " \"loadAverageAtStart\": \"%s\", \"loadAverageAtEnd\": \"%s\"}%n",
        System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"), descriptors, extra,
        rounds, warmup, stats(stockNanos), stats(lifelineNanos), stats(controlNanos), ratios(lifelineNanos, stockNanos),
        ratios(controlNanos, stockNanos), ssStock, ssLifeline, borrow, loadAtStart, loadAverage());
  }

  /** Borrow throughput of a plain HikariCP pool against a LifelineDataSource of the same configuration. */
  static String borrowPath(String url, Map<String, String> o, Properties driverProps) throws Exception {
    int threads = Integer.parseInt(o.getOrDefault("borrowThreads", "4"));
    int rounds = Integer.parseInt(o.getOrDefault("borrowRounds", "20"));
    int warmupRounds = Integer.parseInt(o.getOrDefault("borrowWarmupRounds", "6"));
    long millis = Long.parseLong(o.getOrDefault("borrowMillis", "500"));
    Properties plainProps = new Properties();
    plainProps.setProperty("jdbcUrl", url);
    plainProps.setProperty("username", driverProps.getProperty("user"));
    plainProps.setProperty("password", driverProps.getProperty("password"));
    plainProps.setProperty("maximumPoolSize", "16");
    plainProps.setProperty("minimumIdle", "16");
    Properties lifelineProps = new Properties();
    lifelineProps.putAll(plainProps);
    lifelineProps.setProperty("dataSource.socketFactory", FACTORY);
    lifelineProps.setProperty("dataSource.lifeline.keepaliveIdle", "30s");
    lifelineProps.setProperty("dataSource.lifeline.keepaliveInterval", "5s");
    lifelineProps.setProperty("dataSource.lifeline.keepaliveCount", "3");
    lifelineProps.setProperty("dataSource.lifeline.userTimeout", "45s");
    plainProps.setProperty("poolName", "plain");
    lifelineProps.setProperty("poolName", "lifeline");
    Properties controlProps = new Properties();
    controlProps.putAll(plainProps);
    controlProps.setProperty("poolName", "control");
    try (HikariDataSource plain = new HikariDataSource(new HikariConfig(plainProps));
        LifelineDataSource life = new LifelineDataSource(new HikariConfig(lifelineProps));
        HikariDataSource control = new HikariDataSource(new HikariConfig(controlProps))) {
      DataSource[] arms = {plain, life, control};
      double[][] opsPerSecond = new double[3][rounds];
      for (int r = -warmupRounds; r < rounds; r++) {
        for (int k = 0; k < 3; k++) {
          int arm = Math.floorMod(r + k, 3);
          double ops = borrowWindow(arms[arm], threads, millis);
          if (r >= 0) {
            opsPerSecond[arm][r] = ops;
          }
        }
      }
      double p = Arrays.stream(opsPerSecond[0]).average().orElse(0);
      double l = Arrays.stream(opsPerSecond[1]).average().orElse(0);
      double c = Arrays.stream(opsPerSecond[2]).average().orElse(0);
      return String.format(Locale.ROOT, "{\"threads\": %d, \"rounds\": %d, \"windowMillis\": %d, "
          + "\"plainOpsPerSecond\": %.0f, \"lifelineOpsPerSecond\": %.0f, \"controlOpsPerSecond\": %.0f, "
          + "\"lifelineToPlain\": %.3f, \"controlToPlain\": %.3f}", threads, rounds, millis, p, l, c, l / p, c / p);
    }
  }

  /** getConnection() + close() on {@code threads} threads for {@code millis} ms: borrows per second. */
  static double borrowWindow(DataSource ds, int threads, long millis) throws InterruptedException {
    LongAdder count = new LongAdder();
    AtomicBoolean stop = new AtomicBoolean();
    Thread[] workers = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      workers[t] = new Thread(() -> {
        long n = 0;
        try {
          while (!stop.get()) {
            ds.getConnection().close();
            n++;
          }
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        } finally {
          count.add(n);
        }
      });
    }
    long t0 = System.nanoTime();
    for (Thread w : workers) {
      w.start();
    }
    Thread.sleep(millis);
    stop.set(true);
    for (Thread w : workers) {
      w.join();
    }
    return count.sum() / ((System.nanoTime() - t0) / 1e9);
  }

  static String stats(long[] v) {
    return String.format(Locale.ROOT, "{\"mean\": %.3f, \"p50\": %.3f, \"p90\": %.3f, \"min\": %.3f}",
        mean(v) / 1e6, percentile(v, 0.5) / 1e6, percentile(v, 0.9) / 1e6, percentile(v, 0) / 1e6);
  }

  static String ratios(long[] a, long[] b) {
    return String.format(Locale.ROOT, "{\"ofMeans\": %.3f, \"ofMedians\": %.3f}", mean(a) / mean(b),
        percentile(a, 0.5) / percentile(b, 0.5));
  }

  /** The time of one {@code getConnection}; the connection is used once and closed outside the timing. */
  static long time(String url, Properties props) throws SQLException {
    long t0 = System.nanoTime();
    Connection c = DriverManager.getConnection(url, props);
    long elapsed = System.nanoTime() - t0;
    try (c; Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select 1")) {
      rs.next();
    }
    return elapsed;
  }

  /** The {@code ss -tnoH} line of this connection's client socket, found by its port as the server sees it. */
  static String ss(Connection c, int serverPort) throws Exception {
    int port;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("select client_port from pg_stat_activity where pid = pg_backend_pid()")) {
      rs.next();
      port = rs.getInt(1);
    }
    Process p = new ProcessBuilder("ss", "-tnoH", "state", "established", "sport", "=", ":" + port, "and", "dport",
        "=", ":" + serverPort)
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).trim().replaceAll("\\s+", " ");
    p.waitFor();
    return out.replace("\"", "'");
  }

  static long descriptors() throws IOException {
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }

  static double mean(long[] v) {
    return Arrays.stream(v).average().orElse(0);
  }

  static double percentile(long[] v, double q) {
    long[] s = v.clone();
    Arrays.sort(s);
    return s[(int) Math.min(s.length - 1, Math.floor(q * s.length))];
  }

  static String loadAverage() throws IOException {
    String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
    return f[0] + " " + f[1] + " " + f[2];
  }
}
