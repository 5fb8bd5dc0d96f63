package io.github.lifeline.internal.linux;

import static io.github.lifeline.internal.linux.LinuxConstants.IPPROTO_TCP;
import static io.github.lifeline.internal.linux.LinuxConstants.SOL_SOCKET;
import static io.github.lifeline.internal.linux.LinuxConstants.SO_COOKIE;
import static io.github.lifeline.internal.linux.LinuxConstants.TCP_INFO;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Socket calls on file descriptors of this process, through libc bound with JNA: finding a Java socket's descriptor
 * without reflection, and reading and writing socket options the JDK does not expose.
 *
 * <p>A descriptor number is only meaningful while the Java socket that owns it is open and strongly reachable: once
 * the JDK closes it (explicitly or through its Cleaner) the number can be handed to the next socket. Keep the
 * {@code Socket} reachable while using its descriptor and re-check it with {@link #isSocket}.
 *
 * <p>All methods are thread-safe. Everything except {@link #isAvailable()} and {@link #unavailableReason()} throws
 * {@link IOException} when native access is unavailable.
 */
public final class LinuxSockets {

  private static final Path FD_DIR = Paths.get("/proc/self/fd");

  /** {@code SO_PROTOCOL} from {@code <asm-generic/socket.h>}: the socket's protocol, e.g. {@code IPPROTO_TCP}. */
  private static final int SO_PROTOCOL = 38;

  private LinuxSockets() {
  }

  /** Decides availability once, on first use (initialization-on-demand holder). */
  private static final class Availability {
    static final String REASON = probe();
  }

  /**
   * True when running on Linux and libc was bound through JNA. Decided once, lazily; never throws. When false,
   * {@link #unavailableReason()} says why.
   */
  public static boolean isAvailable() {
    return Availability.REASON == null;
  }

  /**
   * Why native access is unavailable, as a sentence such as
   * {@code "JNA is not on the classpath (NoClassDefFoundError: com/sun/jna/Native)"} or {@code "not Linux (Mac OS X)"};
   * null when it is available.
   */
  public static String unavailableReason() {
    return Availability.REASON;
  }

  private static String probe() {
    try {
      String os = System.getProperty("os.name", "unknown");
      if (!os.startsWith("Linux")) {
        return "not Linux (" + os + ")";
      }
      Class.forName(LinuxSockets.class.getPackageName() + ".LibC", true, LinuxSockets.class.getClassLoader());
      return null;
    } catch (ExceptionInInitializerError e) {
      return describe(e.getCause() != null ? e.getCause() : e);
    } catch (Throwable t) {
      return describe(t);
    }
  }

  private static String describe(Throwable t) {
    String what = t.getClass().getSimpleName() + ": " + t.getMessage();
    if (t instanceof NoClassDefFoundError && String.valueOf(t.getMessage()).contains("com/sun/jna")) {
      return "JNA is not on the classpath (" + what + ")";
    }
    return "JNA could not bind libc (" + what + ")";
  }

  static void requireAvailable() throws IOException {
    String reason = unavailableReason();
    if (reason != null) {
      throw new IOException("native socket access is unavailable: " + reason);
    }
  }

  /**
   * Finds the descriptor of this process's connected TCP socket with exactly these local and remote addresses
   * (address, port, and IPv6 scope when given), or returns -1. Its cost grows with the process's descriptors
   * (about 5 µs each); {@link DescriptorLookup} avoids it in the common case.
   *
   * <p>It lists {@code /proc/self/fd} and calls {@code getsockname} on each descriptor (a non-socket answers
   * {@code ENOTSOCK} and is skipped), then {@code getpeername} where the local address matches, and finally confirms
   * that the descriptor's link is {@code socket:[inode]}. An IPv4 Java address also matches the kernel's
   * {@code ::ffff:a.b.c.d} of a dual-stack socket. The first match is returned: a connected 4-tuple is unique within a
   * network namespace. Descriptors opened or closed by other threads during the scan can make the answer stale, so
   * re-check with {@link #isSocket} after using it.
   *
   * @throws IllegalArgumentException if an address is unresolved
   * @throws IOException if native access is unavailable or {@code /proc/self/fd} cannot be listed
   */
  public static int findFd(InetSocketAddress local, InetSocketAddress remote) throws IOException {
    requireAvailable();
    Endpoint l = Endpoint.of(local);
    Endpoint r = Endpoint.of(remote);
    byte[] sa = new byte[Endpoint.SOCKADDR_SIZE];
    int[] len = new int[1];
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(FD_DIR)) {
      for (Path entry : dir) {
        int fd = parseFd(entry.getFileName().toString());
        if (fd >= 0 && matches(fd, l, r, sa, len) && isSocketLink(fd)) {
          return fd;
        }
      }
    } catch (DirectoryIteratorException e) {
      throw e.getCause();
    }
    return -1;
  }

  /**
   * Probes the descriptors around {@code center}, nearest first ({@code center}, {@code center + 1},
   * {@code center - 1}, ... up to {@code radius} away), for this process's connected TCP socket with exactly these
   * local and remote addresses, with the same test as {@link #isSocket}.
   *
   * @return the descriptor, or -1 if none within {@code radius} is that socket (or native access is unavailable)
   * @throws IllegalArgumentException if an address is unresolved
   */
  public static int findNear(int center, int radius, InetSocketAddress local, InetSocketAddress remote) {
    if (center < 0 || !isAvailable()) {
      return -1;
    }
    Endpoint l = Endpoint.of(local);
    Endpoint r = Endpoint.of(remote);
    byte[] sa = new byte[Endpoint.SOCKADDR_SIZE];
    int[] len = new int[1];
    if (matches(center, l, r, sa, len)) {
      return center;
    }
    for (int d = 1; d <= radius; d++) {
      if (matches(center + d, l, r, sa, len)) {
        return center + d;
      }
      if (center - d >= 0 && matches(center - d, l, r, sa, len)) {
        return center - d;
      }
    }
    return -1;
  }

  /**
   * True if {@code fd} is now a TCP socket with exactly these local and remote addresses. False on any error (closed
   * descriptor, not a socket, not connected) and when native access is unavailable.
   *
   * @throws IllegalArgumentException if an address is unresolved
   */
  public static boolean isSocket(int fd, InetSocketAddress local, InetSocketAddress remote) {
    if (fd < 0 || !isAvailable()) {
      return false;
    }
    return matches(fd, Endpoint.of(local), Endpoint.of(remote), new byte[Endpoint.SOCKADDR_SIZE], new int[1]);
  }

  /**
   * getsockname then getpeername, comparing each with the wanted address, then {@code SO_PROTOCOL}: a UDP socket
   * may hold the same port numbers (TCP and UDP ports are separate spaces) and must not match.
   */
  private static boolean matches(int fd, Endpoint local, Endpoint remote, byte[] sa, int[] len) {
    len[0] = sa.length;
    if (LibC.getsockname(fd, sa, len) != 0 || !local.matches(sa, len[0])) {
      return false;
    }
    len[0] = sa.length;
    if (LibC.getpeername(fd, sa, len) != 0 || !remote.matches(sa, len[0])) {
      return false;
    }
    int[] protocol = new int[1];
    int[] protocolLen = {Integer.BYTES};
    return LibC.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, protocol, protocolLen) == 0
        && protocolLen[0] == Integer.BYTES && protocol[0] == IPPROTO_TCP;
  }

  private static boolean isSocketLink(int fd) {
    try {
      return Files.readSymbolicLink(FD_DIR.resolve(Integer.toString(fd))).toString().startsWith("socket:[");
    } catch (IOException | UnsupportedOperationException e) {
      return false; // closed meanwhile
    }
  }

  private static int parseFd(String name) {
    try {
      return Integer.parseInt(name);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * {@code getsockopt} of an {@code int} option, e.g. {@code (IPPROTO_TCP, TCP_USER_TIMEOUT)}.
   *
   * @throws ErrnoException naming the option and errno when the kernel refuses
   */
  public static int getIntOption(int fd, int level, int option) throws IOException {
    requireAvailable();
    int[] value = new int[1];
    int[] len = {Integer.BYTES};
    if (LibC.getsockopt(fd, level, option, value, len) != 0) {
      throw new ErrnoException(call("getsockopt", fd, level, option), LibC.errno());
    }
    checkLength("getsockopt", fd, level, option, len[0], Integer.BYTES);
    return value[0];
  }

  /**
   * {@code setsockopt} of an {@code int} option, e.g. {@code (IPPROTO_TCP, TCP_USER_TIMEOUT, 10000)}.
   *
   * @throws ErrnoException naming the option, value and errno when the kernel refuses
   */
  public static void setIntOption(int fd, int level, int option, int value) throws IOException {
    requireAvailable();
    if (LibC.setsockopt(fd, level, option, new int[] {value}, Integer.BYTES) != 0) {
      throw new ErrnoException(call("setsockopt", fd, level, option) + " to " + value, LibC.errno());
    }
  }

  /**
   * The socket's cookie: {@code getsockopt(SOL_SOCKET, SO_COOKIE)}, a non-zero 64-bit number the kernel never gives
   * to another socket before it reboots. sock_diag reports the same number.
   *
   * @throws ErrnoException when the kernel refuses
   */
  public static long cookie(int fd) throws IOException {
    requireAvailable();
    long[] value = new long[1];
    int[] len = {Long.BYTES};
    if (LibC.getsockopt(fd, SOL_SOCKET, SO_COOKIE, value, len) != 0) {
      throw new ErrnoException(call("getsockopt", fd, SOL_SOCKET, SO_COOKIE), LibC.errno());
    }
    checkLength("getsockopt", fd, SOL_SOCKET, SO_COOKIE, len[0], Long.BYTES);
    return value[0];
  }

  /**
   * The kernel's TCP state and counters for the socket: {@code getsockopt(IPPROTO_TCP, TCP_INFO)}. Safe to call from
   * a monitor thread while another thread is blocked reading the socket.
   *
   * @throws ErrnoException when the kernel refuses (e.g. {@code EBADF}, or {@code EOPNOTSUPP} for a non-TCP socket)
   */
  public static TcpInfo tcpInfo(int fd) throws IOException {
    requireAvailable();
    byte[] buf = new byte[TcpInfo.BUFFER_SIZE];
    int[] len = {buf.length};
    if (LibC.getsockopt(fd, IPPROTO_TCP, TCP_INFO, buf, len) != 0) {
      throw new ErrnoException(call("getsockopt", fd, IPPROTO_TCP, TCP_INFO), LibC.errno());
    }
    return TcpInfo.parse(buf, Math.min(len[0], buf.length));
  }

  private static String call(String function, int fd, int level, int option) {
    return function + "(fd " + fd + ", " + LinuxConstants.levelName(level) + ", "
        + LinuxConstants.optionName(level, option) + ")";
  }

  private static void checkLength(String function, int fd, int level, int option, int actual, int expected)
      throws IOException {
    if (actual != expected) {
      throw new IOException(call(function, fd, level, option) + " returned " + actual + " bytes, expected "
          + expected);
    }
  }
}
