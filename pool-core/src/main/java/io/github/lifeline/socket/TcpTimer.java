package io.github.lifeline.socket;

/**
 * The timer the kernel has pending on a socket, as {@code ss -o} shows it ({@code timer:(keepalive,16sec,0)}); from
 * {@code idiag_timer} of the kernel's socket diagnostics.
 */
public enum TcpTimer {
  /** No timer pending. */
  OFF,
  /** Retransmission of unacknowledged data (also tail-loss probes and reordering timeouts). */
  RETRANSMIT,
  /** The keepalive timer: next probe, or the idle time before the first one. */
  KEEPALIVE,
  /** The TIME_WAIT timer of a closed connection. */
  TIME_WAIT,
  /** A zero-window probe: the peer is alive but its receive window is full (a slow reader, not a dead peer). */
  ZERO_WINDOW_PROBE;

  /** The timer of a kernel {@code idiag_timer} value; unknown values are {@link #OFF}. */
  public static TcpTimer ofDiagCode(int code) {
    switch (code) {
      case 1: return RETRANSMIT;
      case 2: return KEEPALIVE;
      case 3: return TIME_WAIT;
      case 4: return ZERO_WINDOW_PROBE;
      default: return OFF;
    }
  }
}
