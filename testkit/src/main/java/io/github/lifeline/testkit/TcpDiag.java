package io.github.lifeline.testkit;

import com.sun.jna.Native;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The kernel's table of TCP sockets, read through socket diagnostics ({@code NETLINK_SOCK_DIAG} dumps, the interface
 * {@code ss} uses), with each socket's {@code struct tcp_info}: an observer outside Lifeline's own code path, cheap
 * enough to poll every millisecond, needing no privilege and no file descriptor of the sockets it reports.
 *
 * <p>{@link #toPeerPort(int)} answers what {@code ss -tnoei dport = :PORT} prints: state, timer, probes,
 * retransmissions, RTT, time since the last ACK, inode and cookie. A socket the kernel dropped (keepalive or
 * {@code TCP_USER_TIMEOUT} gave up, or a reset) is no longer in the table, even while its owner still holds the file
 * descriptor. {@link #options(long)} reads the TCP options of one of this process's own sockets by its inode, so that
 * a socket that Lifeline never saw can be read back too.
 *
 * <p>One instance holds one netlink socket. Methods are synchronized; close it when done. Linux only, 64-bit.
 */
public final class TcpDiag implements AutoCloseable {

  /** The TCP states ({@code include/net/tcp_states.h}), by kernel number. */
  private static final String[] STATES = {"UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
      "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV", "BOUND_INACTIVE"};

  private static final int AF_INET = 2;
  private static final int AF_INET6 = 10;
  private static final int AF_NETLINK = 16;
  private static final int SOCK_DGRAM = 2;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int NETLINK_SOCK_DIAG = 4;
  private static final int SOCK_DIAG_BY_FAMILY = 20;
  private static final int IPPROTO_TCP = 6;
  private static final int SOL_SOCKET = 1;
  private static final int SO_KEEPALIVE = 9;
  private static final int SO_RCVTIMEO = 20;
  private static final int TCP_KEEPIDLE = 4;
  private static final int TCP_KEEPINTVL = 5;
  private static final int TCP_KEEPCNT = 6;
  private static final int TCP_USER_TIMEOUT = 18;
  private static final int NLM_F_REQUEST = 1;
  private static final int NLM_F_DUMP = 0x300;
  private static final int NLMSG_ERROR = 2;
  private static final int NLMSG_DONE = 3;
  private static final int INET_DIAG_INFO = 2;
  private static final int EINTR = 4;
  private static final int EAGAIN = 11;
  private static final int ENOENT = 2;
  /** Some kernels answer it for a 4-tuple that exists with another cookie. */
  private static final int ESTALE = 116;

  private static final int NLMSG_HDRLEN = 16;
  /** {@code struct inet_diag_req_v2}: family, protocol, ext, pad, states, then {@code struct inet_diag_sockid}. */
  private static final int REQ_LEN = 56;
  /** {@code struct inet_diag_msg}: family, state, timer, retrans, sockid, expires, rqueue, wqueue, uid, inode. */
  private static final int MSG_LEN = 72;

  private static final byte[] KERNEL = kernelAddress();

  private final byte[] request = new byte[NLMSG_HDRLEN + REQ_LEN];
  private final byte[] buffer = new byte[64 * 1024];
  private int fd;
  private int seq;

  private TcpDiag(int fd) {
    this.fd = fd;
  }

  /** The kernel timer pending on a socket, as {@code ss -o} names it. */
  public enum Timer {
    /** No timer. */
    OFF("off"),
    /** The retransmission timer ({@code ss}: {@code on}); the count is the number of retransmissions. */
    RETRANSMIT("on"),
    /** The keepalive timer; the count is the number of unanswered keepalive probes. */
    KEEPALIVE("keepalive"),
    /** A TIME_WAIT socket's timer. */
    TIME_WAIT("timewait"),
    /** The zero-window probe timer ({@code ss}: {@code persist}). */
    ZERO_WINDOW_PROBE("persist");

    private final String ssName;

    Timer(String ssName) {
      this.ssName = ssName;
    }

    /** The name {@code ss -o} prints in {@code timer:(NAME,...)}. */
    public String ssName() {
      return ssName;
    }

    static Timer of(int code) {
      switch (code) {
        case 1: return RETRANSMIT;
        case 2: return KEEPALIVE;
        case 3: return TIME_WAIT;
        case 4: return ZERO_WINDOW_PROBE;
        default: return OFF;
      }
    }
  }

  /**
   * Part of {@code struct tcp_info} as sock_diag reports it ({@code INET_DIAG_INFO}).
   *
   * @param probes unanswered keepalive or zero-window probes
   * @param retransmits retransmissions of the oldest unacknowledged segment
   * @param backoff exponential backoff of the retransmission timer
   * @param rtoMicros retransmission timeout
   * @param rttMicros smoothed round trip time
   * @param rttVarMicros round trip time variance
   * @param unacked segments sent and not acknowledged
   * @param lastDataSentMillis milliseconds since data was last sent
   * @param lastDataRecvMillis milliseconds since data was last received
   * @param lastAckRecvMillis milliseconds since an ACK was last received
   * @param totalRetrans segments retransmitted over the connection's life
   */
  public record Info(int probes, int retransmits, int backoff, long rtoMicros, long rttMicros, long rttVarMicros,
      int unacked, long lastDataSentMillis, long lastDataRecvMillis, long lastAckRecvMillis, long totalRetrans) {
  }

  /**
   * One TCP socket as the kernel reports it.
   *
   * @param local local address and port (an IPv4-mapped IPv6 address is reported as IPv4)
   * @param remote remote address and port
   * @param state the TCP state name ({@code ESTABLISHED}, {@code CLOSE_WAIT}, ...)
   * @param timer the pending timer
   * @param timerExpiresMillis milliseconds until the timer fires (0 without one)
   * @param timerCount retransmissions (with {@link Timer#RETRANSMIT}) or unanswered probes (with
   *     {@link Timer#KEEPALIVE} or {@link Timer#ZERO_WINDOW_PROBE}), as {@code ss -o} prints it third
   * @param inode the inode of the socket's file ({@code socket:[inode]}); 0 once no process holds it
   * @param cookie the socket's cookie, unique for the kernel's uptime
   * @param info its {@code tcp_info}, or {@code null} for a TIME_WAIT socket
   */
  public record TcpSocket(InetSocketAddress local, InetSocketAddress remote, String state, Timer timer,
      long timerExpiresMillis, int timerCount, long inode, long cookie, Info info) {

    /** Whether the connection is established. */
    public boolean established() {
      return "ESTABLISHED".equals(state);
    }

    /** {@code timer:(keepalive,16sec,0)} as {@code ss -o} prints it, or {@code -} without a timer. */
    public String ssTimer() {
      if (timer == Timer.OFF) {
        return "-";
      }
      return "timer:(" + timer.ssName() + "," + formatMillis(timerExpiresMillis) + "," + timerCount + ")";
    }
  }

  /**
   * The TCP options of one socket of this process, read with {@code getsockopt}: what the kernel applies to it (for
   * the keepalive timing, a socket that sets nothing reads the system-wide sysctl).
   *
   * @param keepalive {@code SO_KEEPALIVE}
   * @param keepaliveIdleSeconds {@code TCP_KEEPIDLE}
   * @param keepaliveIntervalSeconds {@code TCP_KEEPINTVL}
   * @param keepaliveCount {@code TCP_KEEPCNT}
   * @param userTimeoutMillis {@code TCP_USER_TIMEOUT}; 0 is off
   */
  public record Options(boolean keepalive, int keepaliveIdleSeconds, int keepaliveIntervalSeconds,
      int keepaliveCount, int userTimeoutMillis) {
  }

  /**
   * Opens a netlink socket for sock_diag.
   *
   * @throws IOException if this is not 64-bit Linux, JNA cannot bind libc, or the kernel refuses the socket
   */
  public static TcpDiag open() throws IOException {
    Libc.require("TcpDiag");
    int fd = Libc.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) {
      throw Libc.errno("socket(AF_NETLINK, NETLINK_SOCK_DIAG)");
    }
    if (Libc.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, new long[] {2, 0}, 16) != 0) {
      IOException e = Libc.errno("setsockopt(SO_RCVTIMEO)");
      Libc.close(fd);
      throw e;
    }
    return new TcpDiag(fd);
  }

  /**
   * Every TCP socket, in every state, whose remote port is {@code port}: the client ends of connections to a server
   * on this host, IPv4 and IPv6 (Java's dual-stack sockets are IPv6 sockets with IPv4-mapped addresses).
   *
   * @param port the server port
   * @return the sockets, in the kernel's order
   * @throws IOException if the kernel refuses the dump or does not answer within 2 s
   */
  public synchronized List<TcpSocket> toPeerPort(int port) throws IOException {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("not a TCP port: " + port);
    }
    List<TcpSocket> out = new ArrayList<>();
    dump(AF_INET, port, out);
    dump(AF_INET6, port, out);
    return out;
  }

  /**
   * The socket with exactly this local and remote address, if the kernel has it: one exact lookup (no dump), a few
   * microseconds whatever the size of the table. Empty once the kernel dropped the connection, or its owner closed it
   * and the close completed.
   *
   * @throws IllegalArgumentException if an address is unresolved, or one is IPv4 and the other IPv6
   * @throws IOException if the kernel answers with an error other than "no such socket"
   */
  public synchronized Optional<TcpSocket> find(InetSocketAddress local, InetSocketAddress remote)
      throws IOException {
    if (fd < 0) {
      throw new IOException("TcpDiag is closed");
    }
    byte[] l = rawAddress(local);
    byte[] r = rawAddress(remote);
    if (l.length != r.length) {
      throw new IllegalArgumentException("mixed address families: " + local + " -> " + remote);
    }
    int mySeq = ++seq;
    ByteBuffer b = header(l.length == 4 ? AF_INET : AF_INET6, NLM_F_REQUEST, mySeq);
    int id = NLMSG_HDRLEN + 8;
    ByteBuffer be = ByteBuffer.wrap(request).order(ByteOrder.BIG_ENDIAN);
    be.putShort(id, (short) local.getPort());
    be.putShort(id + 2, (short) remote.getPort());
    System.arraycopy(l, 0, request, id + 4, l.length);
    System.arraycopy(r, 0, request, id + 20, r.length);
    b.putInt(id + 40, -1); // INET_DIAG_NOCOOKIE
    b.putInt(id + 44, -1);
    send();
    List<TcpSocket> out = new ArrayList<>();
    boolean found = receive(mySeq, 0, out, true);
    return found && !out.isEmpty() ? Optional.of(out.get(0)) : Optional.empty();
  }

  /** IPv4 (also for an IPv4-mapped IPv6 address: the kernel finds a dual-stack socket so) or IPv6 bytes. */
  private static byte[] rawAddress(InetSocketAddress a) {
    if (a.isUnresolved()) {
      throw new IllegalArgumentException("unresolved address: " + a);
    }
    return a.getAddress().getAddress();
  }

  private ByteBuffer header(int family, int flags, int mySeq) {
    Arrays.fill(request, (byte) 0);
    ByteBuffer b = ByteBuffer.wrap(request).order(ByteOrder.nativeOrder());
    b.putInt(0, request.length);
    b.putShort(4, (short) SOCK_DIAG_BY_FAMILY);
    b.putShort(6, (short) flags);
    b.putInt(8, mySeq);
    int req = NLMSG_HDRLEN;
    b.put(req, (byte) family);
    b.put(req + 1, (byte) IPPROTO_TCP);
    b.put(req + 2, (byte) (1 << (INET_DIAG_INFO - 1)));
    b.putInt(req + 4, -1); // every state
    return b;
  }

  private void send() throws IOException {
    long sent = Libc.sendto(fd, request, request.length, 0, KERNEL, KERNEL.length);
    if (sent != request.length) {
      throw Libc.errno("sock_diag sendto");
    }
  }

  private void dump(int family, int port, List<TcpSocket> out) throws IOException {
    if (fd < 0) {
      throw new IOException("TcpDiag is closed");
    }
    int mySeq = ++seq;
    header(family, NLM_F_REQUEST | NLM_F_DUMP, mySeq);
    // The kernel skips sockets whose remote port differs from a non-zero idiag_dport while dumping.
    ByteBuffer.wrap(request).order(ByteOrder.BIG_ENDIAN).putShort(NLMSG_HDRLEN + 8 + 2, (short) port);
    send();
    receive(mySeq, port, out, false);
  }

  /**
   * Reads the answers to request {@code mySeq} into {@code out} until the dump is done, or, for an exact lookup, the
   * one answer came.
   *
   * @return for an exact lookup, whether the kernel has the socket
   */
  private boolean receive(int mySeq, int port, List<TcpSocket> out, boolean exact) throws IOException {
    while (true) {
      long n = Libc.recv(fd, buffer, buffer.length, 0);
      if (n < 0) {
        int errno = Native.getLastError();
        if (errno == EINTR) {
          continue;
        }
        throw errno == EAGAIN ? new IOException("sock_diag: no answer from the kernel within 2 s")
            : Libc.errno("sock_diag recv");
      }
      ByteBuffer r = ByteBuffer.wrap(buffer, 0, (int) n).order(ByteOrder.nativeOrder());
      for (int off = 0; off + NLMSG_HDRLEN <= n; ) {
        int len = r.getInt(off);
        int type = r.getShort(off + 4) & 0xffff;
        if (len < NLMSG_HDRLEN || off + len > n) {
          throw new IOException("sock_diag: malformed netlink message (length " + len + ")");
        }
        if (r.getInt(off + 8) == mySeq) {
          if (type == NLMSG_DONE) {
            return true;
          }
          if (type == NLMSG_ERROR) {
            int error = -r.getInt(off + NLMSG_HDRLEN);
            if (error == 0) {
              return true;
            }
            if (exact && (error == ENOENT || error == ESTALE)) {
              return false;
            }
            throw new IOException("sock_diag failed: errno " + error + " (" + Libc.strerror(error) + ")");
          }
          if (type == SOCK_DIAG_BY_FAMILY && len >= NLMSG_HDRLEN + MSG_LEN) {
            TcpSocket s = parse(r, off + NLMSG_HDRLEN, off + len);
            if (exact) {
              out.add(s);
              return true;
            }
            if (s.remote().getPort() == port) {
              out.add(s);
            }
          }
        }
        off += (len + 3) & ~3;
      }
    }
  }

  private static TcpSocket parse(ByteBuffer r, int m, int end) throws IOException {
    byte[] a = r.array();
    int family = a[m] & 0xff;
    int state = a[m + 1] & 0xff;
    int timer = a[m + 2] & 0xff;
    int count = a[m + 3] & 0xff;
    int id = m + 4;
    int sport = ((a[id] & 0xff) << 8) | (a[id + 1] & 0xff);
    int dport = ((a[id + 2] & 0xff) << 8) | (a[id + 3] & 0xff);
    InetAddress src = address(family, a, id + 4);
    InetAddress dst = address(family, a, id + 20);
    long cookie = (r.getInt(id + 40) & 0xffff_ffffL) | ((long) r.getInt(id + 44) << 32);
    long expires = r.getInt(m + 52) & 0xffff_ffffL;
    long inode = r.getInt(m + 68) & 0xffff_ffffL;
    Info info = null;
    for (int off = m + MSG_LEN; off + 4 <= end; ) {
      int len = r.getShort(off) & 0xffff;
      int type = r.getShort(off + 2) & 0xffff;
      if (len < 4) {
        break;
      }
      if (type == INET_DIAG_INFO && len - 4 >= 104) {
        info = info(r, off + 4);
      }
      off += (len + 3) & ~3;
    }
    return new TcpSocket(new InetSocketAddress(src, sport), new InetSocketAddress(dst, dport),
        state < STATES.length ? STATES[state] : "UNKNOWN(" + state + ")", Timer.of(timer), expires, count, inode,
        cookie, info);
  }

  /** The fields of {@code struct tcp_info} at their offsets ({@code include/uapi/linux/tcp.h}). */
  private static Info info(ByteBuffer r, int t) {
    byte[] a = r.array();
    return new Info(a[t + 3] & 0xff, a[t + 2] & 0xff, a[t + 4] & 0xff, u32(r, t + 8), u32(r, t + 68),
        u32(r, t + 72), (int) u32(r, t + 24), u32(r, t + 44), u32(r, t + 52), u32(r, t + 56), u32(r, t + 100));
  }

  private static long u32(ByteBuffer r, int at) {
    return r.getInt(at) & 0xffff_ffffL;
  }

  private static InetAddress address(int family, byte[] a, int at) throws UnknownHostException {
    // getByAddress turns an IPv4-mapped IPv6 address into an Inet4Address.
    return InetAddress.getByAddress(Arrays.copyOfRange(a, at, at + (family == AF_INET ? 4 : 16)));
  }

  /**
   * Reads the TCP options of this process's socket with inode {@code inode} (from {@link TcpSocket#inode()}), through
   * the file descriptor that refers to it in {@code /proc/self/fd}. The caller keeps the socket open meanwhile (a
   * borrowed connection); the descriptor is checked again after the read.
   *
   * @return the options, or empty if no descriptor of this process refers to that inode
   * @throws IOException if a {@code getsockopt} fails
   */
  public Optional<Options> options(long inode) throws IOException {
    Libc.require("TcpDiag");
    int fd = fdOf(inode);
    if (fd < 0) {
      return Optional.empty();
    }
    Options o = new Options(get(fd, SOL_SOCKET, SO_KEEPALIVE) != 0, get(fd, IPPROTO_TCP, TCP_KEEPIDLE),
        get(fd, IPPROTO_TCP, TCP_KEEPINTVL), get(fd, IPPROTO_TCP, TCP_KEEPCNT),
        get(fd, IPPROTO_TCP, TCP_USER_TIMEOUT));
    if (!refersTo(fd, inode)) {
      throw new IOException("descriptor " + fd + " changed hands while its options were read");
    }
    return Optional.of(o);
  }

  /**
   * The descriptor of this process that refers to socket inode {@code inode}, or -1. Only meaningful while the
   * socket's owner keeps it open; check with {@link #refersTo} after use.
   */
  static int fdOf(long inode) throws IOException {
    String link = "socket:[" + inode + "]";
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
      for (Path entry : dir) {
        try {
          if (Files.readSymbolicLink(entry).toString().equals(link)) {
            return Integer.parseInt(entry.getFileName().toString());
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    }
    return -1;
  }

  /** Whether descriptor {@code fd} of this process refers to socket inode {@code inode} now. */
  static boolean refersTo(int fd, long inode) {
    try {
      return Files.readSymbolicLink(Path.of("/proc/self/fd", Integer.toString(fd))).toString()
          .equals("socket:[" + inode + "]");
    } catch (IOException e) {
      return false;
    }
  }

  private static int get(int fd, int level, int option) throws IOException {
    int[] value = new int[1];
    int[] len = {4};
    if (Libc.getsockopt(fd, level, option, value, len) != 0) {
      throw Libc.errno("getsockopt(" + fd + ", " + level + ", " + option + ")");
    }
    return value[0];
  }

  /** Closes the netlink socket. Idempotent. */
  @Override
  public synchronized void close() {
    if (fd >= 0) {
      Libc.close(fd);
      fd = -1;
    }
  }

  /** {@code 450ms}, {@code 6.9sec}, {@code 1min39sec}: the way {@code ss} prints a timer. */
  static String formatMillis(long ms) {
    if (ms < 1000) {
      return ms + "ms";
    }
    if (ms < 60_000) {
      return String.format(java.util.Locale.ROOT, "%.1fsec", ms / 1000.0).replace(".0sec", "sec");
    }
    return (ms / 60_000) + "min" + (ms % 60_000 == 0 ? "" : ((ms % 60_000) / 1000) + "sec");
  }

  private static byte[] kernelAddress() {
    byte[] a = new byte[12];
    ByteBuffer.wrap(a).order(ByteOrder.nativeOrder()).putShort(0, (short) AF_NETLINK);
    return a;
  }
}
