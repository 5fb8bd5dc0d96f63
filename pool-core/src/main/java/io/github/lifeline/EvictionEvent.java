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
 * @param verdictNanos when the kernel's verdict reached Lifeline ({@link System#nanoTime()}): the epoll wake-up for
 *     the connection's own death, or for the death that condemned it; microseconds after the kernel decided
 * @param lagAfterVerdict from {@code verdictNanos} until Lifeline had closed the socket and handed the connection to
 *     HikariCP for eviction
 */
public record EvictionEvent(String pool, InetSocketAddress local, InetSocketAddress remote, EvictionReason reason,
    TcpState state, long verdictNanos, Duration lagAfterVerdict) {
}
