package io.github.lifeline.internal.linux;

import java.io.IOException;

/**
 * A Linux system call failed. The message names the call, its arguments and the error, e.g.
 * {@code "getsockopt(fd 1000000, IPPROTO_TCP, TCP_USER_TIMEOUT) failed: EBADF (Bad file descriptor)"}.
 */
public final class ErrnoException extends IOException {

  private static final long serialVersionUID = 1L;

  /** The errno value. */
  private final int errno;

  ErrnoException(String call, int errno) {
    super(call + " failed: " + LinuxConstants.errnoName(errno) + " (" + text(errno) + ")");
    this.errno = errno;
  }

  /** The errno value the call failed with, e.g. {@link LinuxConstants#EBADF}. */
  public int errno() {
    return errno;
  }

  private static String text(int errno) {
    try {
      return LibC.strerror(errno);
    } catch (Throwable t) {
      return "errno " + errno;
    }
  }
}
