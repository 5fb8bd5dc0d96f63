package io.github.lifeline.internal.linux;

import io.github.lifeline.socket.TcpState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Part of the kernel's {@code struct tcp_info} for one socket, read with {@code getsockopt(fd, IPPROTO_TCP, TCP_INFO)}.
 *
 * <p>Layout ({@code include/uapi/linux/tcp.h}; host byte order, no padding; only the fields read here):
 * <pre>
 * offset size field
 *      0  u8  tcpi_state            TCP state number, see {@link TcpState}
 *      1  u8  tcpi_ca_state         congestion avoidance state (0 open, 4 loss)
 *      2  u8  tcpi_retransmits      retransmissions of the oldest unacknowledged segment (reset by an ACK)
 *      3  u8  tcpi_probes           unanswered keepalive or zero-window probes
 *      4  u8  tcpi_backoff          exponential backoff of the retransmission timer
 *      5  u8  tcpi_options, 6 u8 wscales, 7 u8 delivery_rate_app_limited/fastopen bits (not read)
 *      8  u32 tcpi_rto              retransmission timeout, microseconds
 *     12  u32 tcpi_ato, 16 u32 tcpi_snd_mss, 20 u32 tcpi_rcv_mss (not read)
 *     24  u32 tcpi_unacked          segments sent and not acknowledged
 *     28  u32 tcpi_sacked (not read)
 *     32  u32 tcpi_lost             segments considered lost
 *     36  u32 tcpi_retrans, 40 u32 tcpi_fackets (not read)
 *     44  u32 tcpi_last_data_sent   milliseconds since data was last sent
 *     48  u32 tcpi_last_ack_sent    (never filled by Linux)
 *     52  u32 tcpi_last_data_recv   milliseconds since data was last received
 *     56  u32 tcpi_last_ack_recv    milliseconds since an ACK was last received
 *     60  u32 tcpi_pmtu, 64 u32 tcpi_rcv_ssthresh (not read)
 *     68  u32 tcpi_rtt              smoothed round trip time, microseconds
 *     72  u32 tcpi_rttvar           its variance, microseconds
 *     76..99 snd_ssthresh, snd_cwnd, advmss, reordering, rcv_rtt, rcv_space (not read)
 *    100  u32 tcpi_total_retrans    retransmitted segments over the connection's life
 *    104  ... newer fields (pacing rate, byte counters, ...), not read
 * </pre>
 * Kernels since 2.6 return at least these 104 bytes; a shorter answer is an error rather than zeros.
 *
 * @param state the TCP state number ({@link #stateName()} names it)
 * @param probes unanswered keepalive or zero-window probes
 * @param retransmits retransmissions of the oldest unacknowledged segment, 0 once it is acknowledged
 * @param backoff exponential backoff of the retransmission timer
 * @param rtoMicros retransmission timeout in microseconds
 * @param lastDataRecvMillis milliseconds since data was last received
 * @param lastAckRecvMillis milliseconds since an ACK was last received
 * @param unacked segments sent and not yet acknowledged
 * @param caState congestion avoidance state (0 open, 1 disorder, 2 CWR, 3 recovery, 4 loss)
 * @param lost segments currently considered lost
 * @param lastDataSentMillis milliseconds since data was last sent
 * @param rttMicros smoothed round trip time in microseconds
 * @param rttVarMicros round trip time variance in microseconds
 * @param totalRetrans segments retransmitted over the connection's life
 */
public record TcpInfo(int state, int probes, int retransmits, int backoff, long rtoMicros, long lastDataRecvMillis,
    long lastAckRecvMillis, int unacked, int caState, int lost, long lastDataSentMillis, long rttMicros,
    long rttVarMicros, long totalRetrans) {

  /** Bytes passed to the kernel: larger than any current {@code struct tcp_info} (about 280 bytes on Linux 6.x). */
  static final int BUFFER_SIZE = 512;

  /** Bytes this class reads: up to and including {@code tcpi_total_retrans}. */
  static final int MIN_SIZE = 104;

  /** True when the connection is {@link TcpState#ESTABLISHED}. */
  public boolean established() {
    return state == TcpState.ESTABLISHED.code();
  }

  /** The state as a {@link TcpState}. */
  public TcpState tcpState() {
    return TcpState.of(state);
  }

  /** The state's name, e.g. {@code "CLOSE_WAIT"}, or {@code "UNKNOWN(42)"}. */
  public String stateName() {
    TcpState s = tcpState();
    return s == TcpState.UNKNOWN ? "UNKNOWN(" + state + ")" : s.name();
  }

  /** Parses the first {@code length} bytes the kernel wrote into {@code buf}. */
  static TcpInfo parse(byte[] buf, int length) throws IOException {
    if (length < MIN_SIZE) {
      throw new IOException("getsockopt(TCP_INFO) returned " + length + " bytes, fewer than the " + MIN_SIZE
          + " bytes of struct tcp_info Lifeline reads");
    }
    ByteBuffer b = ByteBuffer.wrap(buf, 0, length).order(ByteOrder.nativeOrder());
    return new TcpInfo(
        u8(b, 0), // tcpi_state
        u8(b, 3), // tcpi_probes
        u8(b, 2), // tcpi_retransmits
        u8(b, 4), // tcpi_backoff
        u32(b, 8), // tcpi_rto
        u32(b, 52), // tcpi_last_data_recv
        u32(b, 56), // tcpi_last_ack_recv
        b.getInt(24), // tcpi_unacked
        u8(b, 1), // tcpi_ca_state
        b.getInt(32), // tcpi_lost
        u32(b, 44), // tcpi_last_data_sent
        u32(b, 68), // tcpi_rtt
        u32(b, 72), // tcpi_rttvar
        u32(b, 100)); // tcpi_total_retrans
  }

  private static int u8(ByteBuffer b, int offset) {
    return b.get(offset) & 0xff;
  }

  private static long u32(ByteBuffer b, int offset) {
    return b.getInt(offset) & 0xffff_ffffL;
  }
}
