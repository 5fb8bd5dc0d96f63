package io.github.lifeline.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.LifelineDataSource;
import io.github.lifeline.internal.monitor.SocketMonitor;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.io.Closeable;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import javax.sql.DataSource;

/**
 * Heap retained per watched connection: what Lifeline keeps for one pooled connection (its socket's record and
 * tuning report in the registry, the monitor's watch, the guard's wrapper), measured, not estimated.
 *
 * <p>Against one real PostgreSQL, a plain HikariCP pool of {@code N} connections and a {@code LifelineDataSource} of
 * the same configuration are opened in turn, {@code rounds} times each, alternately; with every connection open and
 * idle, the heap in use after full garbage collections is read. The difference divided by {@code N} is Lifeline's
 * heap per connection (the pool's fixed part, spread over {@code N}, is included). Prints one JSON object. Arguments
 * {@code key=value}: {@code connections=150 rounds=5}.
 */
public final class MemoryPerConnection {

  private MemoryPerConnection() {
  }

  public static void main(String[] args) throws Exception {
    int n = 150;
    int rounds = 5;
    for (String a : args) {
      String[] kv = a.split("=", 2);
      if (kv[0].equals("connections")) {
        n = Integer.parseInt(kv[1]);
      } else if (kv[0].equals("rounds")) {
        rounds = Integer.parseInt(kv[1]);
      }
    }
    long[] plain = new long[rounds];
    long[] lifeline = new long[rounds];
    try (DatabaseServer server = PostgresServer.start()) {
      measure(server, false, n); // warm-up of both paths: classes loaded, JIT, first-use caches
      measure(server, true, n);
      for (int r = 0; r < rounds; r++) {
        plain[r] = measure(server, false, n);
        lifeline[r] = measure(server, true, n);
      }
    }
    long[] perConnection = new long[rounds];
    for (int r = 0; r < rounds; r++) {
      perConnection[r] = (lifeline[r] - plain[r]) / n;
    }
    long[] sorted = perConnection.clone();
    Arrays.sort(sorted);
    System.out.println("{\"connections\": " + n + ", \"rounds\": " + rounds
        + ", \"java\": \"" + System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version") + "\""
        + ", \"plainHeapBytes\": " + Arrays.toString(plain)
        + ", \"lifelineHeapBytes\": " + Arrays.toString(lifeline)
        + ", \"bytesPerConnection\": " + Arrays.toString(perConnection)
        + ", \"medianBytesPerConnection\": " + sorted[rounds / 2] + "}");
  }

  /** Opens a pool of {@code n} connections, holds them idle, and returns the heap in use after full GCs. */
  private static long measure(DatabaseServer server, boolean withLifeline, int n) throws Exception {
    Properties p = Driver.POSTGRESQL.hikariProperties(server, (withLifeline ? "lifeline" : "plain") + "-mem", n, null);
    p.setProperty("connectionTimeout", "30000");
    HikariConfig config = new HikariConfig(p);
    DataSource ds = withLifeline ? new LifelineDataSource(config) : new HikariDataSource(config);
    try {
      List<Connection> held = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        held.add(ds.getConnection());
      }
      for (Connection c : held) {
        c.close();
      }
      if (withLifeline && SocketMonitor.get().watchedCount() < n) {
        throw new IllegalStateException("only " + SocketMonitor.get().watchedCount() + " sockets are watched");
      }
      return heapAfterGc();
    } finally {
      ((Closeable) ds).close();
      Thread.sleep(500);
    }
  }

  private static long heapAfterGc() throws InterruptedException {
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(100);
      best = Math.min(best, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return best;
  }
}
