package io.github.lifeline.it.support;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.Lifeline;
import io.github.lifeline.internal.linux.SockDiag;
import io.github.lifeline.socket.KernelState;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.server.DatabaseServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A HikariCP pool under test and the TCP sockets of its connections, with the kernel's view of each.
 *
 * <p>Every connection is borrowed once at start (so that each physical socket is known), then returned; the pool keeps
 * them idle. HikariCP's own keepalive is off, so that only the kernel touches an idle socket.
 */
public final class PooledSockets implements AutoCloseable {

  private final Driver driver;
  private final HikariDataSource pool;
  private final List<Socket> sockets = new ArrayList<>();
  private final List<SocketRecord> records = new ArrayList<>();
  private final List<Connection> physical = new ArrayList<>();
  private final SockDiag diag;

  private PooledSockets(Driver driver, HikariDataSource pool) throws IOException {
    this.driver = driver;
    this.pool = pool;
    this.diag = SockDiag.open();
  }

  /**
   * Opens a pool of {@code size} connections.
   *
   * @param lifeline Lifeline keys, or {@code null} for a stock pool
   * @param driverProps extra driver properties (for example {@code socketTimeout})
   */
  public static PooledSockets open(Driver driver, DatabaseServer server, String name, int size,
      Map<String, String> lifeline, Map<String, String> driverProps) throws Exception {
    Properties p = driver.hikariProperties(server, name, size, lifeline);
    p.setProperty("keepaliveTime", "0");
    driverProps.forEach((k, v) -> p.setProperty("dataSource." + k, v));
    HikariDataSource ds = new HikariDataSource(new HikariConfig(p));
    PooledSockets ps = new PooledSockets(driver, ds);
    try {
      List<Connection> held = new ArrayList<>();
      try {
        for (int i = 0; i < size; i++) {
          Connection c = ds.getConnection();
          held.add(c);
          try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select 1")) {
            rs.next();
          }
          ps.sockets.add(driver.socketOf(c));
          ps.physical.add(c.unwrap(Connection.class));
          if (lifeline != null) {
            ps.records.add(Lifeline.lookup(c).orElseThrow(() -> new AssertionError("not tuned: " + c)));
          }
        }
      } finally {
        for (Connection c : held) {
          c.close();
        }
      }
    } catch (Exception | Error e) {
      ps.close();
      throw e;
    }
    return ps;
  }

  /** The pool. */
  public HikariDataSource pool() {
    return pool;
  }

  /** The driver. */
  public Driver driver() {
    return driver;
  }

  /** The physical sockets, one per pooled connection. */
  public List<Socket> sockets() {
    return sockets;
  }

  /** Lifeline's records of the sockets (empty for a stock pool). */
  public List<SocketRecord> records() {
    return records;
  }

  /**
   * The kernel's state of every socket: through Lifeline's registry lookup for a Lifeline pool, and through an
   * independent sock_diag lookup by 4-tuple for a stock pool.
   */
  public List<KernelState> kernelStates() throws IOException {
    List<KernelState> out = new ArrayList<>();
    if (!records.isEmpty()) {
      for (SocketRecord r : records) {
        out.add(r.kernelState());
      }
      return out;
    }
    for (Socket s : sockets) {
      out.add(diag.lookup((InetSocketAddress) s.getLocalSocketAddress(),
          (InetSocketAddress) s.getRemoteSocketAddress(), -1)
          .map(io.github.lifeline.internal.linux.DiagResult::toKernelState).orElseGet(KernelState::gone));
    }
    return out;
  }

  /**
   * The driver's own connections under the pool, as HikariCP holds them. A statement on one of them shows what the
   * driver alone knows, without HikariCP's borrow-time validation in between.
   */
  public List<Connection> physicalConnections() {
    return physical;
  }

  /** The kernel's state of every socket but {@code busy}: the pool's idle connections. */
  public List<KernelState> kernelStatesExcept(Socket busy) throws Exception {
    List<KernelState> all = kernelStates();
    List<KernelState> idle = new ArrayList<>();
    for (int i = 0; i < sockets.size(); i++) {
      if (sockets.get(i).getLocalPort() != busy.getLocalPort()) {
        idle.add(all.get(i));
      }
    }
    if (idle.size() != sockets.size() - 1) {
      throw new AssertionError("The borrowed connection is not one of the pool's known sockets: " + busy);
    }
    return idle;
  }

  /**
   * Ends a caller that may still be blocked in a statement once the fault is undone: waits briefly for it to finish by
   * itself, else aborts the connection. Either way the connection is evicted from its pool, so that closing the proxy
   * afterwards does not trip over an aborted physical connection.
   *
   * <p>pgjdbc before 42.7.6 checks {@code SQLPermission("callAbort")} in {@code abort}, which always throws
   * {@link SecurityException} on JDK 24 and later (no Security Manager, pgjdbc commit 11fc0fd): the caller is then
   * released by closing its socket, which is what {@code abort} does.
   */
  public static void release(HikariDataSource pool, Connection c, java.util.concurrent.CompletableFuture<?> caller)
      throws Exception {
    if (caller == null) {
      return;
    }
    try {
      caller.get(2, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      try {
        c.abort(Runnable::run);
      } catch (SecurityException noAbort) {
        Driver.POSTGRESQL.socketOf(c).close();
      }
      caller.get(30, java.util.concurrent.TimeUnit.SECONDS);
    }
    pool.evictConnection(c);
  }

  /** Runs {@code select 1} on a connection; fails if no row comes back. */
  public static void selectOne(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select 1")) {
      if (!rs.next()) {
        throw new SQLException("select 1 returned no row");
      }
    }
  }

  @Override
  public void close() {
    try {
      pool.close();
    } finally {
      diag.close();
    }
  }
}
