package io.github.lifeline.internal.pool;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import java.sql.Connection;

/**
 * HikariCP's levers, and the only place that pulls them. Public API only:
 * <ul>
 *   <li>{@link HikariDataSource#evictConnection(Connection)} with a HikariCP proxy of the connection: a proxy keeps its
 *       pool entry after it was closed, so the proxy of any earlier borrow through {@code LifelineDataSource} evicts
 *       exactly that physical connection (closed at once when idle, on its return when in use), and HikariCP refills
 *       the pool ({@code fillPool}) right after;</li>
 *   <li>{@link HikariPoolMXBean#softEvictConnections()} from {@link HikariDataSource#getHikariPoolMXBean()} (the pool
 *       object itself, no JMX): every connection of the pool, when its server went down. HikariCP checks the evicted
 *       mark before its 500 ms validation bypass, so a borrower never receives one of them.</li>
 * </ul>
 * A connection without a proxy (never borrowed through {@code LifelineDataSource}) is left in the pool: its socket is
 * closed and its {@code isValid} answers false, so HikariCP drops it at its next borrow or keepalive, in microseconds.
 */
final class HikariLevers {

  private volatile HikariDataSource pool;

  /** The pool these levers act on; set once, before its first connection. */
  void attach(HikariDataSource ds) {
    HikariDataSource current = pool;
    if (current != null && current != ds) {
      throw new IllegalStateException("This Lifeline configuration already belongs to pool " + current.getPoolName()
          + "; call Lifeline.install(config) again for another pool");
    }
    pool = ds;
  }

  HikariDataSource pool() {
    return pool;
  }

  /** Evicts the entry of a connection borrowed through {@code LifelineDataSource} at least once. */
  boolean evict(GuardedConnection g) {
    Connection proxy = g.proxy;
    HikariDataSource ds = pool;
    if (proxy == null || ds == null) {
      return false;
    }
    ds.evictConnection(proxy);
    return true;
  }

  /** Evicts the entry of a connection just borrowed (its proxy is in the caller's hands). */
  void evictBorrowed(Connection proxy) {
    HikariDataSource ds = pool;
    if (ds != null) {
      ds.evictConnection(proxy);
    }
  }

  /** Evicts every connection of the pool (idle ones now, the others when they are returned). */
  void evictAll() {
    HikariDataSource ds = pool;
    HikariPoolMXBean bean = ds == null ? null : ds.getHikariPoolMXBean();
    if (bean != null) {
      bean.softEvictConnections();
    }
  }

  /** Whether the pool was closed by its owner. */
  boolean poolClosed() {
    HikariDataSource ds = pool;
    return ds != null && ds.isClosed();
  }
}
