package io.github.lifeline.benchmarks;

import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.io.Closeable;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the first JDBC call of a borrow costs Lifeline ({@code BorrowGate.firstUse}: one {@code poll} system call on
 * the monitor's epoll descriptor, through JNA, when nothing is pending): a borrow, one call that stays in the driver
 * ({@code getAutoCommit()}, answered by pgjdbc without the network), and the return, on a {@code LifelineDataSource}
 * against a plain {@code HikariDataSource} of the same configuration ({@link BorrowBenchmark#openPool}). A borrow that
 * runs no statement pays nothing; one that runs a statement pays this once, beside the statement's round trip.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 3, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class FirstUseBenchmark extends BorrowBenchmarkPad {

  /** Which pool. */
  @Param({"plain", "lifeline"})
  public String pool;

  private DatabaseServer server;
  private DataSource ds;

  /** Starts the server and the pool. */
  @Setup(Level.Trial)
  public void setUp() throws SQLException {
    server = PostgresServer.start();
    ds = BorrowBenchmark.openPool(server, pool, "first-use-" + pool);
  }

  /** Closes the pool and stops the server. */
  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    ((Closeable) ds).close();
    server.close();
  }

  /** Borrow, one call, return. */
  @Benchmark
  public boolean borrowCallReturn() throws SQLException {
    try (Connection c = ds.getConnection()) {
      return c.getAutoCommit();
    }
  }
}
