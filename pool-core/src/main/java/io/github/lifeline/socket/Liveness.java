package io.github.lifeline.socket;

/** What the kernel's view of a socket says about its peer. */
public enum Liveness {
  /** Established, nothing unanswered. */
  ALIVE,
  /** Established, but keepalive probes or retransmissions are going unanswered: the peer may be gone. */
  SUSPECT,
  /** The kernel has given up on the connection or the peer closed it: CLOSE_WAIT, CLOSE, or no socket at all. */
  DEAD
}
