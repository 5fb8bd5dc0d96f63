package io.github.lifeline.internal.pool;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What Lifeline knows about one database server (remote address and port), shared by every pool of the JVM that
 * connects to it. Only the monitor thread changes it ({@link DeathPolicy}); borrowers read it.
 *
 * <ul>
 *   <li>{@link #epoch()} counts host events: several connections to the server closed by it within
 *       {@link DeathPolicy#SETTLE_MILLIS} ms (a restart, a crash, a failover). A connection made before the current
 *       epoch is condemned.</li>
 *   <li>{@link #window()} counts settle windows: a window opens with a peer's close when none is open, and lasts
 *       until a second close makes it a host event or {@link DeathPolicy#SETTLE_MILLIS} ms pass (one backend died
 *       alone). While it is open, a connection made before it is not lent: its server may be shutting down.</li>
 * </ul>
 */
final class HostState extends CacheLines.HostPadAfter {

  private static final Map<InetSocketAddress, HostState> HOSTS = new ConcurrentHashMap<>();

  final InetSocketAddress address;
  // Monitor thread only.
  long windowStartNanos;
  int exitsInWindow;
  /** The last close by the server, and whether there was one. */
  long lastExitNanos;
  boolean exitsSeen;
  /** A host event happened and the server's closes since came close together: the same shutdown. */
  boolean downBurst;

  private HostState(InetSocketAddress address) {
    this.address = address;
  }

  /** The state of the server at this address. */
  static HostState of(InetSocketAddress address) {
    return HOSTS.computeIfAbsent(address, HostState::new);
  }

  long epoch() {
    return epoch;
  }

  long window() {
    return window;
  }

  /** Whether a settle window is open that started after a connection made in window {@code connectionWindow}. */
  boolean settlingSince(long connectionWindow) {
    return settling && connectionWindow < window;
  }

  /**
   * Whether a connection made at host epoch {@code connectionEpoch} and settle window {@code connectionWindow} may be
   * lent: no host event since, and no settle window open that started after it.
   *
   * <p>The order of the reads matters: {@link #hostEvent()} writes the epoch before it clears {@code settling}, so a
   * reader that finds the window closed and then reads the epoch sees the host event that closed it. Read the other
   * way round, a host event between the two reads would look like "same epoch, no window" and lend a condemned
   * connection.
   */
  boolean trusts(long connectionEpoch, long connectionWindow) {
    boolean inDoubt = settlingSince(connectionWindow); // first: see above
    return !inDoubt && epoch == connectionEpoch;
  }

  boolean settling() {
    return settling;
  }

  void openWindow(long nanos) {
    windowStartNanos = nanos;
    exitsInWindow = 1;
    window++;
    settling = true;
  }

  void closeWindow() {
    settling = false;
  }

  void hostEvent() {
    epoch++; // first: a borrower that sees the window closed sees the new epoch too
    settling = false;
  }

  @Override
  public String toString() {
    return address.getAddress().getHostAddress() + ":" + address.getPort();
  }
}
