import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.Lifeline;
import io.github.lifeline.LifelineDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;

/**
 * A plain application that uses Lifeline as the README tells a new user to, with only the published jars on its class
 * path (run by {@code restarts.sh} with the single-file source launcher): {@code RestartApp <url> <restart command> [n]}.
 *
 * <p>Per pool kind, one at a time (stock {@code HikariDataSource}, {@code Lifeline.install(HikariDataSource)} made
 * with setters as Spring Boot makes it, {@code Lifeline.install(HikariConfig)}, {@code LifelineDataSource}): a pool of
 * 6, one borrower running {@code select 1} every 10 ms (about 100 borrows/s), and {@code n} fast restarts of the
 * server by the command, 3 s apart. Prints one JSON object: borrows and failed borrows per restart, per pool kind, each
 * failure with its connection's local port (from {@code Lifeline.lookup}; -1 for stock) and the wall-clock time its
 * borrow started, to be matched with Lifeline's log. It judges nothing by itself; the in-project
 * {@code RestartBorrowIT} judges each loss by the kernel's clock. System property {@code kinds} (comma-separated)
 * picks the pool kinds.
 */
public class RestartApp {

  public static void main(String[] args) throws Exception {
    restarts(args[0], args[1], args.length > 2 ? Integer.parseInt(args[2]) : 5);
  }

  static HikariConfig config(String url, String name) {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(url);
    c.setUsername("postgres");
    c.setPoolName(name);
    c.setMaximumPoolSize(6);
    c.setMinimumIdle(6);
    c.setConnectionTimeout(2000);
    c.setValidationTimeout(1000);
    return c;
  }

  static void restarts(String url, String restartCommand, int n) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    List<String> kinds = List.of(System.getProperty("kinds",
        "stock,install(HikariDataSource),install(HikariConfig),LifelineDataSource").split(","));
    for (String kind : kinds) {
      HikariConfig c = config(url, kind.replaceAll("[()]", "-"));
      DataSource ds;
      AutoCloseable close;
      switch (kind) {
        case "stock" -> {
          HikariDataSource h = new HikariDataSource(c);
          ds = h;
          close = h;
        }
        case "install(HikariDataSource)" -> {
          HikariDataSource h = new HikariDataSource(); // as Spring Boot makes it: setters, not started
          c.copyStateTo(h);
          Lifeline.install(h);
          ds = h;
          close = h;
        }
        case "install(HikariConfig)" -> {
          HikariDataSource h = new HikariDataSource(Lifeline.install(c));
          ds = h;
          close = h;
        }
        default -> {
          LifelineDataSource l = new LifelineDataSource(c);
          ds = l;
          close = l;
        }
      }
      try (AutoCloseable pool = close) {
        out.put(kind, underRestarts(ds, restartCommand, n));
      }
    }
    print(out);
  }

  /** One borrower every 10 ms; n restarts, 3 s apart. */
  static Map<String, Object> underRestarts(DataSource ds, String restartCommand, int n) throws Exception {
    List<String> failures = new ArrayList<>();
    long[] borrows = new long[1];
    int[] restart = {0};
    AtomicBoolean stop = new AtomicBoolean();
    Thread borrower = new Thread(() -> {
      long next = System.nanoTime();
      while (!stop.get()) {
        long started = System.nanoTime();
        int[] port = {-1};
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
          Lifeline.lookup(c).ifPresent(r -> port[0] = r.local().getPort());
          st.execute("select 1");
        } catch (SQLException e) {
          synchronized (failures) {
            failures.add("restart " + restart[0] + ": " + e.getSQLState() + " " + e.getMessage() + " (local port "
                + port[0] + ", borrow started at " + java.time.LocalTime.now().minusNanos(System.nanoTime() - started)
                + ")");
          }
        }
        borrows[0]++;
        next += TimeUnit.MILLISECONDS.toNanos(10);
        long wait = next - System.nanoTime();
        if (wait > 0) {
          try {
            TimeUnit.NANOSECONDS.sleep(wait);
          } catch (InterruptedException e) {
            return;
          }
        } else {
          next = System.nanoTime();
        }
      }
    }, "borrower");
    borrower.start();
    Thread.sleep(2000);
    int[] perRestart = new int[n];
    for (int r = 0; r < n; r++) {
      int before;
      synchronized (failures) {
        before = failures.size();
        restart[0] = r + 1;
      }
      Process p = new ProcessBuilder("sh", "-c", restartCommand).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (p.waitFor() != 0) {
        throw new IllegalStateException("the restart command failed: " + restartCommand);
      }
      Thread.sleep(3000);
      synchronized (failures) {
        perRestart[r] = failures.size() - before;
      }
    }
    stop.set(true);
    borrower.join();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("borrows", borrows[0]);
    m.put("failedPerRestart", perRestart);
    int total = 0;
    for (int f : perRestart) {
      total += f;
    }
    m.put("failed", total);
    m.put("failures", failures);
    return m;
  }

  static void print(Map<String, Object> m) {
    System.out.println(json(m));
  }

  static String json(Object o) {
    if (o == null) {
      return "null";
    }
    if (o instanceof Map<?, ?> map) {
      StringBuilder b = new StringBuilder("{");
      map.forEach((k, v) -> b.append(b.length() > 1 ? ", " : "").append(json(k.toString())).append(": ")
          .append(json(v)));
      return b.append('}').toString();
    }
    if (o instanceof List<?> list) {
      StringBuilder b = new StringBuilder("[");
      list.forEach(v -> b.append(b.length() > 1 ? ", " : "").append(json(v)));
      return b.append(']').toString();
    }
    if (o instanceof int[] a) {
      StringBuilder b = new StringBuilder("[");
      for (int v : a) {
        b.append(b.length() > 1 ? ", " : "").append(v);
      }
      return b.append(']').toString();
    }
    if (o instanceof Number || o instanceof Boolean) {
      return o.toString();
    }
    return '"' + o.toString().replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
  }
}
