package io.github.lifeline.lint;

/** What Lifeline does for a pool. */
public enum Protection {
  /** No Lifeline: the driver's and the kernel's defaults. */
  NONE,
  /**
   * Properties only: Lifeline's socket factory tunes every socket (keepalive timing, {@code TCP_USER_TIMEOUT}), but
   * nothing watches the sockets or evicts dead connections from the pool.
   */
  SOCKETS,
  /**
   * {@code LifelineDataSource} or {@code Lifeline.install}: the sockets are tuned, and the monitor evicts every dead
   * connection on the kernel's verdict.
   */
  MONITOR
}
