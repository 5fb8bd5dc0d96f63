package io.github.lifeline.benchmarks;

import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.io.Closeable;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;

/**
 * {@link BorrowBenchmark}'s borrow and return outside JMH, for one pool per JVM: the same pool (16 real pgjdbc
 * connections to a real PostgreSQL), {@code threads} plain threads each looping {@code getConnection()} then
 * {@code close()}, the throughput of every second printed, then one JSON line. Run it alternately for {@code plain} and
 * {@code lifeline} in fresh JVMs, as JMH runs forks:
 *
 * <pre>
 * java ... io.github.lifeline.benchmarks.BorrowLoop pool=lifeline threads=4 warmup=6 seconds=10
 * </pre>
 * It exists to tell a cost of the pool's code from how JMH's forks happen to lay the pool's objects out: the median of
 * the per-second rates is what it reports.
 */
public final class BorrowLoop {

  private BorrowLoop() {
  }

  /** Runs one pool: {@code pool=plain|lifeline threads=N warmup=S seconds=S}. */
  public static void main(String[] args) throws Exception {
    String pool = "lifeline";
    int threads = 4;
    int warmup = 6;
    int seconds = 10;
    for (String a : args) {
      String[] kv = a.split("=", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException("expected key=value, got " + a);
      }
      switch (kv[0]) {
        case "pool" -> pool = kv[1];
        case "threads" -> threads = Integer.parseInt(kv[1]);
        case "warmup" -> warmup = Integer.parseInt(kv[1]);
        case "seconds" -> seconds = Integer.parseInt(kv[1]);
        default -> throw new IllegalArgumentException("unknown key " + kv[0] + " (pool, threads, warmup, seconds)");
      }
    }
    if (!pool.equals("plain") && !pool.equals("lifeline")) {
      throw new IllegalArgumentException("pool must be plain or lifeline, got " + pool);
    }
    try (DatabaseServer server = PostgresServer.start()) {
      DataSource ds = BorrowBenchmark.openPool(server, pool, "loop-" + pool);
      try {
        double[] rates = run(ds, threads, warmup, seconds);
        double[] sorted = rates.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "{\"pool\": \"%s\", \"threads\": %d, \"opsPerMicrosecond\": %s, "
            + "\"median\": %.3f}%n", pool, threads, Arrays.toString(rates), sorted[sorted.length / 2]);
      } finally {
        ((Closeable) ds).close();
      }
    }
  }

  private static double[] run(DataSource ds, int threads, int warmup, int seconds) throws Exception {
    LongAdder ops = new LongAdder();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w = new Thread(() -> {
        try {
          while (!stop.get()) {
            Connection c = ds.getConnection();
            c.close();
            ops.increment();
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }, "borrow-loop-" + t);
      w.start();
      workers.add(w);
    }
    double[] rates = new double[seconds];
    try {
      Thread.sleep(warmup * 1000L);
      for (int s = 0; s < seconds; s++) {
        long before = ops.sum();
        long start = System.nanoTime();
        Thread.sleep(1000);
        rates[s] = (ops.sum() - before) * 1000.0 / (System.nanoTime() - start);
        System.err.printf(Locale.ROOT, "second %d: %.3f ops/µs%n", s + 1, rates[s]);
      }
    } finally {
      stop.set(true);
      for (Thread w : workers) {
        w.join();
      }
    }
    if (failure.get() != null) {
      throw new IllegalStateException("a borrower failed", failure.get());
    }
    return rates;
  }
}
