package io.github.lifeline.internal.linux;

/**
 * What sock_diag reports about one TCP socket ({@code struct inet_diag_msg}).
 *
 * <p>The kernel has a single counter, {@code idiag_retrans}, whose meaning depends on which timer is pending
 * ({@code idiag_timer}, see {@code inet_sk_diag_fill} in {@code net/ipv4/inet_diag.c}): with the retransmission timer
 * (1) it is the socket's retransmission count; with the keepalive timer (2) or the zero-window probe timer (3) it is the
 * number of unanswered probes. This record splits it accordingly, so at most one of {@link #retransmits()} and
 * {@link #probes()} is non-zero.
 *
 * @param state the socket's TCP state
 * @param cookie the socket's cookie ({@code SO_COOKIE}), unique for the kernel's uptime
 * @param retransmits {@code idiag_retrans} when the retransmission timer is pending, else 0
 * @param probes {@code idiag_retrans} when the keepalive or zero-window probe timer is pending, else 0
 * @param inode the socket's inode number (as in {@code socket:[inode]}), 0 once no file refers to it
 */
public record DiagResult(TcpState state, long cookie, int retransmits, int probes, long inode) {
}
