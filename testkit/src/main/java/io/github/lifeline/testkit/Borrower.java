package io.github.lifeline.testkit;

import java.net.Socket;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * A steady borrower: every {@code periodMillis} it borrows a connection, runs {@code select 1}, holds the connection
 * for {@code holdMillis} (the rest of a request's work; none by default) and returns it, and records each borrow: when
 * it started and ended, which socket it got, and how it ended.
 */
public final class Borrower implements AutoCloseable {

  /** How a borrow ended. */
  public enum Result {
    /** Borrowed and the statement ran. */
    OK,
    /** No connection within the pool's connection timeout. */
    BORROW_FAILED,
    /** A connection was handed out, and the statement on it failed. */
    STATEMENT_FAILED
  }

  /**
   * One borrow.
   *
   * @param startNanos when {@code getConnection} was called
   * @param endNanos when the connection was returned or the failure came
   * @param localPort the local port of the socket handed out, or -1
   * @param result how it ended
   * @param sqlState the SQLState of a failure
   * @param borrowedNanos when {@code getConnection} returned the connection (the hand-out), or -1 if it failed
   */
  public record Sample(long startNanos, long endNanos, int localPort, Result result, String sqlState,
      long borrowedNanos) {
    /** Duration in milliseconds. */
    public double millis() {
      return (endNanos - startNanos) / 1e6;
    }
  }

  private final DataSource ds;
  private final Driver driver;
  private final long periodMillis;
  private final long holdMillis;
  private final List<Sample> samples = new ArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;
  /** The start of the borrow in progress, or -1 between borrows. */
  private volatile long inProgressSince = -1;

  /** Starts borrowing at once. */
  public Borrower(String name, DataSource ds, Driver driver, long periodMillis) {
    this(name, ds, driver, periodMillis, 0);
  }

  /** Starts borrowing at once; each borrow holds its connection {@code holdMillis} after its statement. */
  public Borrower(String name, DataSource ds, Driver driver, long periodMillis, long holdMillis) {
    this.ds = ds;
    this.driver = driver;
    this.periodMillis = periodMillis;
    this.holdMillis = holdMillis;
    this.thread = new Thread(this::run, "borrower-" + name);
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    while (running) {
      long start = System.nanoTime();
      inProgressSince = start;
      int port = -1;
      Result result;
      String state = null;
      Connection c = null;
      long borrowed;
      try {
        c = ds.getConnection();
        borrowed = System.nanoTime();
      } catch (SQLException e) {
        record(new Sample(start, System.nanoTime(), -1, Result.BORROW_FAILED, e.getSQLState(), -1));
        if (!pause()) {
          return;
        }
        continue;
      }
      try {
        Socket s = driver.socketOf(c);
        port = s.getLocalPort();
        try (Statement st = c.createStatement()) {
          st.execute("select 1");
        }
        result = Result.OK;
        if (holdMillis > 0) {
          Thread.sleep(holdMillis);
        }
      } catch (SQLException e) {
        result = Result.STATEMENT_FAILED;
        state = e.getSQLState();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        result = Result.OK; // the statement ran; the hold was cut short
      } finally {
        try {
          c.close();
        } catch (SQLException ignored) {
          // a broken connection
        }
      }
      record(new Sample(start, System.nanoTime(), port, result, state, borrowed));
      if (!pause()) {
        return;
      }
    }
  }

  private boolean pause() {
    try {
      Thread.sleep(periodMillis);
      return true;
    } catch (InterruptedException e) {
      return false;
    }
  }

  private synchronized void record(Sample s) {
    samples.add(s);
    inProgressSince = -1;
  }

  /**
   * When the borrow in progress started ({@link System#nanoTime()}), or -1 between borrows: a borrower blocked in
   * {@code getConnection} or in its statement has no sample yet, and this says since when it waits.
   */
  public long inProgressSince() {
    return inProgressSince;
  }

  /** A copy of the samples so far. */
  public synchronized List<Sample> samples() {
    return new ArrayList<>(samples);
  }

  /** Stops after the current borrow; waits up to {@code waitMillis} for it. */
  public void stop(long waitMillis) throws InterruptedException {
    running = false;
    thread.join(waitMillis);
  }

  /** Whether the borrower thread is still inside a borrow or statement. */
  public boolean isAlive() {
    return thread.isAlive();
  }

  @Override
  public void close() throws InterruptedException {
    stop(60_000);
  }
}
