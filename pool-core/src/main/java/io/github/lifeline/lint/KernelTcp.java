package io.github.lifeline.lint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The kernel's system-wide TCP settings that decide how long a dead peer goes unnoticed when a socket sets nothing
 * itself ({@code /proc/sys/net/ipv4/}).
 *
 * @param keepaliveTimeSeconds {@code tcp_keepalive_time}: idle time before the first keepalive probe (7200)
 * @param keepaliveIntervalSeconds {@code tcp_keepalive_intvl}: time between unanswered probes (75)
 * @param keepaliveProbes {@code tcp_keepalive_probes}: unanswered probes before the connection is dropped (9)
 * @param retries2 {@code tcp_retries2}: retransmissions of unacknowledged data before it is dropped (15)
 * @param rtoMaxMillis the largest retransmission timeout: {@code tcp_rto_max_ms} where the kernel has it (Linux
 *     6.15+), else the kernel's constant 120 000
 */
public record KernelTcp(int keepaliveTimeSeconds, int keepaliveIntervalSeconds, int keepaliveProbes, int retries2,
    int rtoMaxMillis) {

  /** Linux's {@code TCP_RTO_MIN}: the base of the retransmission schedule, 200 ms. */
  public static final int RTO_MIN_MILLIS = 200;
  /** Linux's {@code TCP_RTO_MAX}: 120 s. */
  public static final int RTO_MAX_MILLIS = 120_000;
  /** The kernel's defaults: 7200 s, 75 s, 9 probes, 15 retries. */
  public static final KernelTcp LINUX_DEFAULTS = new KernelTcp(7200, 75, 9, 15, RTO_MAX_MILLIS);

  /**
   * Reads the settings of this host's network namespace.
   *
   * @return the settings, or empty where {@code /proc/sys/net/ipv4} cannot be read (not Linux)
   */
  public static Optional<KernelTcp> read() {
    return read(Path.of("/proc/sys/net/ipv4"));
  }

  /**
   * Reads the settings from a directory laid out as {@code /proc/sys/net/ipv4}.
   *
   * @param dir the directory
   * @return the settings, or empty if one of the four required files is missing or unreadable
   */
  public static Optional<KernelTcp> read(Path dir) {
    try {
      int rtoMax = Files.isReadable(dir.resolve("tcp_rto_max_ms")) ? number(dir, "tcp_rto_max_ms") : RTO_MAX_MILLIS;
      return Optional.of(new KernelTcp(number(dir, "tcp_keepalive_time"), number(dir, "tcp_keepalive_intvl"),
          number(dir, "tcp_keepalive_probes"), number(dir, "tcp_retries2"), rtoMax));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Reads line by line: {@code Files.readString} returns only the first byte of a sysctl file on JDK 17. */
  private static int number(Path dir, String name) throws IOException {
    List<String> lines = Files.readAllLines(dir.resolve(name), StandardCharsets.US_ASCII);
    if (lines.isEmpty()) {
      throw new IOException(dir.resolve(name) + " is empty");
    }
    return Integer.parseInt(lines.get(0).strip());
  }

  /**
   * How long an idle connection with keepalive on, and no timing of its own, stays up after its peer went silent:
   * {@code tcp_keepalive_time + tcp_keepalive_intvl x tcp_keepalive_probes} (7200 s + 9 x 75 s = 2 h 11 min 15 s).
   */
  public Duration idleBudget() {
    return Duration.ofSeconds((long) keepaliveTimeSeconds + (long) keepaliveIntervalSeconds * keepaliveProbes);
  }

  /**
   * How long data in flight to a silent peer is retransmitted before the kernel drops the connection, without
   * {@code TCP_USER_TIMEOUT}: the kernel's own model ({@code tcp_model_timeout}) of {@code tcp_retries2}
   * retransmissions, doubling from 200 ms up to the maximum retransmission timeout. With the defaults
   * (15 retries, 120 s) it is 924.6 s, about 15 min 25 s. Keepalive does not run while data is unacknowledged.
   */
  public Duration inFlightBudget() {
    return inFlightBudget(retries2, rtoMaxMillis);
  }

  /**
   * The kernel's {@code tcp_model_timeout} for {@code retries} retransmissions: linear doubling from
   * {@link #RTO_MIN_MILLIS} while below {@code rtoMaxMillis}, then {@code rtoMaxMillis} per retransmission.
   *
   * @param retries {@code tcp_retries2}
   * @param rtoMaxMillis the maximum retransmission timeout
   * @return the time until the connection is dropped
   */
  public static Duration inFlightBudget(int retries, int rtoMaxMillis) {
    int thresh = 31 - Integer.numberOfLeadingZeros(Math.max(1, rtoMaxMillis / RTO_MIN_MILLIS)); // ilog2
    long millis;
    if (retries <= thresh) {
      millis = ((2L << retries) - 1) * RTO_MIN_MILLIS;
    } else {
      millis = ((2L << thresh) - 1) * RTO_MIN_MILLIS + (long) (retries - thresh) * rtoMaxMillis;
    }
    return Duration.ofMillis(millis);
  }

  /** {@code 2 h 11 min 15 s}, {@code 15 min 24.6 s}, {@code 45 s}, {@code 350 ms}. */
  public static String human(Duration d) {
    if (d.isNegative()) {
      return "forever";
    }
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + " ms";
    }
    long h = ms / 3_600_000;
    long m = (ms / 60_000) % 60;
    double s = (ms % 60_000) / 1000.0;
    StringBuilder b = new StringBuilder();
    if (h > 0) {
      b.append(h).append(" h ");
    }
    if (m > 0 || (h > 0 && s > 0)) {
      b.append(m).append(" min ");
    }
    if (s > 0 || b.length() == 0) {
      b.append(s == Math.rint(s) ? String.valueOf((long) s) : String.format(java.util.Locale.ROOT, "%.1f", s))
          .append(" s");
    }
    return b.toString().strip();
  }
}
