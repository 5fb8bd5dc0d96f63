package io.github.lifeline.socket;

/**
 * The kernel's TCP states ({@code include/net/tcp_states.h}), with their numbers, plus {@link #GONE}: the kernel holds
 * no socket for the connection any more (closed by keepalive, the user timeout or a reset, or closed by its owner).
 */
public enum TcpState {
  /** Connected; data flows both ways. */
  ESTABLISHED(1),
  /** Our SYN was sent, waiting for the answer. */
  SYN_SENT(2),
  /** Server side of a handshake in progress. */
  SYN_RECV(3),
  /** We closed; our FIN is not acknowledged yet. */
  FIN_WAIT1(4),
  /** We closed and the peer acknowledged; waiting for its FIN. */
  FIN_WAIT2(5),
  /** Both closed, we closed first; the 4-tuple is held for 60 s. */
  TIME_WAIT(6),
  /** No connection: the kernel dropped it (keepalive or user timeout expired, reset) or it was never connected. */
  CLOSE(7),
  /** The peer closed (sent FIN); we have not closed yet. */
  CLOSE_WAIT(8),
  /** The peer closed first, then we did; waiting for the last ACK. */
  LAST_ACK(9),
  /** A listening socket. */
  LISTEN(10),
  /** Both sides closed at the same time. */
  CLOSING(11),
  /** A request socket of a listener (seen by sock_diag only). */
  NEW_SYN_RECV(12),
  /** Bound but neither connected nor listening (Linux 6.6+). */
  BOUND_INACTIVE(13),
  /** A number this enum does not know (a newer kernel). */
  UNKNOWN(-1),
  /** The kernel holds no socket with this 4-tuple and cookie. */
  GONE(0);

  private static final TcpState[] KNOWN = values();

  private final int code;

  TcpState(int code) {
    this.code = code;
  }

  /** The kernel's number for this state; -1 for {@link #UNKNOWN}, 0 for {@link #GONE}. */
  public int code() {
    return code;
  }

  /** The state with this kernel number, {@link #UNKNOWN} when there is none. */
  public static TcpState of(int code) {
    return code >= 1 && code <= 13 ? KNOWN[code - 1] : UNKNOWN;
  }
}
