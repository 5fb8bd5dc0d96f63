package io.github.lifeline.testkit;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/** Timing helpers for fault tests: a statement run on its own thread, and waiting for the kernel's verdict. */
public final class Timed {

  private Timed() {
  }

  /** Seconds since {@code startNanos}. */
  public static double since(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /** The outcome of a statement: how long it took and what it threw, if anything. */
  public record Outcome(double seconds, SQLException error) {
    /** Whether the statement completed without error. */
    public boolean completed() {
      return error == null;
    }

    /** The SQLState of the error, or {@code null}. */
    public String sqlState() {
      return error == null ? null : error.getSQLState();
    }
  }

  /**
   * Runs {@code sql} on its own thread, timing it from {@code startNanos}.
   *
   * @return the future outcome; it fails only on a non-SQL error
   */
  public static CompletableFuture<Outcome> execute(Connection c, String sql, long startNanos) {
    CompletableFuture<Outcome> f = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try (Statement st = c.createStatement()) {
        st.execute(sql);
        f.complete(new Outcome(since(startNanos), null));
      } catch (SQLException e) {
        f.complete(new Outcome(since(startNanos), e));
      } catch (Throwable e) {
        f.completeExceptionally(e);
      }
    }, "fault-statement");
    t.setDaemon(true);
    t.start();
    return f;
  }

  /** A source of per-socket values that may fail with an I/O error. */
  @FunctionalInterface
  public interface Sampler<T> {
    /** The current values. */
    List<T> sample() throws Exception;
  }

  /**
   * Polls until every sampled value satisfies {@code done}, or {@code capSeconds} after {@code startNanos}.
   *
   * @return seconds from {@code startNanos} to the moment all were done, or {@code null} if not within the cap
   */
  public static <T> Double awaitAll(Sampler<T> sampler, Predicate<T> done, long startNanos, double capSeconds)
      throws Exception {
    while (true) {
      List<T> values = sampler.sample();
      double t = since(startNanos);
      if (values.stream().allMatch(done)) {
        return t;
      }
      if (t > capSeconds) {
        return null;
      }
      Thread.sleep(5);
    }
  }
}
