package io.github.lifeline.lint;

import java.time.Duration;
import java.util.Objects;

/**
 * What the kernel applies to the pool's sockets: the values read back with {@code getsockopt} (a socket that sets no
 * keepalive timing of its own reads the system-wide sysctls), or, where nothing could be read, what the configuration
 * implies.
 *
 * @param keepalive {@code SO_KEEPALIVE}
 * @param keepaliveIdle {@code TCP_KEEPIDLE}
 * @param keepaliveInterval {@code TCP_KEEPINTVL}
 * @param keepaliveCount {@code TCP_KEEPCNT}
 * @param userTimeout {@code TCP_USER_TIMEOUT}; zero is off; {@code null} when it could not be read
 * @param readBack whether the values were read from the kernel, rather than inferred
 */
public record SocketOptions(boolean keepalive, Duration keepaliveIdle, Duration keepaliveInterval, int keepaliveCount,
    Duration userTimeout, boolean readBack) {

  /** Checks that the keepalive durations are present. */
  public SocketOptions {
    Objects.requireNonNull(keepaliveIdle, "keepaliveIdle");
    Objects.requireNonNull(keepaliveInterval, "keepaliveInterval");
  }

  /** How long an idle connection to a silent peer stays up: idle + interval x count, unless a user timeout cuts it. */
  public Duration keepaliveBudget() {
    return keepaliveIdle.plus(keepaliveInterval.multipliedBy(keepaliveCount));
  }

  /** Whether a user timeout is set (known and non-zero). */
  public boolean hasUserTimeout() {
    return userTimeout != null && !userTimeout.isZero();
  }
}
