package io.github.lifeline.internal.linux;

import static io.github.lifeline.internal.linux.LinuxConstants.IPPROTO_TCP;
import static io.github.lifeline.internal.linux.LinuxConstants.SOL_SOCKET;
import static io.github.lifeline.internal.linux.LinuxConstants.SO_KEEPALIVE;
import static io.github.lifeline.internal.linux.LinuxConstants.TCP_KEEPIDLE;
import static io.github.lifeline.internal.linux.LinuxConstants.TCP_USER_TIMEOUT;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Test helper: every connected TCP socket among this process's descriptors, with its addresses as the kernel reports
 * them and the options a wrong descriptor lookup would change, read in one pass over {@code /proc/self/fd}.
 */
public final class TcpDescriptors {

  private static final int SO_PROTOCOL = 38;
  private static final byte[] V4_MAPPED = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff};

  private TcpDescriptors() {
  }

  /**
   * One connected TCP socket descriptor. Addresses are normalised: a v4-mapped IPv6 address is reported as IPv4, as
   * Java reports it.
   */
  public record Entry(int fd, InetSocketAddress local, InetSocketAddress remote, int userTimeout, boolean keepAlive,
      int keepIdle) {
  }

  /**
   * The connected TCP sockets of this process now. Descriptors that close during the pass are left out; callers
   * should keep the sockets they check open.
   */
  public static List<Entry> snapshot() throws IOException {
    List<Entry> out = new ArrayList<>();
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
      for (Path p : dir) {
        int fd = Integer.parseInt(p.getFileName().toString());
        Entry e = read(fd);
        if (e != null) {
          out.add(e);
        }
      }
    }
    return out;
  }

  private static Entry read(int fd) {
    byte[] sa = new byte[Endpoint.SOCKADDR_SIZE];
    int[] len = {sa.length};
    int[] protocol = new int[1];
    int[] protocolLen = {Integer.BYTES};
    if (LibC.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, protocol, protocolLen) != 0 || protocol[0] != IPPROTO_TCP) {
      return null;
    }
    if (LibC.getsockname(fd, sa, len) != 0) {
      return null;
    }
    InetSocketAddress local = parse(sa, len[0]);
    len[0] = sa.length;
    if (LibC.getpeername(fd, sa, len) != 0) {
      return null; // listening or not connected
    }
    InetSocketAddress remote = parse(sa, len[0]);
    try {
      return new Entry(fd, local, remote, LinuxSockets.getIntOption(fd, IPPROTO_TCP, TCP_USER_TIMEOUT),
          LinuxSockets.getIntOption(fd, SOL_SOCKET, SO_KEEPALIVE) != 0,
          LinuxSockets.getIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE));
    } catch (IOException closedMeanwhile) {
      return null;
    }
  }

  private static InetSocketAddress parse(byte[] sa, int len) {
    int family = (sa[0] & 0xff) | (sa[1] & 0xff) << 8;
    int port = Endpoint.port(sa, 2);
    try {
      if (family == LinuxConstants.AF_INET) {
        return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOfRange(sa, 4, 8)), port);
      }
      byte[] a = Arrays.copyOfRange(sa, 8, 24);
      if (Arrays.equals(Arrays.copyOf(a, 12), V4_MAPPED)) {
        return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOfRange(a, 12, 16)), port);
      }
      return new InetSocketAddress(InetAddress.getByAddress(a), port);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError("bad address length " + len, e);
    }
  }
}
