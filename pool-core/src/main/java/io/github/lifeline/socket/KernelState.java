package io.github.lifeline.socket;

/**
 * The kernel's view of one socket, what {@code ss -tnoei} prints for it, read through the kernel's socket
 * diagnostics (sock_diag) by 4-tuple and cookie: no file descriptor is needed, so it can be asked from any thread
 * while the owner is blocked in a read, and it stays meaningful after the kernel dropped the connection
 * ({@link TcpState#GONE}).
 *
 * @param state the TCP state, or {@link TcpState#GONE} when the kernel holds no such socket
 * @param timer the timer pending on the socket
 * @param timerMillis milliseconds until that timer fires (0 when {@link TcpTimer#OFF})
 * @param probes keepalive (or zero-window) probes sent and not answered, in a row
 * @param retransmits retransmissions of the oldest unacknowledged segment, in a row
 * @param rttMicros smoothed round trip time, microseconds (0 when unknown)
 * @param rttVarMicros round trip time variance, microseconds
 * @param lastDataSentMillis milliseconds since data was last sent
 * @param lastDataRecvMillis milliseconds since data was last received
 * @param lastAckRecvMillis milliseconds since an acknowledgment was last received
 * @param unacked segments sent and not yet acknowledged
 * @param totalRetrans segments retransmitted over the connection's life
 */
public record KernelState(TcpState state, TcpTimer timer, long timerMillis, int probes, int retransmits,
    long rttMicros, long rttVarMicros, long lastDataSentMillis, long lastDataRecvMillis, long lastAckRecvMillis,
    int unacked, long totalRetrans) {

  private static final KernelState GONE = new KernelState(TcpState.GONE, TcpTimer.OFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

  /** The answer for a socket the kernel no longer holds. */
  public static KernelState gone() {
    return GONE;
  }

  /** Whether the connection is established. */
  public boolean established() {
    return state == TcpState.ESTABLISHED;
  }

  /** Like {@code ss -tnoe}: {@code ESTABLISHED timer:(keepalive,16sec,0) rtt:0.04/0.02 lastack:1200ms}. */
  @Override
  public String toString() {
    if (state == TcpState.GONE) {
      return "GONE";
    }
    StringBuilder sb = new StringBuilder(state.name());
    if (timer != TcpTimer.OFF) {
      sb.append(" timer:(").append(timer.name().toLowerCase(java.util.Locale.ROOT)).append(',')
          .append(timerMillis).append("ms,").append(timer == TcpTimer.RETRANSMIT ? retransmits : probes).append(')');
    }
    sb.append(" rtt:").append(rttMicros / 1000.0).append('/').append(rttVarMicros / 1000.0);
    sb.append(" lastsnd:").append(lastDataSentMillis).append(" lastrcv:").append(lastDataRecvMillis)
        .append(" lastack:").append(lastAckRecvMillis);
    if (unacked > 0) {
      sb.append(" unacked:").append(unacked);
    }
    if (totalRetrans > 0) {
      sb.append(" retrans:").append(retransmits).append('/').append(totalRetrans);
    }
    return sb.toString();
  }
}
