package io.github.lifeline.internal.linux;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The libc functions Lifeline calls, bound with JNA direct mapping ({@link Native#register}): each call is one JNI
 * transition, with no proxy or reflection.
 *
 * <p>This is the only class that names JNA types, and none of them appear in its method signatures. Other classes can
 * therefore be loaded, and report that native access is unavailable, when JNA is missing: loading this class then
 * fails, and {@link LinuxSockets} catches that once. On failure a function returns -1 and {@link #errno()} gives the
 * error, which JNA saves for the calling thread right after the call.
 *
 * <p>Only 64-bit Linux is supported: {@code size_t}/{@code ssize_t} are mapped to Java {@code long} and
 * {@code struct timeval} to two longs.
 */
final class LibC {

  static {
    if (Native.LONG_SIZE != 8) {
      throw new UnsupportedOperationException("only 64-bit Linux is supported (C long has " + Native.LONG_SIZE
          + " bytes)");
    }
    Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
  }

  private LibC() {
  }

  /** {@code int getsockname(int fd, struct sockaddr *addr, socklen_t *len)}; {@code len[0]} is in/out. */
  static native int getsockname(int fd, byte[] addr, int[] len);

  /** {@code int getpeername(int fd, struct sockaddr *addr, socklen_t *len)}; {@code len[0]} is in/out. */
  static native int getpeername(int fd, byte[] addr, int[] len);

  /** {@code getsockopt} for an {@code int} option. */
  static native int getsockopt(int fd, int level, int option, int[] value, int[] len);

  /** {@code getsockopt} for a {@code u64} option. */
  static native int getsockopt(int fd, int level, int option, long[] value, int[] len);

  /** {@code getsockopt} for a struct option. */
  static native int getsockopt(int fd, int level, int option, byte[] value, int[] len);

  /** {@code setsockopt} for an {@code int} option ({@code len} = 4). */
  static native int setsockopt(int fd, int level, int option, int[] value, int len);

  /** {@code setsockopt} for an option made of longs, such as {@code struct timeval} ({@code len} = 16). */
  static native int setsockopt(int fd, int level, int option, long[] value, int len);

  /** {@code int socket(int domain, int type, int protocol)}. */
  static native int socket(int domain, int type, int protocol);

  /** {@code ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t)}. */
  static native long sendto(int fd, byte[] buf, long len, int flags, byte[] to, int toLen);

  /** {@code ssize_t recv(int fd, void *buf, size_t len, int flags)}. */
  static native long recv(int fd, byte[] buf, long len, int flags);

  /** {@code int close(int fd)}. */
  static native int close(int fd);

  /** {@code int epoll_create1(int flags)}. */
  static native int epoll_create1(int flags);

  /** {@code int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)}. */
  static native int epoll_ctl(int epfd, int op, int fd, byte[] event);

  /** {@code int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)}. */
  static native int epoll_wait(int epfd, byte[] events, int maxevents, int timeout);

  /** {@code int poll(struct pollfd *fds, nfds_t nfds, int timeout)}; each {@code pollfd} is two ints here. */
  static native int poll(int[] fds, long nfds, int timeout);

  /** {@code int eventfd(unsigned int initval, int flags)}. */
  static native int eventfd(int initval, int flags);

  /** {@code ssize_t write(int fd, const void *buf, size_t count)}. */
  static native long write(int fd, byte[] buf, long count);

  /** {@code ssize_t read(int fd, void *buf, size_t count)}. */
  static native long read(int fd, byte[] buf, long count);

  /** {@code char *strerror(int errnum)}: the C library's text for an errno value. */
  static native String strerror(int errnum);

  /** The errno of this thread's last native call through JNA. */
  static int errno() {
    return Native.getLastError();
  }
}
