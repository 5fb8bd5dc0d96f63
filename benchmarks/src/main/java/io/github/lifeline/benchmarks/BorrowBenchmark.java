package io.github.lifeline.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.LifelineDataSource;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.io.Closeable;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The borrow path: {@code getConnection()} then {@code close()} on a {@link LifelineDataSource} against a plain
 * {@link HikariDataSource} of the same configuration, in the same run, at 1, 4 and 16 threads. Both pools hold real
 * pgjdbc connections to a real PostgreSQL (started by the testkit in each fork); a borrow and its return touch no
 * network (the connections are used within HikariCP's 500 ms validation bypass), so the difference is the pool's own
 * cost. The pool has 16 connections: no thread waits for one.
 *
 * <p>Both pools' forks run with 32 MB G1 regions, so that the few megabytes this JVM keeps alive fit in one region.
 * Every borrow stores references into long-lived objects (pgjdbc's two locks record their owner thread, HikariCP's
 * return puts the entry into the thread's list), and on JDK 17 G1's write barrier does real work (a StoreLoad fence,
 * a card check) only for a store that crosses a region. With the default 4 MB regions, whether the pool's objects sit
 * in one region or straddle two depends on how much else the JVM keeps alive: measured with {@link BorrowLayout} at
 * 16 threads, 0-4 of 48 such stores crossed in plain forks and 26-31 in Lifeline's (which keeps ~440 KB more alive:
 * its classes, JNA), and 256 KB to 2 MB of unrelated ballast moved the plain pool's forks to 12-42 crossing stores
 * and from 8.3-8.6 to 7.8-8.2 ops/µs. In a service's heap the threads and the pool's objects lie in different
 * regions for both pools alike; here one region for both keeps that accident out of the ratio (benchmarks README,
 * "Where the borrow gap was").
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 3, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:G1HeapRegionSize=32m"})
public class BorrowBenchmark extends BorrowBenchmarkPad {

  /** Which pool. */
  @Param({"plain", "lifeline"})
  public String pool;

  private DatabaseServer server;
  private DataSource ds;

  /** Starts the server and the pool. */
  @Setup(Level.Trial)
  public void setUp() throws SQLException {
    server = PostgresServer.start();
    ds = openPool(server, pool, "bench-" + pool);
  }

  /**
   * The pool both this benchmark and {@link BorrowLoop} measure: 16 pgjdbc connections to {@code server}, a
   * {@link LifelineDataSource} for {@code pool} "lifeline", otherwise a plain {@link HikariDataSource}, warmed by 100
   * borrows that each validate their connection.
   */
  static DataSource openPool(DatabaseServer server, String pool, String poolName) throws SQLException {
    Properties p = Driver.POSTGRESQL.hikariProperties(server, poolName, 16, null);
    HikariConfig config = new HikariConfig(p);
    DataSource ds = pool.equals("lifeline") ? new LifelineDataSource(config) : new HikariDataSource(config);
    for (int i = 0; i < 100; i++) {
      try (Connection c = ds.getConnection()) {
        if (!c.isValid(1)) {
          throw new IllegalStateException("no valid connection");
        }
      }
    }
    return ds;
  }

  /** Closes the pool and stops the server. */
  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    ((Closeable) ds).close();
    server.close();
  }

  private Connection borrowAndReturn() throws SQLException {
    Connection c = ds.getConnection();
    c.close();
    return c;
  }

  /** One thread. */
  @Benchmark
  @Threads(1)
  public Connection threads01() throws SQLException {
    return borrowAndReturn();
  }

  /** Four threads. */
  @Benchmark
  @Threads(4)
  public Connection threads04() throws SQLException {
    return borrowAndReturn();
  }

  /** Sixteen threads. */
  @Benchmark
  @Threads(16)
  public Connection threads16() throws SQLException {
    return borrowAndReturn();
  }
}
