package io.github.lifeline;

import io.github.lifeline.socket.TcpState;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Lifeline took a dead connection out of a pool, or condemned one so that it is not lent again.
 *
 * @param pool the pool name
 * @param local the connection's local address
 * @param remote the database host and port
 * @param reason why
 * @param state the socket's TCP state when it was judged ({@link TcpState#GONE} when the kernel had dropped it)
 * @param verdictNanos when the kernel's verdict was in effect in Lifeline ({@link System#nanoTime()}, read just after
 *     the monitor thread marked the connection, or its server, so that a {@code LifelineDataSource} borrow from then on
 *     does not receive it): for the connection's own death, or for the death that condemned it. Microseconds after
 *     the kernel decided when the monitor thread finds a free core; milliseconds on a saturated machine
 * @param lagAfterVerdict from {@code verdictNanos} until Lifeline had closed the socket and handed the connection to
 *     HikariCP for eviction
 */
public record EvictionEvent(String pool, InetSocketAddress local, InetSocketAddress remote, EvictionReason reason,
    TcpState state, long verdictNanos, Duration lagAfterVerdict) {
}
