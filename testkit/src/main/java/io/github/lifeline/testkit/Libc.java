package io.github.lifeline.testkit;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import java.io.IOException;

/** The libc calls of {@link TcpDiag} and {@link DeathWatch}, through JNA direct mapping, bound on first use. */
final class Libc {

  private static final String PROBLEM = bind();

  private Libc() {
  }

  private static String bind() {
    try {
      if (!Platform.isLinux() || Native.LONG_SIZE != 8) {
        return "not 64-bit Linux (" + System.getProperty("os.name") + ")";
      }
      Native.register(Libc.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
      return null;
    } catch (Throwable t) {
      return "JNA cannot bind libc: " + t;
    }
  }

  /** @throws IOException naming the reason when libc is not bound */
  static void require(String who) throws IOException {
    if (PROBLEM != null) {
      throw new IOException(who + " is unavailable: " + PROBLEM);
    }
  }

  /** An I/O error naming the call and this thread's errno. */
  static IOException errno(String call) {
    int errno = Native.getLastError();
    return new IOException(call + " failed: errno " + errno + " (" + strerror(errno) + ")");
  }

  static native int socket(int domain, int type, int protocol);

  static native int setsockopt(int fd, int level, int option, long[] value, int len);

  static native int getsockopt(int fd, int level, int option, int[] value, int[] len);

  static native long sendto(int fd, byte[] buf, long len, int flags, byte[] to, int toLen);

  static native long recv(int fd, byte[] buf, long len, int flags);

  static native int close(int fd);

  static native int epoll_create1(int flags);

  static native int epoll_ctl(int epfd, int op, int fd, byte[] event);

  static native int epoll_wait(int epfd, byte[] events, int maxevents, int timeout);

  static native String strerror(int errnum);

  /** {@code sched_setscheduler(2)}; {@code pid} 0 is the calling thread, {@code param} holds the priority. */
  static native int sched_setscheduler(int pid, int policy, int[] param);
}
