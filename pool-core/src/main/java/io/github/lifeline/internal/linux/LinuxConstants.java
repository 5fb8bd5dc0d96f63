package io.github.lifeline.internal.linux;

/**
 * Linux socket constants used by Lifeline (values from {@code <sys/socket.h>}, {@code <netinet/tcp.h>},
 * {@code <asm-generic/errno.h>} and {@code <linux/netlink.h>}, identical on x86_64 and aarch64), plus names for
 * messages.
 */
public final class LinuxConstants {

  private LinuxConstants() {
  }

  // Address families.
  /** IPv4 address family. */
  public static final int AF_INET = 2;
  /** IPv6 address family (Java's dual-stack sockets use it, with IPv4 peers as {@code ::ffff:a.b.c.d}). */
  public static final int AF_INET6 = 10;
  /** Netlink address family. */
  public static final int AF_NETLINK = 16;

  // Socket level options.
  /** Socket level for {@code getsockopt}/{@code setsockopt}. */
  public static final int SOL_SOCKET = 1;
  /** int, read only: the pending socket error, cleared by reading it. */
  public static final int SO_ERROR = 4;
  /** int: keepalive on (non-zero) or off. */
  public static final int SO_KEEPALIVE = 9;
  /** struct timeval: receive timeout. */
  public static final int SO_RCVTIMEO = 20;
  /** u64, read only: a number unique to the socket for the kernel's uptime (never reused for another socket). */
  public static final int SO_COOKIE = 57;

  // TCP level options.
  /** Protocol level of TCP options. */
  public static final int IPPROTO_TCP = 6;
  /** int seconds: idle time before the first keepalive probe. */
  public static final int TCP_KEEPIDLE = 4;
  /** int seconds: interval between keepalive probes. */
  public static final int TCP_KEEPINTVL = 5;
  /** int: unanswered keepalive probes before the kernel drops the connection. */
  public static final int TCP_KEEPCNT = 6;
  /** struct tcp_info, read only. */
  public static final int TCP_INFO = 11;
  /** int milliseconds: how long sent data may stay unacknowledged before the kernel drops the connection. */
  public static final int TCP_USER_TIMEOUT = 18;

  // Netlink / sock_diag.
  /** Netlink family of the socket diagnostics interface. */
  public static final int NETLINK_SOCK_DIAG = 4;
  /** sock_diag request/response message type. */
  public static final int SOCK_DIAG_BY_FAMILY = 20;

  // errno values used in code.
  /** No such file or directory; sock_diag: no such socket. */
  public static final int ENOENT = 2;
  /** Interrupted system call. */
  public static final int EINTR = 4;
  /** Bad file descriptor. */
  public static final int EBADF = 9;
  /** Try again (also a receive timeout). */
  public static final int EAGAIN = 11;
  /** Socket operation on non-socket. */
  public static final int ENOTSOCK = 88;
  /** Connection reset by peer. */
  public static final int ECONNRESET = 104;
  /** Connection timed out (keepalive or the user timeout gave up). */
  public static final int ETIMEDOUT = 110;
  /** Transport endpoint is not connected. */
  public static final int ENOTCONN = 107;

  /** Name of a socket option level, e.g. {@code "IPPROTO_TCP"}, or its number. */
  public static String levelName(int level) {
    switch (level) {
      case SOL_SOCKET: return "SOL_SOCKET";
      case IPPROTO_TCP: return "IPPROTO_TCP";
      default: return Integer.toString(level);
    }
  }

  /** Name of a socket option at a level, e.g. {@code "TCP_USER_TIMEOUT"}, or its number. */
  public static String optionName(int level, int option) {
    if (level == SOL_SOCKET) {
      switch (option) {
        case SO_ERROR: return "SO_ERROR";
        case SO_KEEPALIVE: return "SO_KEEPALIVE";
        case SO_RCVTIMEO: return "SO_RCVTIMEO";
        case SO_COOKIE: return "SO_COOKIE";
        default: return Integer.toString(option);
      }
    }
    if (level == IPPROTO_TCP) {
      switch (option) {
        case TCP_KEEPIDLE: return "TCP_KEEPIDLE";
        case TCP_KEEPINTVL: return "TCP_KEEPINTVL";
        case TCP_KEEPCNT: return "TCP_KEEPCNT";
        case TCP_INFO: return "TCP_INFO";
        case TCP_USER_TIMEOUT: return "TCP_USER_TIMEOUT";
        default: return Integer.toString(option);
      }
    }
    return Integer.toString(option);
  }

  /** Symbolic name of an errno value, e.g. {@code "EBADF"}, or {@code "errno 123"} for ones not listed here. */
  public static String errnoName(int errno) {
    switch (errno) {
      case 1: return "EPERM";
      case ENOENT: return "ENOENT";
      case EINTR: return "EINTR";
      case EBADF: return "EBADF";
      case EAGAIN: return "EAGAIN";
      case 12: return "ENOMEM";
      case 13: return "EACCES";
      case 14: return "EFAULT";
      case 22: return "EINVAL";
      case 23: return "ENFILE";
      case 24: return "EMFILE";
      case 28: return "ENOSPC";
      case ENOTSOCK: return "ENOTSOCK";
      case 92: return "ENOPROTOOPT";
      case 93: return "EPROTONOSUPPORT";
      case 95: return "EOPNOTSUPP";
      case 97: return "EAFNOSUPPORT";
      case 104: return "ECONNRESET";
      case 105: return "ENOBUFS";
      case ENOTCONN: return "ENOTCONN";
      case 110: return "ETIMEDOUT";
      case 111: return "ECONNREFUSED";
      default: return "errno " + errno;
    }
  }
}
