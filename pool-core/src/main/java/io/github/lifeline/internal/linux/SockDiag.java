package io.github.lifeline.internal.linux;

import static io.github.lifeline.internal.linux.LinuxConstants.AF_INET;
import static io.github.lifeline.internal.linux.LinuxConstants.AF_INET6;
import static io.github.lifeline.internal.linux.LinuxConstants.AF_NETLINK;
import static io.github.lifeline.internal.linux.LinuxConstants.EAGAIN;
import static io.github.lifeline.internal.linux.LinuxConstants.EINTR;
import static io.github.lifeline.internal.linux.LinuxConstants.ENOENT;
import static io.github.lifeline.internal.linux.LinuxConstants.IPPROTO_TCP;
import static io.github.lifeline.internal.linux.LinuxConstants.NETLINK_SOCK_DIAG;
import static io.github.lifeline.internal.linux.LinuxConstants.SOCK_DIAG_BY_FAMILY;
import static io.github.lifeline.internal.linux.LinuxConstants.SOL_SOCKET;
import static io.github.lifeline.internal.linux.LinuxConstants.SO_RCVTIMEO;

import io.github.lifeline.socket.TcpState;
import io.github.lifeline.socket.TcpTimer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Optional;

/**
 * Exact lookups of TCP sockets by 4-tuple through the kernel's socket diagnostics (the netlink interface {@code ss}
 * uses), without a file descriptor and without privileges. One lookup is one request and one answer (no dump), and
 * costs the same whether the host has ten sockets or ten thousand.
 *
 * <p>One instance holds one netlink socket and reuses it. {@link #lookup} and {@link #close} are synchronized, so an
 * instance may be shared, but lookups from several threads run one at a time. Close it when done.
 */
public final class SockDiag implements AutoCloseable {

  private static final int SOCK_DGRAM = 2;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int NLMSG_ERROR = 2;
  private static final int NLM_F_REQUEST = 1;
  /** {@code ESTALE}: some kernels answer it when the 4-tuple exists with another cookie. */
  private static final int ESTALE = 116;
  private static final int RECEIVE_TIMEOUT_SECONDS = 2;

  /** {@code struct nlmsghdr}: u32 len @0, u16 type @4, u16 flags @6, u32 seq @8, u32 pid @12. */
  private static final int NLMSG_HDRLEN = 16;

  /*
   * struct inet_diag_req_v2 (56 bytes), after the netlink header:
   *   u8 sdiag_family @0, u8 sdiag_protocol @1, u8 idiag_ext @2, u8 pad @3, u32 idiag_states @4,
   *   struct inet_diag_sockid id @8.
   * struct inet_diag_sockid (48 bytes):
   *   be16 sport @0, be16 dport @2, be32 src[4] @4, be32 dst[4] @20, u32 if @36, u32 cookie[2] @40 (low word first).
   * An IPv4 address fills src[0]/dst[0]. "src" is the local end, "dst" the remote end.
   */
  private static final int REQ_LEN = 56;
  private static final int REQ_ID = 8;
  private static final int ID_SPORT = 0;
  private static final int ID_DPORT = 2;
  private static final int ID_SRC = 4;
  private static final int ID_DST = 20;
  private static final int ID_COOKIE = 40;

  /*
   * struct inet_diag_msg (72 bytes), the answer after the netlink header:
   *   u8 family @0, u8 state @1, u8 timer @2, u8 retrans @3, struct inet_diag_sockid id @4,
   *   u32 expires @52, u32 rqueue @56, u32 wqueue @60, u32 uid @64, u32 inode @68; then attributes (ignored).
   * An error answer (type NLMSG_ERROR) carries struct nlmsgerr: int error (-errno) @0, then the request's header.
   */
  private static final int MSG_LEN = 72;
  private static final int MSG_ID = 4;
  private static final int MSG_EXPIRES = 52;
  private static final int MSG_INODE = 68;

  /** {@code INET_DIAG_INFO}: the attribute carrying {@code struct tcp_info}; requested with bit (type - 1). */
  private static final int INET_DIAG_INFO = 2;
  /** {@code struct rtattr}: u16 len @0, u16 type @2, then the payload, 4-byte aligned. */
  private static final int RTA_HDRLEN = 4;

  private static final byte[] KERNEL_ADDRESS = kernelAddress();

  private final byte[] request = new byte[NLMSG_HDRLEN + REQ_LEN];
  private final byte[] response = new byte[8192];
  private int fd;
  private int seq;

  private SockDiag(int fd) {
    this.fd = fd;
  }

  /**
   * Opens a netlink socket for sock_diag.
   *
   * @throws IOException if native access is unavailable or the kernel refuses the socket
   */
  public static SockDiag open() throws IOException {
    LinuxSockets.requireAvailable();
    int fd = LibC.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) {
      throw new ErrnoException("socket(AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG)", LibC.errno());
    }
    // struct timeval {long tv_sec; long tv_usec;}: never wait forever for an answer.
    if (LibC.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, new long[] {RECEIVE_TIMEOUT_SECONDS, 0}, 16) != 0) {
      int errno = LibC.errno();
      LibC.close(fd);
      throw new ErrnoException("setsockopt(netlink fd " + fd + ", SOL_SOCKET, SO_RCVTIMEO)", errno);
    }
    return new SockDiag(fd);
  }

  /**
   * The kernel's view of the TCP socket with this local and remote address.
   *
   * <p>Empty means the kernel has no such socket: it was closed, or the kernel dropped it (keepalive, user timeout,
   * reset). With {@code cookie >= 0} only the socket with that {@link LinuxSockets#cookie cookie} counts, so a new
   * socket that reuses the 4-tuple also answers empty; a negative cookie matches any socket. IPv4 addresses (including
   * the peers of Java's dual-stack sockets) are looked up as {@code AF_INET}.
   *
   * @throws IllegalArgumentException if an address is unresolved, or one is IPv4 and the other IPv6
   * @throws IOException if the kernel answers with another error, does not answer within 2 s, or this is closed
   */
  public synchronized Optional<DiagResult> lookup(InetSocketAddress local, InetSocketAddress remote, long cookie)
      throws IOException {
    if (fd < 0) {
      throw new IOException("SockDiag is closed");
    }
    Endpoint l = Endpoint.of(local);
    Endpoint r = Endpoint.of(remote);
    if (l.isV4() != r.isV4()) {
      throw new IllegalArgumentException("mixed address families: " + local + " -> " + remote);
    }
    int family = l.isV4() ? AF_INET : AF_INET6;
    int mySeq = ++seq;
    buildRequest(family, l, r, cookie, mySeq);
    long sent = LibC.sendto(fd, request, request.length, 0, KERNEL_ADDRESS, KERNEL_ADDRESS.length);
    if (sent < 0) {
      throw new ErrnoException("sock_diag sendto(SOCK_DIAG_BY_FAMILY)", LibC.errno());
    }
    if (sent != request.length) {
      throw new IOException("sock_diag sendto sent " + sent + " of " + request.length + " bytes");
    }
    while (true) {
      long n = LibC.recv(fd, response, response.length, 0);
      if (n < 0) {
        int errno = LibC.errno();
        if (errno == EINTR) {
          continue;
        }
        if (errno == EAGAIN) {
          throw new IOException("sock_diag: no answer from the kernel within " + RECEIVE_TIMEOUT_SECONDS + " s");
        }
        throw new ErrnoException("sock_diag recv", errno);
      }
      ByteBuffer b = ByteBuffer.wrap(response, 0, (int) n).order(ByteOrder.nativeOrder());
      // A datagram may hold several messages; skip answers to earlier requests (e.g. one that timed out).
      for (int off = 0; off + NLMSG_HDRLEN <= n; ) {
        int len = b.getInt(off);
        if (len < NLMSG_HDRLEN || off + len > n) {
          throw new IOException("sock_diag: malformed netlink message (length " + len + " at " + off + " of " + n
              + ")");
        }
        if (b.getInt(off + 8) == mySeq) {
          return answer(b, off, len, l, r, cookie);
        }
        off += (len + 3) & ~3;
      }
    }
  }

  private void buildRequest(int family, Endpoint l, Endpoint r, long cookie, int mySeq) {
    Arrays.fill(request, (byte) 0);
    ByteBuffer b = ByteBuffer.wrap(request).order(ByteOrder.nativeOrder());
    b.putInt(0, request.length);
    b.putShort(4, (short) SOCK_DIAG_BY_FAMILY);
    b.putShort(6, (short) NLM_F_REQUEST); // no NLM_F_DUMP: an exact lookup
    b.putInt(8, mySeq);
    int req = NLMSG_HDRLEN;
    b.put(req, (byte) family);
    b.put(req + 1, (byte) IPPROTO_TCP);
    b.put(req + 2, (byte) (1 << (INET_DIAG_INFO - 1))); // idiag_ext: attach tcp_info
    b.putInt(req + 4, -1); // idiag_states: all
    int id = req + REQ_ID;
    b.order(ByteOrder.BIG_ENDIAN).putShort(id + ID_SPORT, (short) l.port).putShort(id + ID_DPORT, (short) r.port);
    b.order(ByteOrder.nativeOrder());
    System.arraycopy(l.address, 0, request, id + ID_SRC, l.address.length);
    System.arraycopy(r.address, 0, request, id + ID_DST, r.address.length);
    // INET_DIAG_NOCOOKIE is ~0 in both words.
    b.putInt(id + ID_COOKIE, cookie < 0 ? -1 : (int) cookie);
    b.putInt(id + ID_COOKIE + 4, cookie < 0 ? -1 : (int) (cookie >>> 32));
  }

  private static Optional<DiagResult> answer(ByteBuffer b, int off, int len, Endpoint l, Endpoint r, long cookie)
      throws IOException {
    int type = b.getShort(off + 4) & 0xffff;
    if (type == NLMSG_ERROR) {
      int errno = len >= NLMSG_HDRLEN + 4 ? -b.getInt(off + NLMSG_HDRLEN) : 0;
      if (errno == ENOENT || errno == ESTALE) {
        return Optional.empty();
      }
      throw new ErrnoException("sock_diag SOCK_DIAG_BY_FAMILY lookup", errno);
    }
    if (type != SOCK_DIAG_BY_FAMILY || len < NLMSG_HDRLEN + MSG_LEN) {
      throw new IOException("sock_diag: unexpected answer (type " + type + ", length " + len + ")");
    }
    int m = off + NLMSG_HDRLEN;
    byte[] a = b.array();
    // The kernel reports the socket's own family: AF_INET6 with v4-mapped addresses for a dual-stack socket.
    int answerFamily = a[m] & 0xff;
    int id = m + MSG_ID;
    long answerCookie = (b.getInt(id + ID_COOKIE) & 0xffff_ffffL) | ((long) b.getInt(id + ID_COOKIE + 4) << 32);
    if (Endpoint.port(a, id + ID_SPORT) != l.port || Endpoint.port(a, id + ID_DPORT) != r.port
        || !l.matchesAddress(answerFamily, a, id + ID_SRC) || !r.matchesAddress(answerFamily, a, id + ID_DST)
        || (cookie >= 0 && answerCookie != cookie)) {
      throw new IOException("sock_diag answered for another socket than the one asked for (family " + answerFamily
          + ", cookie " + answerCookie + ")");
    }
    int timer = a[m + 2] & 0xff;
    int retrans = a[m + 3] & 0xff;
    TcpInfo info = null;
    for (int at = m + MSG_LEN; at + RTA_HDRLEN <= off + len; ) {
      int rtaLen = b.getShort(at) & 0xffff;
      int rtaType = b.getShort(at + 2) & 0xffff;
      if (rtaLen < RTA_HDRLEN || at + rtaLen > off + len) {
        break;
      }
      if (rtaType == INET_DIAG_INFO) {
        byte[] payload = Arrays.copyOfRange(a, at + RTA_HDRLEN, at + rtaLen);
        info = TcpInfo.parse(payload, payload.length);
      }
      at += (rtaLen + 3) & ~3;
    }
    return Optional.of(new DiagResult(TcpState.of(a[m + 1] & 0xff), answerCookie, TcpTimer.ofDiagCode(timer),
        b.getInt(m + MSG_EXPIRES) & 0xffff_ffffL, retrans, b.getInt(m + MSG_INODE) & 0xffff_ffffL, info));
  }

  /** {@code struct sockaddr_nl} of the kernel: u16 family @0, u16 pad @2, u32 pid = 0 @4, u32 groups = 0 @8. */
  private static byte[] kernelAddress() {
    byte[] a = new byte[12];
    ByteBuffer.wrap(a).order(ByteOrder.nativeOrder()).putShort(0, (short) AF_NETLINK);
    return a;
  }

  /** Closes the netlink socket; later lookups throw. Idempotent. */
  @Override
  public synchronized void close() {
    if (fd >= 0) {
      LibC.close(fd);
      fd = -1;
    }
  }
}
