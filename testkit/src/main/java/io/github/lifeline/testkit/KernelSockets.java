package io.github.lifeline.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel's view of TCP sockets, as {@code ss -tanoep} prints it: an observer outside Lifeline's own code path.
 */
public final class KernelSockets {

  private static final Pattern LINE = Pattern.compile(
      "^(\\S+)\\s+\\d+\\s+\\d+\\s+(\\S+):(\\d+)\\s+(\\S+):(\\d+)\\b(.*)$");
  private static final Pattern PID = Pattern.compile("pid=(\\d+)");
  private static final Pattern TIMER = Pattern.compile("timer:\\((\\w+),([^,]+),(\\d+)\\)");

  private KernelSockets() {
  }

  /** One socket as {@code ss} shows it. */
  public record SsSocket(String state, String localAddress, int localPort, String peerAddress, int peerPort,
      Optional<String> timerName, Optional<Duration> timerRemaining, Optional<Long> pid, String raw) {
  }

  /**
   * All TCP sockets of every state whose peer port is {@code port}.
   *
   * @param port the server port
   * @return the sockets, client side only
   */
  public static List<SsSocket> toPeerPort(int port) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("ss", "-tanoep", "dport", "= :" + port).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("ss failed: " + out);
    }
    List<SsSocket> result = new ArrayList<>();
    for (String line : out.split("\n")) {
      Matcher m = LINE.matcher(line.trim());
      if (!m.matches() || m.group(1).equals("State")) {
        continue;
      }
      Matcher t = TIMER.matcher(m.group(6));
      Optional<String> name = Optional.empty();
      Optional<Duration> remaining = Optional.empty();
      if (t.find()) {
        name = Optional.of(t.group(1));
        remaining = Optional.of(parseSsDuration(t.group(2)));
      }
      Matcher pid = PID.matcher(m.group(6));
      result.add(new SsSocket(m.group(1), m.group(2), Integer.parseInt(m.group(3)), m.group(4),
          Integer.parseInt(m.group(5)), name, remaining,
          pid.find() ? Optional.of(Long.parseLong(pid.group(1))) : Optional.empty(), line.trim()));
    }
    return result;
  }

  /** Parses ss's timer values: {@code 450ms}, {@code 6.9sec}, {@code 119min}, {@code 1min39sec}. */
  static Duration parseSsDuration(String s) {
    Matcher m = Pattern.compile("(?:(\\d+)min)?(?:([\\d.]+)sec)?(?:([\\d.]+)ms)?").matcher(s);
    if (!m.matches()) {
      throw new IllegalArgumentException("Unknown ss duration: " + s);
    }
    double ms = 0;
    if (m.group(1) != null) {
      ms += Long.parseLong(m.group(1)) * 60_000.0;
    }
    if (m.group(2) != null) {
      ms += Double.parseDouble(m.group(2)) * 1000.0;
    }
    if (m.group(3) != null) {
      ms += Double.parseDouble(m.group(3));
    }
    return Duration.ofMillis(Math.round(ms));
  }
}
