package io.github.lifeline.socket;

import io.github.lifeline.internal.linux.LinuxSockets;
import java.io.IOException;
import java.net.Socket;
import java.util.Set;
import jdk.net.ExtendedSocketOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this JVM on this operating system can do for Lifeline, probed once per JVM and logged once: the keepalive
 * timing options through the JDK, and TCP_USER_TIMEOUT and kernel read-back through native access (JNA).
 *
 * @param os operating system name and version
 * @param java Java runtime version and vendor
 * @param keepaliveOptions whether the JDK supports TCP_KEEPIDLE, TCP_KEEPINTERVAL and TCP_KEEPCOUNT here
 * @param nativeAccess whether native access to the socket (file descriptor, getsockopt, setsockopt) works
 * @param nativeUnavailableReason why native access does not work, or {@code null}
 */
public record SocketCapabilities(String os, String java, boolean keepaliveOptions, boolean nativeAccess,
    String nativeUnavailableReason) {

  private static final Logger LOG = LoggerFactory.getLogger(SocketCapabilities.class);

  /** Whether TCP_USER_TIMEOUT can be set (Linux with native access). */
  public boolean userTimeout() {
    return nativeAccess;
  }

  /** The capabilities of this JVM, probed and logged on first use. */
  public static SocketCapabilities current() {
    return Holder.CURRENT;
  }

  private static final class Holder {
    static final SocketCapabilities CURRENT = probe();
  }

  private static SocketCapabilities probe() {
    String os = System.getProperty("os.name") + " " + System.getProperty("os.version");
    String java = System.getProperty("java.runtime.version", System.getProperty("java.version")) + " ("
        + System.getProperty("java.vendor") + ")";
    boolean keepalive;
    try (Socket s = new Socket()) {
      Set<java.net.SocketOption<?>> supported = s.supportedOptions();
      keepalive = supported.contains(ExtendedSocketOptions.TCP_KEEPIDLE)
          && supported.contains(ExtendedSocketOptions.TCP_KEEPINTERVAL)
          && supported.contains(ExtendedSocketOptions.TCP_KEEPCOUNT);
    } catch (IOException e) {
      keepalive = false;
    }
    boolean nativeAccess = LinuxSockets.isAvailable();
    String reason = nativeAccess ? null : LinuxSockets.unavailableReason();
    SocketCapabilities caps = new SocketCapabilities(os, java, keepalive, nativeAccess, reason);
    LOG.info("Lifeline capabilities: os={}, java={}, keepalive timing={}, native access={}, TCP_USER_TIMEOUT={}",
        os, java, keepalive ? "yes" : "no", nativeAccess ? "JNA" : "no", nativeAccess ? "yes" : "no");
    if (!nativeAccess) {
      LOG.warn("Lifeline: TCP_USER_TIMEOUT is unavailable ({}); a query in flight to a silent peer is bounded only "
          + "by the kernel's tcp_retries2 (about 15 minutes on Linux). Keepalive timing is still applied{}.",
          reason, keepalive ? "" : " only where the JDK supports it (it does not here)");
    }
    return caps;
  }
}
