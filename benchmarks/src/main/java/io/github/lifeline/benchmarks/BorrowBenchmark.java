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
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 3, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
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
