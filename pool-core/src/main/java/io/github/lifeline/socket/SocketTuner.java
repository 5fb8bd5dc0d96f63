package io.github.lifeline.socket;

import static io.github.lifeline.internal.linux.LinuxConstants.IPPROTO_TCP;
import static io.github.lifeline.internal.linux.LinuxConstants.SOL_SOCKET;
import static io.github.lifeline.internal.linux.LinuxConstants.SO_KEEPALIVE;
import static io.github.lifeline.internal.linux.LinuxConstants.TCP_KEEPCNT;
import static io.github.lifeline.internal.linux.LinuxConstants.TCP_KEEPIDLE;
import static io.github.lifeline.internal.linux.LinuxConstants.TCP_KEEPINTVL;
import static io.github.lifeline.internal.linux.LinuxConstants.TCP_USER_TIMEOUT;

import io.github.lifeline.LifelineSettings;
import io.github.lifeline.internal.linux.LinuxSockets;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import jdk.net.ExtendedSocketOptions;

/**
 * Applies Lifeline's options to a connected socket and reads every one of them back from the kernel.
 *
 * <p>Keepalive goes through the JDK ({@code setKeepAlive}, {@link ExtendedSocketOptions}); TCP_USER_TIMEOUT, which no
 * JDK exposes, through {@code setsockopt} on the socket's file descriptor. The descriptor is found without reflection:
 * {@link LinuxSockets#findFd} matches the socket's exact local and remote address among this process's descriptors.
 * The caller must keep the {@link Socket} strongly reachable while the descriptor is in use, so the JDK cannot close it
 * and hand the number to another socket.
 */
final class SocketTuner {

  private SocketTuner() {
  }

  /** The outcome of tuning one socket. */
  record Tuned(InetSocketAddress local, InetSocketAddress remote, int fd, long cookie, TuningReport report) {
  }

  static Tuned tune(Socket socket, LifelineSettings settings, SocketCapabilities caps) throws IOException {
    Map<TcpOption, Integer> requested = requested(settings);
    socket.setKeepAlive(true);
    if (caps.keepaliveOptions()) {
      socket.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, requested.get(TcpOption.TCP_KEEPIDLE));
      socket.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, requested.get(TcpOption.TCP_KEEPINTVL));
      socket.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, requested.get(TcpOption.TCP_KEEPCNT));
    }
    InetSocketAddress local = (InetSocketAddress) socket.getLocalSocketAddress();
    InetSocketAddress remote = (InetSocketAddress) socket.getRemoteSocketAddress();
    int fd = -1;
    long cookie = 0;
    if (caps.nativeAccess()) {
      fd = LinuxSockets.findFd(local, remote);
      if (fd < 0) {
        throw new SocketException("Lifeline could not find the file descriptor of socket " + local + " -> " + remote
            + " among /proc/self/fd; TCP_USER_TIMEOUT was not set");
      }
      LinuxSockets.setIntOption(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, requested.get(TcpOption.TCP_USER_TIMEOUT));
      cookie = LinuxSockets.cookie(fd);
    }
    TuningReport report = readBack(socket, fd, local, remote, requested, caps);
    return new Tuned(local, remote, fd, cookie, report);
  }

  static Map<TcpOption, Integer> requested(LifelineSettings settings) {
    Map<TcpOption, Integer> m = new EnumMap<>(TcpOption.class);
    m.put(TcpOption.SO_KEEPALIVE, 1);
    m.put(TcpOption.TCP_KEEPIDLE, Math.toIntExact(settings.keepaliveIdle().getSeconds()));
    m.put(TcpOption.TCP_KEEPINTVL, Math.toIntExact(settings.keepaliveInterval().getSeconds()));
    m.put(TcpOption.TCP_KEEPCNT, settings.keepaliveCount());
    m.put(TcpOption.TCP_USER_TIMEOUT, Math.toIntExact(settings.userTimeout().toMillis()));
    return m;
  }

  /**
   * Reads every option back: through {@code getsockopt} on the descriptor when there is one, else through the JDK
   * (which also asks the kernel) with TCP_USER_TIMEOUT reported unavailable.
   */
  static TuningReport readBack(Socket socket, int fd, InetSocketAddress local, InetSocketAddress remote,
      Map<TcpOption, Integer> requested, SocketCapabilities caps) throws IOException {
    List<OptionValue> values = new ArrayList<>();
    if (fd >= 0) {
      for (TcpOption o : TcpOption.values()) {
        values.add(new OptionValue(o, requested.get(o), nativeGet(fd, o), null));
      }
      if (!LinuxSockets.isSocket(fd, local, remote)) {
        throw new SocketException("File descriptor " + fd + " no longer belongs to socket " + local + " -> " + remote
            + "; the socket was closed while Lifeline read it");
      }
      return new TuningReport(values);
    }
    values.add(new OptionValue(TcpOption.SO_KEEPALIVE, 1, socket.getKeepAlive() ? 1 : 0, null));
    String noJdk = caps.keepaliveOptions() ? null : "the JDK does not support it on " + caps.os();
    values.add(new OptionValue(TcpOption.TCP_KEEPIDLE, requested.get(TcpOption.TCP_KEEPIDLE),
        noJdk == null ? socket.getOption(ExtendedSocketOptions.TCP_KEEPIDLE) : null, noJdk));
    values.add(new OptionValue(TcpOption.TCP_KEEPINTVL, requested.get(TcpOption.TCP_KEEPINTVL),
        noJdk == null ? socket.getOption(ExtendedSocketOptions.TCP_KEEPINTERVAL) : null, noJdk));
    values.add(new OptionValue(TcpOption.TCP_KEEPCNT, requested.get(TcpOption.TCP_KEEPCNT),
        noJdk == null ? socket.getOption(ExtendedSocketOptions.TCP_KEEPCOUNT) : null, noJdk));
    values.add(new OptionValue(TcpOption.TCP_USER_TIMEOUT, requested.get(TcpOption.TCP_USER_TIMEOUT), null,
        caps.nativeUnavailableReason()));
    return new TuningReport(values);
  }

  private static int nativeGet(int fd, TcpOption o) throws IOException {
    switch (o) {
      case SO_KEEPALIVE: return LinuxSockets.getIntOption(fd, SOL_SOCKET, SO_KEEPALIVE) != 0 ? 1 : 0;
      case TCP_KEEPIDLE: return LinuxSockets.getIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE);
      case TCP_KEEPINTVL: return LinuxSockets.getIntOption(fd, IPPROTO_TCP, TCP_KEEPINTVL);
      case TCP_KEEPCNT: return LinuxSockets.getIntOption(fd, IPPROTO_TCP, TCP_KEEPCNT);
      case TCP_USER_TIMEOUT: return LinuxSockets.getIntOption(fd, IPPROTO_TCP, TCP_USER_TIMEOUT);
      default: throw new AssertionError(o);
    }
  }
}
