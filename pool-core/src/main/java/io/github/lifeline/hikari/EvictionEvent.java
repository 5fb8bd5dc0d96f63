package io.github.lifeline.hikari;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Lifeline took a dead connection out of a pool.
 *
 * @param pool the pool name
 * @param local the connection's local address
 * @param remote the database host and port
 * @param reason why: {@code peer-closed} (FIN, CLOSE_WAIT), {@code reset-or-timeout} (reset, keepalive or user timeout
 *     gave up), or {@code host-dead} (a sibling of a connection that died; its own probes were going unanswered)
 * @param kernelState the socket's TCP state when it was judged, or {@code GONE}
 * @param lagAfterVerdict time from the monitor seeing the kernel's verdict to the eviction
 */
public record EvictionEvent(String pool, InetSocketAddress local, InetSocketAddress remote, String reason,
    String kernelState, Duration lagAfterVerdict) {
}
