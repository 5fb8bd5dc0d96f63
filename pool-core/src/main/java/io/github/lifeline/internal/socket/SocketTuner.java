package io.github.lifeline.internal.socket;

import static io.github.lifeline.internal.linux.LinuxConstants.IPPROTO_TCP;
import static io.github.lifeline.internal.linux.LinuxConstants.SOL_SOCKET;
import static io.github.lifeline.internal.linux.LinuxConstants.SO_KEEPALIVE;
import static io.github.lifeline.internal.linux.LinuxConstants.TCP_KEEPCNT;
import static io.github.lifeline.internal.linux.LinuxConstants.TCP_KEEPIDLE;
import static io.github.lifeline.internal.linux.LinuxConstants.TCP_KEEPINTVL;
import static io.github.lifeline.internal.linux.LinuxConstants.TCP_USER_TIMEOUT;

import io.github.lifeline.LifelineSettings;
import io.github.lifeline.internal.Once;
import io.github.lifeline.internal.linux.DescriptorLookup;
import io.github.lifeline.internal.linux.LinuxSockets;
import io.github.lifeline.socket.OptionValue;
import io.github.lifeline.socket.SocketCapabilities;
import io.github.lifeline.socket.TcpOption;
import io.github.lifeline.socket.TuningReport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import jdk.net.ExtendedSocketOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies Lifeline's options to a connected socket and reads every one of them back from the kernel.
 *
 * <p>Keepalive goes through the JDK ({@code setKeepAlive}, {@link ExtendedSocketOptions}); TCP_USER_TIMEOUT, which no
 * JDK exposes, through {@code setsockopt} on the socket's file descriptor. The descriptor is found without reflection:
 * {@link DescriptorLookup#find} checks the number predicted when the socket was created against the socket's exact
 * local and remote address, and scans this process's descriptors only when the prediction was wrong. The caller holds
 * the socket's lock, so the JDK cannot close it and hand the number to another socket meanwhile.
 *
 * <p>Tuning never fails a connect: an option that cannot be set is reported unavailable, with the reason, in the
 * {@link TuningReport}, and each kind of failure is logged once per JVM.
 */
final class SocketTuner {

  private static final Logger LOG = LoggerFactory.getLogger(SocketTuner.class);

  private SocketTuner() {
  }

  /** The outcome of tuning one socket. */
  record Tuned(InetSocketAddress local, InetSocketAddress remote, int fd, long cookie, TuningReport report) {
  }

  /**
   * @param predictedFd the descriptor number predicted when the socket was created ({@link DescriptorLookup}), or -1
   */
  static Tuned tune(Socket socket, LifelineSettings settings, SocketCapabilities caps, int predictedFd)
      throws IOException {
    Map<TcpOption, Integer> requested = requested(settings);
    Map<TcpOption, String> failed = new EnumMap<>(TcpOption.class);
    socket.setKeepAlive(true); // fails only on a closed socket: then the connect fails anyway
    if (caps.keepaliveOptions()) {
      try {
        socket.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, requested.get(TcpOption.TCP_KEEPIDLE));
        socket.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, requested.get(TcpOption.TCP_KEEPINTVL));
        socket.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, requested.get(TcpOption.TCP_KEEPCNT));
      } catch (IOException | RuntimeException e) {
        String why = "the JDK refused it: " + e;
        failed.put(TcpOption.TCP_KEEPIDLE, why);
        failed.put(TcpOption.TCP_KEEPINTVL, why);
        failed.put(TcpOption.TCP_KEEPCNT, why);
      }
    }
    InetSocketAddress local = (InetSocketAddress) socket.getLocalSocketAddress();
    InetSocketAddress remote = (InetSocketAddress) socket.getRemoteSocketAddress();
    int fd = -1;
    long cookie = 0;
    if (caps.nativeAccess()) {
      try {
        fd = DescriptorLookup.find(predictedFd, local, remote);
      } catch (IOException | RuntimeException e) {
        failed.put(TcpOption.TCP_USER_TIMEOUT, "the socket's descriptor could not be looked up: " + e.getMessage());
      }
      if (fd < 0 && !failed.containsKey(TcpOption.TCP_USER_TIMEOUT)) {
        failed.put(TcpOption.TCP_USER_TIMEOUT, "the socket's descriptor was not found among /proc/self/fd");
      }
      if (fd >= 0) {
        try {
          LinuxSockets.setIntOption(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, requested.get(TcpOption.TCP_USER_TIMEOUT));
        } catch (IOException e) {
          failed.put(TcpOption.TCP_USER_TIMEOUT, e.getMessage());
        }
        try {
          cookie = LinuxSockets.cookie(fd);
        } catch (IOException e) {
          Once.warn(LOG, "cookie:" + e.getMessage(), "Lifeline: the kernel refused the socket cookie ({}); sockets "
              + "are looked up by address only, which a new connection reusing the same ports could be mistaken for",
              e.getMessage());
        }
      }
    }
    TuningReport report = readBack(socket, fd, local, remote, requested, caps, failed);
    return new Tuned(local, remote, fd, cookie, report);
  }

  static Map<TcpOption, Integer> requested(LifelineSettings settings) {
    Map<TcpOption, Integer> m = new EnumMap<>(TcpOption.class);
    m.put(TcpOption.SO_KEEPALIVE, 1);
    m.put(TcpOption.TCP_KEEPIDLE, (int) settings.keepaliveIdle().getSeconds());
    m.put(TcpOption.TCP_KEEPINTVL, (int) settings.keepaliveInterval().getSeconds());
    m.put(TcpOption.TCP_KEEPCNT, settings.keepaliveCount());
    m.put(TcpOption.TCP_USER_TIMEOUT, (int) settings.userTimeout().toMillis());
    return m;
  }

  static TuningReport readBack(Socket socket, int fd, InetSocketAddress local, InetSocketAddress remote,
      Map<TcpOption, Integer> requested, SocketCapabilities caps) throws IOException {
    return readBack(socket, fd, local, remote, requested, caps, Map.of());
  }

  /**
   * Reads every option back: through {@code getsockopt} on the descriptor when there is one, else through the JDK
   * (which also asks the kernel), with TCP_USER_TIMEOUT reported unavailable.
   */
  private static TuningReport readBack(Socket socket, int fd, InetSocketAddress local, InetSocketAddress remote,
      Map<TcpOption, Integer> requested, SocketCapabilities caps, Map<TcpOption, String> failed) throws IOException {
    List<OptionValue> values = new ArrayList<>();
    if (fd >= 0) {
      for (TcpOption o : TcpOption.values()) {
        Integer actual = null;
        String why = failed.get(o);
        try {
          actual = nativeGet(fd, o);
        } catch (IOException e) {
          why = e.getMessage();
        }
        values.add(new OptionValue(o, requested.get(o), actual, actual == null ? why : null));
      }
      if (!LinuxSockets.isSocket(fd, local, remote)) {
        throw new IOException("File descriptor " + fd + " no longer belongs to socket " + local + " -> " + remote
            + "; the socket was closed while Lifeline read it");
      }
      return new TuningReport(values);
    }
    values.add(new OptionValue(TcpOption.SO_KEEPALIVE, 1, socket.getKeepAlive() ? 1 : 0, null));
    String noJdk = caps.keepaliveOptions() ? null : "the JDK does not support it on " + caps.os();
    values.add(jdkOption(socket, TcpOption.TCP_KEEPIDLE, ExtendedSocketOptions.TCP_KEEPIDLE, requested, noJdk,
        failed));
    values.add(jdkOption(socket, TcpOption.TCP_KEEPINTVL, ExtendedSocketOptions.TCP_KEEPINTERVAL, requested, noJdk,
        failed));
    values.add(jdkOption(socket, TcpOption.TCP_KEEPCNT, ExtendedSocketOptions.TCP_KEEPCOUNT, requested, noJdk,
        failed));
    String noUto = caps.nativeAccess() ? failed.getOrDefault(TcpOption.TCP_USER_TIMEOUT, "no descriptor")
        : caps.nativeUnavailableReason();
    values.add(new OptionValue(TcpOption.TCP_USER_TIMEOUT, requested.get(TcpOption.TCP_USER_TIMEOUT), null, noUto));
    return new TuningReport(values);
  }

  private static OptionValue jdkOption(Socket socket, TcpOption o, java.net.SocketOption<Integer> jdk,
      Map<TcpOption, Integer> requested, String noJdk, Map<TcpOption, String> failed) {
    if (noJdk != null) {
      return new OptionValue(o, requested.get(o), null, noJdk);
    }
    try {
      return new OptionValue(o, requested.get(o), socket.getOption(jdk), null);
    } catch (IOException | RuntimeException e) {
      return new OptionValue(o, requested.get(o), null, failed.getOrDefault(o, e.toString()));
    }
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

  /**
   * Logs the outcome of one socket's tuning without repeating itself: a capability the platform lacks was already
   * said once by {@link SocketCapabilities}; any other option that could not be applied, or that the kernel holds
   * with another value, is logged once per JVM and kind, then at debug level.
   */
  static void logOutcome(TunedSocket r) {
    TuningReport t = r.tuning();
    SocketCapabilities caps = SocketCapabilities.current();
    for (OptionValue v : t.values()) {
      if (v.actual() == null) {
        boolean capability = !caps.nativeAccess() && v.option() == TcpOption.TCP_USER_TIMEOUT
            || !caps.keepaliveOptions() && v.option() != TcpOption.SO_KEEPALIVE && v.option() != TcpOption.TCP_USER_TIMEOUT;
        if (!capability) {
          Once.warn(LOG, "unavailable:" + v.option() + ":" + v.unavailable(), "Lifeline [{}] {} -> {}: {} could not "
              + "be applied ({}); the connection works without it. Logged once per JVM.", r.driver(), r.local(),
              r.remote(), v.option(), v.unavailable());
        }
      } else if (!v.matches()) {
        Once.warn(LOG, "mismatch:" + v.option() + ":" + v.requested() + ":" + v.actual(), "Lifeline [{}] {} -> {}: "
            + "the kernel holds {} although {} was requested. Logged once per JVM.", r.driver(), r.local(),
            r.remote(), v, v.requested());
      }
    }
    if (LOG.isDebugEnabled()) {
      LOG.debug("Lifeline [{}] {} -> {} tuned: {}", r.driver(), r.local(), r.remote(), t);
    }
  }
}
