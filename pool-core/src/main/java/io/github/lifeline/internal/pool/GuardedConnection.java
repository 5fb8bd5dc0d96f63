package io.github.lifeline.internal.pool;

import io.github.lifeline.internal.socket.TunedSocket;
import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.ShardingKey;
import java.sql.Statement;
import java.sql.Struct;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;

/**
 * One physical connection of a guarded pool, as HikariCP holds it: the driver's connection, with Lifeline's
 * verdict on it. Every JDBC call goes straight to the driver's connection; Lifeline adds five things:
 * <ul>
 *   <li>its state ({@link #lendable()}): a volatile word the monitor thread sets the moment the kernel reports the
 *       socket dead, before anything else happens, so the borrow path sees it in microseconds;</li>
 *   <li>{@link #isValid(int)} answers {@code false} at once for a connection Lifeline found dead or condemned, so
 *       HikariCP's validation (and its keepalive) drops it without a network round trip; otherwise the driver
 *       answers;</li>
 *   <li>{@link #close()} and {@link #abort(Executor)} tell the guard that the owner closes it, so that the socket's
 *       last packets are not mistaken for a peer's death;</li>
 *   <li>{@link #clearWarnings()}, which HikariCP calls as it takes the connection back, waits while the connection's
 *       server is in doubt ({@link BorrowGate#returning}), so that an unjudged connection does not go back to
 *       borrowers;</li>
 *   <li>the first JDBC call of a borrow (the first after HikariCP took the connection back) looks at the kernel's
 *       pending verdicts first, and a connection dead before anything of the borrow was sent on it gets a fresh
 *       connection standing in for it for the rest of the borrow ({@link BorrowGate#firstUse}). The stand-in is one
 *       connection beyond HikariCP's count while that borrow lasts; HikariCP retires both when it is given back.</li>
 * </ul>
 * {@code unwrap} and {@code isWrapperFor} reach the driver's own connection.
 */
public final class GuardedConnection extends CacheLines.ConnectionPadAfter implements Connection {

  /** The connection is in service. */
  static final int ALIVE = 0;
  /** Strong host evidence says it will not survive (its server is shutting down, or went silent): never lend it. */
  static final int CONDEMNED = 1;
  /** Its own socket died (peer closed, reset, kernel timeout). */
  static final int DEAD = 2;
  /** Its owner (HikariCP, the driver) closes it. */
  static final int CLOSING = 3;

  final PoolGuard guard;
  volatile TunedSocket socket;
  /** The first pass of a verdict, for the second (monitor thread only). */
  PoolGuard.Pending pending;

  GuardedConnection(Connection delegate, PoolGuard guard, HostState host) {
    super(delegate, host);
    this.guard = guard;
  }

  /** Whether the connection may be handed to a borrower now: alive, and its server not in doubt. */
  boolean lendable() {
    HostState h = host;
    return state == ALIVE && (h == null || h.trusts(hostEpoch, hostWindow));
  }

  /** Remembers the proxy of a borrow (its pool entry), once. */
  void lent(Connection borrowedProxy) {
    if (proxy == null) {
      proxy = borrowedProxy;
    }
  }

  /** The driver's connection (or the stand-in of this borrow). */
  Connection driverConnection() {
    return delegate;
  }

  /** Where a JDBC call of the borrower goes; the first one of a borrow looks at the kernel's verdicts first. */
  private Connection use() {
    if (fresh) {
      fresh = false;
      BorrowGate.firstUse(this);
    }
    return delegate;
  }

  /** The previous {@link BorrowGate#firstUse} of this connection, HikariCP's clock; 0 before the first. */
  long lastFirstUse;

  /**
   * For the rest of this borrow, every JDBC call goes to {@code fresh} instead: this connection was found dead (or its
   * server shutting down) before anything of the borrow was sent on it. This connection stays condemned, and HikariCP
   * retires its pool entry, stand-in included, when the borrower gives it back. Borrowing thread only.
   *
   * @return the driver connection it replaced, for the caller to close
   */
  Connection standIn(GuardedConnection fresh) {
    Connection old = delegate;
    delegate = fresh;
    return old;
  }

  /**
   * Whether Lifeline judged the connection dead or condemned, given its {@code state}: its own verdict, its
   * condemnation, or a host event of its server since it was made.
   */
  boolean judgedDead(int state) {
    HostState h = host;
    return state == DEAD || state == CONDEMNED || (h != null && h.epoch() != hostEpoch);
  }

  /** The socket's local address, for log lines; "?" when unwatched. */
  Object local() {
    TunedSocket s = socket;
    return s == null ? "?" : s.local();
  }

  /** Whether this connection already has a stand-in. */
  boolean hasStandIn() {
    return delegate instanceof GuardedConnection;
  }

  @Override
  public boolean isValid(int timeout) throws SQLException {
    if (state != ALIVE || (host != null && host.epoch() != hostEpoch)) {
      return false;
    }
    return delegate.isValid(timeout);
  }

  @Override
  public void close() throws SQLException {
    guard.closing(this);
    delegate.close();
  }

  @Override
  public void abort(Executor executor) throws SQLException {
    guard.closing(this);
    delegate.abort(executor);
  }

  @Override
  public boolean isClosed() throws SQLException {
    return delegate.isClosed();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    return iface.isInstance(this) ? iface.cast(this) : delegate.unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return iface.isInstance(this) || delegate.isWrapperFor(iface);
  }

  @Override
  public Statement createStatement() throws SQLException {
    return use().createStatement();
  }

  @Override
  public PreparedStatement prepareStatement(String a) throws SQLException {
    return use().prepareStatement(a);
  }

  @Override
  public CallableStatement prepareCall(String a) throws SQLException {
    return use().prepareCall(a);
  }

  @Override
  public String nativeSQL(String a) throws SQLException {
    return use().nativeSQL(a);
  }

  @Override
  public void setAutoCommit(boolean a) throws SQLException {
    use().setAutoCommit(a);
  }

  @Override
  public boolean getAutoCommit() throws SQLException {
    return use().getAutoCommit();
  }

  @Override
  public void commit() throws SQLException {
    use().commit();
  }

  @Override
  public void rollback() throws SQLException {
    use().rollback();
  }

  @Override
  public DatabaseMetaData getMetaData() throws SQLException {
    return use().getMetaData();
  }

  @Override
  public void setReadOnly(boolean a) throws SQLException {
    use().setReadOnly(a);
  }

  @Override
  public boolean isReadOnly() throws SQLException {
    return use().isReadOnly();
  }

  @Override
  public void setCatalog(String a) throws SQLException {
    use().setCatalog(a);
  }

  @Override
  public String getCatalog() throws SQLException {
    return use().getCatalog();
  }

  @Override
  public void setTransactionIsolation(int a) throws SQLException {
    use().setTransactionIsolation(a);
  }

  @Override
  public int getTransactionIsolation() throws SQLException {
    return use().getTransactionIsolation();
  }

  @Override
  public SQLWarning getWarnings() throws SQLException {
    return use().getWarnings();
  }

  @Override
  public void clearWarnings() throws SQLException {
    BorrowGate.returning(this); // HikariCP takes the connection back: not while its server is in doubt
    if (!fresh) {
      fresh = true; // the next call is the first of a borrow (a caller's own clearWarnings: see BorrowGate.firstUse)
    }
    delegate.clearWarnings();
  }

  @Override
  public Statement createStatement(int a0, int a1) throws SQLException {
    return use().createStatement(a0, a1);
  }

  @Override
  public PreparedStatement prepareStatement(String a0, int a1, int a2) throws SQLException {
    return use().prepareStatement(a0, a1, a2);
  }

  @Override
  public CallableStatement prepareCall(String a0, int a1, int a2) throws SQLException {
    return use().prepareCall(a0, a1, a2);
  }

  @Override
  public Map<String, Class<?>> getTypeMap() throws SQLException {
    return use().getTypeMap();
  }

  @Override
  public void setTypeMap(Map<String, Class<?>> a) throws SQLException {
    use().setTypeMap(a);
  }

  @Override
  public void setHoldability(int a) throws SQLException {
    use().setHoldability(a);
  }

  @Override
  public int getHoldability() throws SQLException {
    return use().getHoldability();
  }

  @Override
  public Savepoint setSavepoint() throws SQLException {
    return use().setSavepoint();
  }

  @Override
  public Savepoint setSavepoint(String a) throws SQLException {
    return use().setSavepoint(a);
  }

  @Override
  public void rollback(Savepoint a) throws SQLException {
    use().rollback(a);
  }

  @Override
  public void releaseSavepoint(Savepoint a) throws SQLException {
    use().releaseSavepoint(a);
  }

  @Override
  public Statement createStatement(int a0, int a1, int a2) throws SQLException {
    return use().createStatement(a0, a1, a2);
  }

  @Override
  public PreparedStatement prepareStatement(String a0, int a1, int a2, int a3) throws SQLException {
    return use().prepareStatement(a0, a1, a2, a3);
  }

  @Override
  public CallableStatement prepareCall(String a0, int a1, int a2, int a3) throws SQLException {
    return use().prepareCall(a0, a1, a2, a3);
  }

  @Override
  public PreparedStatement prepareStatement(String a0, int a1) throws SQLException {
    return use().prepareStatement(a0, a1);
  }

  @Override
  public PreparedStatement prepareStatement(String a0, int[] a1) throws SQLException {
    return use().prepareStatement(a0, a1);
  }

  @Override
  public PreparedStatement prepareStatement(String a0, String[] a1) throws SQLException {
    return use().prepareStatement(a0, a1);
  }

  @Override
  public Clob createClob() throws SQLException {
    return use().createClob();
  }

  @Override
  public Blob createBlob() throws SQLException {
    return use().createBlob();
  }

  @Override
  public NClob createNClob() throws SQLException {
    return use().createNClob();
  }

  @Override
  public SQLXML createSQLXML() throws SQLException {
    return use().createSQLXML();
  }

  @Override
  public void setClientInfo(String a0, String a1) throws SQLClientInfoException {
    use().setClientInfo(a0, a1);
  }

  @Override
  public void setClientInfo(Properties a) throws SQLClientInfoException {
    use().setClientInfo(a);
  }

  @Override
  public String getClientInfo(String a) throws SQLException {
    return use().getClientInfo(a);
  }

  @Override
  public Properties getClientInfo() throws SQLException {
    return use().getClientInfo();
  }

  @Override
  public Array createArrayOf(String a0, Object[] a1) throws SQLException {
    return use().createArrayOf(a0, a1);
  }

  @Override
  public Struct createStruct(String a0, Object[] a1) throws SQLException {
    return use().createStruct(a0, a1);
  }

  @Override
  public void setSchema(String a) throws SQLException {
    use().setSchema(a);
  }

  @Override
  public String getSchema() throws SQLException {
    return use().getSchema();
  }

  @Override
  public void setNetworkTimeout(Executor a0, int a1) throws SQLException {
    delegate.setNetworkTimeout(a0, a1);
  }

  @Override
  public int getNetworkTimeout() throws SQLException {
    return delegate.getNetworkTimeout();
  }

  @Override
  public void beginRequest() throws SQLException {
    use().beginRequest();
  }

  @Override
  public void endRequest() throws SQLException {
    use().endRequest();
  }

  @Override
  public boolean setShardingKeyIfValid(ShardingKey a0, ShardingKey a1, int a2) throws SQLException {
    return use().setShardingKeyIfValid(a0, a1, a2);
  }

  @Override
  public boolean setShardingKeyIfValid(ShardingKey a0, int a1) throws SQLException {
    return use().setShardingKeyIfValid(a0, a1);
  }

  @Override
  public void setShardingKey(ShardingKey a0, ShardingKey a1) throws SQLException {
    use().setShardingKey(a0, a1);
  }

  @Override
  public void setShardingKey(ShardingKey a) throws SQLException {
    use().setShardingKey(a);
  }

  @Override
  public String toString() {
    return "Lifeline(" + delegate + ")";
  }
}
