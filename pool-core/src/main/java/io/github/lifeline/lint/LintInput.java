package io.github.lifeline.lint;

import java.security.Security;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything the {@link Lint} looks at.
 *
 * @param pool the HikariCP settings
 * @param protection what Lifeline does for the pool
 * @param sockets what the kernel applies to the pool's sockets
 * @param kernel the kernel's system-wide TCP settings, or {@code null} where they cannot be read
 * @param dnsCacheTtl how long the JVM caches a successful DNS lookup; negative is forever
 * @param socketTimeout the driver's read timeout ({@code socketTimeout}) or a query timeout that bounds every
 *     statement; zero or {@code null} is none
 * @param natIdleTimeout the shortest idle timeout of a NAT, firewall or load balancer on the path (AWS NLB and NAT
 *     gateway: 350 s)
 */
public record LintInput(PoolSettings pool, Protection protection, SocketOptions sockets, KernelTcp kernel,
    Duration dnsCacheTtl, Duration socketTimeout, Duration natIdleTimeout) {

  /** AWS Network Load Balancer and NAT gateway: 350 s, the idle timeout assumed unless told otherwise. */
  public static final Duration DEFAULT_NAT_IDLE_TIMEOUT = Duration.ofSeconds(350);
  /** The JDK's DNS cache time for successful lookups without a security manager. */
  public static final Duration JDK_DEFAULT_DNS_TTL = Duration.ofSeconds(30);

  /** Checks the required components. */
  public LintInput {
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(protection, "protection");
    Objects.requireNonNull(sockets, "sockets");
    Objects.requireNonNull(dnsCacheTtl, "dnsCacheTtl");
    Objects.requireNonNull(natIdleTimeout, "natIdleTimeout");
    if (natIdleTimeout.isNegative() || natIdleTimeout.isZero()) {
      throw new IllegalArgumentException("natIdleTimeout must be positive: " + natIdleTimeout);
    }
  }

  /**
   * This JVM's DNS cache time for successful lookups: the security property {@code networkaddress.cache.ttl}, else
   * the system property {@code sun.net.inetaddr.ttl}, else the JDK's default (30 s; forever under a security
   * manager).
   *
   * @return the time; negative means forever
   */
  @SuppressWarnings("removal") // the JDK's own rule still depends on whether a security manager is installed
  public static Duration jvmDnsCacheTtl() {
    String value = Security.getProperty("networkaddress.cache.ttl");
    if (value == null || value.isBlank()) {
      value = System.getProperty("sun.net.inetaddr.ttl");
    }
    if (value != null && !value.isBlank()) {
      try {
        return Duration.ofSeconds(Long.parseLong(value.strip()));
      } catch (NumberFormatException e) {
        // the JDK ignores a value it cannot parse, and so do we
      }
    }
    return System.getSecurityManager() == null ? JDK_DEFAULT_DNS_TTL : Duration.ofSeconds(-1);
  }
}
