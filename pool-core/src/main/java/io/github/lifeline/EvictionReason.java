package io.github.lifeline;

/** Why Lifeline took a connection out of a pool. */
public enum EvictionReason {
  /** The server closed the connection (FIN): a restart, a crash, a terminated backend, an idle timeout. */
  PEER_CLOSED,
  /** The connection was reset (RST), or the kernel reported another error on it. */
  RESET,
  /** The kernel gave up on a silent peer: keepalive probes or sent data went unanswered (ETIMEDOUT). */
  TIMEOUT,
  /**
   * Its server is shutting down: several of its connections were closed by the server within milliseconds. The
   * connection had no verdict of its own yet; it is not lent any more and HikariCP replaces it.
   */
  HOST_DOWN
}
