package io.github.lifeline.internal.linux;

import io.github.lifeline.socket.KernelState;
import io.github.lifeline.socket.TcpState;
import io.github.lifeline.socket.TcpTimer;

/**
 * What sock_diag reports about one TCP socket: {@code struct inet_diag_msg} and, when the kernel sent it, the
 * {@code INET_DIAG_INFO} attribute ({@code struct tcp_info}).
 *
 * <p>{@code idiag_retrans} means what the pending timer says ({@code inet_sk_diag_fill} in
 * {@code net/ipv4/inet_diag.c}): with the retransmission timer (1) it is the socket's retransmission count; with the
 * keepalive timer (2) or the zero-window probe timer (4) it is the number of unanswered probes; timer 3 is a
 * TIME_WAIT socket's.
 *
 * @param state the socket's TCP state
 * @param cookie the socket's cookie ({@code SO_COOKIE}), unique for the kernel's uptime
 * @param timer the pending timer
 * @param timerMillis milliseconds until it fires
 * @param diagRetrans {@code idiag_retrans}, read according to {@code timer}
 * @param inode the socket's inode number (as in {@code socket:[inode]}), 0 once no file refers to it
 * @param info the {@code tcp_info} the kernel attached, or {@code null}
 */
public record DiagResult(TcpState state, long cookie, TcpTimer timer, long timerMillis, int diagRetrans, long inode,
    TcpInfo info) {

  /** Retransmissions in a row of the oldest unacknowledged segment. */
  public int retransmits() {
    return info != null ? info.retransmits() : timer == TcpTimer.RETRANSMIT ? diagRetrans : 0;
  }

  /** Unanswered keepalive or zero-window probes in a row. */
  public int probes() {
    return info != null ? info.probes()
        : timer == TcpTimer.KEEPALIVE || timer == TcpTimer.ZERO_WINDOW_PROBE ? diagRetrans : 0;
  }

  /** The public view. */
  public KernelState toKernelState() {
    if (info == null) {
      return new KernelState(state, timer, timerMillis, probes(), retransmits(), 0, 0, 0, 0, 0, 0, 0);
    }
    return new KernelState(state, timer, timerMillis, probes(), retransmits(), info.rttMicros(), info.rttVarMicros(),
        info.lastDataSentMillis(), info.lastDataRecvMillis(), info.lastAckRecvMillis(), info.unacked(),
        info.totalRetrans());
  }
}
