package io.github.lifeline.internal.linux;

/** The kernel's TCP states ({@code enum} in {@code include/net/tcp_states.h}), with their numbers. */
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
  /** A number this enum does not know (a newer kernel); see the raw number where the caller has it. */
  UNKNOWN(-1);

  private static final TcpState[] KNOWN = values();

  private final int code;

  TcpState(int code) {
    this.code = code;
  }

  /** The kernel's number for this state, -1 for {@link #UNKNOWN}. */
  public int code() {
    return code;
  }

  /** The state with this kernel number, {@link #UNKNOWN} when there is none. */
  public static TcpState of(int code) {
    return code >= 1 && code <= 13 ? KNOWN[code - 1] : UNKNOWN;
  }
}
