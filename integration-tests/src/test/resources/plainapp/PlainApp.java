import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A plain application: HikariCP and a stock JDBC driver, configured by a properties file only. It knows nothing of
 * Lifeline; whether Lifeline is active is decided by the file alone. Run with the single-file source launcher:
 * {@code java -cp <jars> PlainApp.java pool.properties}.
 *
 * <p>Protocol on stdin/stdout: it prints {@code READY} once every pooled connection is borrowed and held; on
 * {@code query} it runs {@code select 1} on all of them at once and prints one {@code RESULT ok|<SQLState> <ms>} line
 * per connection, then {@code DONE}; on {@code exit} it closes the pool.
 */
public class PlainApp {
  public static void main(String[] args) throws Exception {
    HikariDataSource ds = new HikariDataSource(new HikariConfig(args[0]));
    List<Connection> held = new ArrayList<>();
    for (int i = 0; i < ds.getMaximumPoolSize(); i++) {
      Connection c = ds.getConnection();
      try (Statement st = c.createStatement()) {
        st.execute("select 1");
      }
      held.add(c);
    }
    ExecutorService callers = Executors.newFixedThreadPool(held.size(), r -> {
      Thread t = new Thread(r, "caller");
      t.setDaemon(true);
      return t;
    });
    System.out.println("READY");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.equals("query")) {
        List<CompletableFuture<String>> results = new ArrayList<>();
        for (Connection c : held) {
          results.add(CompletableFuture.supplyAsync(() -> {
            long t0 = System.nanoTime();
            try (Statement st = c.createStatement()) {
              st.execute("select 1");
              return "RESULT ok " + (System.nanoTime() - t0) / 1_000_000;
            } catch (SQLException e) {
              return "RESULT " + e.getSQLState() + " " + (System.nanoTime() - t0) / 1_000_000;
            }
          }, callers));
        }
        for (CompletableFuture<String> r : results) {
          System.out.println(r.join());
        }
        System.out.println("DONE");
      } else if (line.equals("exit")) {
        break;
      }
    }
    for (Connection c : held) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // the connection may be broken by the fault under test
      }
    }
    ds.close();
  }
}
