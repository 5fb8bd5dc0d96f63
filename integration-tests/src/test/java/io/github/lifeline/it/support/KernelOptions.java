package io.github.lifeline.it.support;

import static io.github.lifeline.internal.linux.LinuxConstants.IPPROTO_TCP;
import static io.github.lifeline.internal.linux.LinuxConstants.SOL_SOCKET;
import static io.github.lifeline.internal.linux.LinuxConstants.SO_KEEPALIVE;
import static io.github.lifeline.internal.linux.LinuxConstants.TCP_KEEPCNT;
import static io.github.lifeline.internal.linux.LinuxConstants.TCP_KEEPIDLE;
import static io.github.lifeline.internal.linux.LinuxConstants.TCP_KEEPINTVL;
import static io.github.lifeline.internal.linux.LinuxConstants.TCP_USER_TIMEOUT;

import io.github.lifeline.internal.linux.LinuxSockets;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Reads a socket's options straight from the kernel, independently of Lifeline's registry: its own descriptor lookup
 * by address, then {@code getsockopt}.
 *
 * @param keepalive SO_KEEPALIVE (0 or 1)
 * @param idle TCP_KEEPIDLE, seconds
 * @param interval TCP_KEEPINTVL, seconds
 * @param count TCP_KEEPCNT
 * @param userTimeoutMs TCP_USER_TIMEOUT, milliseconds
 */
public record KernelOptions(int keepalive, int idle, int interval, int count, int userTimeoutMs) {

  /** Reads the options of a connected socket (the caller keeps it reachable). */
  public static KernelOptions read(Socket socket) throws IOException {
    InetSocketAddress local = (InetSocketAddress) socket.getLocalSocketAddress();
    InetSocketAddress remote = (InetSocketAddress) socket.getRemoteSocketAddress();
    int fd = LinuxSockets.findFd(local, remote);
    if (fd < 0) {
      throw new IOException("No descriptor for " + local + " -> " + remote);
    }
    KernelOptions o = new KernelOptions(
        LinuxSockets.getIntOption(fd, SOL_SOCKET, SO_KEEPALIVE) != 0 ? 1 : 0,
        LinuxSockets.getIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE),
        LinuxSockets.getIntOption(fd, IPPROTO_TCP, TCP_KEEPINTVL),
        LinuxSockets.getIntOption(fd, IPPROTO_TCP, TCP_KEEPCNT),
        LinuxSockets.getIntOption(fd, IPPROTO_TCP, TCP_USER_TIMEOUT));
    if (!LinuxSockets.isSocket(fd, local, remote)) {
      throw new IOException("Descriptor " + fd + " changed hands while reading " + local + " -> " + remote);
    }
    return o;
  }

  /** The kernel's stock keepalive idle time, from {@code /proc/sys/net/ipv4/tcp_keepalive_time}. */
  public static int stockKeepaliveIdleSeconds() throws IOException {
    // Files.readString returns a truncated read on this procfs file ("7" for 7200): read it as lines instead.
    return Integer.parseInt(java.nio.file.Files.readAllLines(
        java.nio.file.Path.of("/proc/sys/net/ipv4/tcp_keepalive_time")).get(0).trim());
  }
}
