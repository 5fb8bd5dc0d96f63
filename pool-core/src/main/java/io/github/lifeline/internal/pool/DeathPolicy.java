package io.github.lifeline.internal.pool;

import static io.github.lifeline.internal.linux.LinuxConstants.ECONNRESET;
import static io.github.lifeline.internal.linux.LinuxConstants.ETIMEDOUT;
import static io.github.lifeline.internal.linux.LinuxConstants.SOL_SOCKET;
import static io.github.lifeline.internal.linux.LinuxConstants.SO_ERROR;

import io.github.lifeline.EvictionReason;
import io.github.lifeline.internal.linux.DiagResult;
import io.github.lifeline.internal.linux.Epoll;
import io.github.lifeline.internal.linux.LinuxSockets;
import io.github.lifeline.internal.monitor.SocketMonitor;
import io.github.lifeline.internal.socket.TunedSocket;
import io.github.lifeline.socket.TcpState;
import java.io.IOException;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What counts as dead: the one home of Lifeline's detection policy.
 *
 * <p><b>A connection is dead on its own evidence</b>, as the kernel reports it for that socket: the peer closed it
 * (FIN: {@link EvictionReason#PEER_CLOSED}), reset it ({@link EvictionReason#RESET}), or the kernel gave up on it
 * because keepalive probes or sent data went unanswered for as long as the settings allow
 * ({@link EvictionReason#TIMEOUT}, {@code ETIMEDOUT}).
 *
 * <p><b>Strong host evidence widens that</b>, and only to keep connections from being lent, never to close one under
 * its borrower:
 * <ul>
 *   <li><b>Host down</b> ({@link EvictionReason#HOST_DOWN}): a second connection to the same server closed by the
 *       peer within {@value #SETTLE_MILLIS} ms of the first. A server that shuts down (restart, crash, failover)
 *       closes all of its connections within milliseconds; one backend dying alone ({@code pg_terminate_backend},
 *       {@code idle_session_timeout}, MySQL {@code wait_timeout}, a proxy's idle timeout) closes one. Every older
 *       connection to that server is then condemned: HikariCP evicts the idle ones at once and the others when they
 *       come back, and nobody borrows them meanwhile.</li>
 * </ul>
 * The settle window between the first close and the decision is the time a borrow may wait instead of taking an old
 * connection: every pool holds its older idle connections to that server out of reach meanwhile ({@link HikariLevers}),
 * and {@code LifelineDataSource}'s borrow check refuses the others.
 *
 * <p><b>Silence is no host evidence.</b> A connection that timed out says nothing certain about its siblings: on a
 * path that loses a share p of the packets each way, a live peer leaves a keepalive probe unanswered with probability
 * q = 1 - (1 - p)² (36 % at p = 20 %), k probes in a row with q<sup>k</sup>, and an idle connection has received
 * nothing for its whole idle time, so neither the probes outstanding nor the age of the last ACK can tell a silent
 * server from a lossy path before the kernel itself gives up (q<sup>k</sup> stays above 1 % for every k below the
 * default count at 20 % loss). An earlier rule condemned a sibling with something outstanding and no ACK for two
 * keepalive intervals after another connection timed out; it evicted a healthy connection on a lossy path (see
 * {@code LossyPathIT}). Each sibling of a silent server now goes on its own verdict, at most its keepalive budget
 * (idle connections) or its user timeout (busy ones) after the silence began.
 */
final class DeathPolicy {

  /**
   * How long after a peer's close a second one makes it a host event, and how long after the previous one a close
   * still belongs to the same shutdown. A PostgreSQL fast shutdown closes its connections one backend at a time: on an
   * idle machine within a few milliseconds, but on two busy cores (the restart tests, 40 restarts of 10 to 24
   * connections) the second close came up to 59.7 ms after the first (2 of 40 above the former 50 ms, which split
   * such a shutdown into two windows and let old connections be lent in between) and two consecutive closes were up to
   * 78 ms apart; MariaDB closed all of its connections within 9 ms in the same 40 restarts. The cost of a longer window: when one backend
   * dies alone, a borrow that finds an older connection to that server waits up to this long for the judgement.
   */
  static final long SETTLE_MILLIS = 100;

  private static final int EPIPE = 32;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DeathPolicy.class);

  private DeathPolicy() {
  }

  /** A socket's death on its own evidence. */
  record Death(EvictionReason reason, TcpState state) {
  }

  /**
   * Reads the kernel's verdict on the socket that woke the monitor.
   *
   * @return its death, or empty when the kernel still holds the connection established and without error (the
   *     owner shut one direction down itself)
   */
  static Optional<Death> classify(SocketMonitor monitor, SocketMonitor.Verdict v) {
    TunedSocket ts = v.socket();
    TcpState state = TcpState.UNKNOWN;
    try {
      Optional<DiagResult> d = monitor.lookup(ts);
      state = d.isPresent() ? d.get().state() : TcpState.GONE;
    } catch (IOException | RuntimeException e) {
      // The epoll event is the kernel's verdict already; the state only refines the reason.
    }
    int error = pendingError(ts);
    boolean peerClosed = (v.events() & Epoll.EPOLLRDHUP) != 0;
    boolean failed = (v.events() & (Epoll.EPOLLERR | Epoll.EPOLLHUP)) != 0;
    if (error == ETIMEDOUT) {
      return Optional.of(new Death(EvictionReason.TIMEOUT, state));
    }
    if (error == ECONNRESET || error == EPIPE) {
      return Optional.of(new Death(EvictionReason.RESET, state));
    }
    if (state == TcpState.ESTABLISHED && !failed) {
      return Optional.empty();
    }
    if (peerClosed) {
      return Optional.of(new Death(EvictionReason.PEER_CLOSED, state));
    }
    return Optional.of(new Death(EvictionReason.RESET, state));
  }

  /** The socket's pending error ({@code SO_ERROR}), 0 when none or unknown. */
  private static int pendingError(TunedSocket ts) {
    int[] error = new int[1];
    try {
      ts.whileOpen(s -> error[0] = LinuxSockets.getIntOption(s.fd(), SOL_SOCKET, SO_ERROR));
    } catch (IOException | RuntimeException e) {
      return 0;
    }
    return error[0];
  }

  /**
   * Whether the wake-up was a FIN alone: the peer closed its side and the connection has neither an error nor a
   * hang-up. (A reset, a timeout or a full close raise {@code EPOLLERR} or {@code EPOLLHUP} too; the owner's own
   * {@code shutdownInput} is filtered out before, by the socket.) No kernel lookup is needed to know it.
   */
  static boolean finOnly(int events) {
    return (events & Epoll.EPOLLRDHUP) != 0 && (events & (Epoll.EPOLLERR | Epoll.EPOLLHUP)) == 0;
  }

  /** Whether a peer's close or reset tells something about the whole server (it may be shutting down). */
  static boolean peerAction(EvictionReason reason) {
    return reason == EvictionReason.PEER_CLOSED || reason == EvictionReason.RESET;
  }

  /** What a peer's close means for its server. */
  enum Exit {
    /** Nothing new: the server's shutdown goes on, or the close fell into an open window that is no host event yet. */
    NOTHING,
    /** A settle window opened: the server may be shutting down. */
    WINDOW_OPENED,
    /** The second close within the window: the server is going down. */
    HOST_EVENT
  }

  /**
   * Notes a peer's close of a connection to {@code host} at {@code nanos}. The closes that follow a host event, each
   * within {@link #SETTLE_MILLIS} ms of the previous one, belong to the same shutdown: they neither open a window nor
   * make another host event. A window this opens is the caller's to end ({@link #endWindowLater}), once it has done
   * what the window's opening asks for.
   */
  static Exit peerExit(HostState host, long nanos) {
    long settle = SETTLE_MILLIS * 1_000_000L;
    boolean inBurst = host.exitsSeen && nanos - host.lastExitNanos <= settle;
    host.lastExitNanos = nanos;
    host.exitsSeen = true;
    if (host.downBurst && inBurst) {
      return Exit.NOTHING; // the same shutdown goes on: its server is down already
    }
    host.downBurst = false;
    if (!host.settling() || nanos - host.windowStartNanos > settle) {
      host.openWindow(nanos);
      if (LOG.isDebugEnabled()) {
        LOG.debug("Lifeline: {} closed a connection at {}: settle window {} opens", host, nanos, host.window());
      }
      return Exit.WINDOW_OPENED;
    }
    host.exitsInWindow++;
    if (host.exitsInWindow == 2) {
      host.hostEvent();
      host.downBurst = true;
      if (LOG.isDebugEnabled()) {
        LOG.debug("Lifeline: {} closed a second connection at {}: host down, epoch {}", host, nanos, host.epoch());
      }
      return Exit.HOST_EVENT;
    }
    return Exit.NOTHING;
  }

  /**
   * Ends the window {@code host} just opened {@value #SETTLE_MILLIS} ms after its first close, unless a host event
   * ended it before; {@code quietly} then runs on the monitor thread (one backend died alone).
   */
  static void endWindowLater(HostState host, SocketMonitor monitor, Consumer<HostState> quietly) {
    monitor.schedule(host.windowStartNanos + SETTLE_MILLIS * 1_000_000L,
        new WindowEnd(host, host.window(), quietly));
  }

  /** The end of one settle window (a class, not a lambda: nothing to link when the first window opens). */
  static final class WindowEnd implements Runnable {
    private final HostState host;
    private final long window;
    private final Consumer<HostState> quietly;

    WindowEnd(HostState host, long window, Consumer<HostState> quietly) {
      this.host = host;
      this.window = window;
      this.quietly = quietly;
    }

    @Override
    public void run() {
      if (host.window() == window && host.settling()) {
        host.closeWindow(); // no second close: one backend died alone
        quietly.accept(host);
      }
    }
  }
}
