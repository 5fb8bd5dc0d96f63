package io.github.lifeline.drill.doctor;

import io.github.lifeline.lint.LintFinding;
import java.util.List;
import java.util.Map;

/**
 * What the doctor found, as {@code --json} prints it.
 *
 * @param target the database and pool inspected (password never included)
 * @param capabilities what this JVM on this OS can do for Lifeline
 * @param kernel the kernel's TCP settings and what they mean
 * @param pool the HikariCP settings as configured
 * @param connections each connection's socket as the kernel sees it
 * @param findings the lint's findings, errors first
 * @param exitCode what the doctor exits with: 0 clean, 1 a lint error
 */
public record DoctorReport(Target target, Capabilities capabilities, Kernel kernel, Map<String, Object> pool,
    List<Conn> connections, List<LintFinding> findings, int exitCode) {

  /**
   * The database and pool inspected.
   *
   * @param jdbcUrl the URL, any password in it replaced by {@code ***}
   * @param user the user, or {@code null}
   * @param driver {@code postgresql} or {@code mysql}
   * @param mode {@code lifeline} (opened with Lifeline) or {@code as-configured}
   * @param protection what Lifeline does for the pool: NONE, SOCKETS, MONITOR
   * @param properties the driver properties, secrets replaced by {@code ***}
   */
  public record Target(String jdbcUrl, String user, String driver, String mode, String protection,
      Map<String, String> properties) {
  }

  /**
   * What applies here.
   *
   * @param os operating system
   * @param kernel kernel release
   * @param jdk Java runtime
   * @param nativeAccess whether Lifeline's native access (JNA) works
   * @param nativeUnavailableReason why not, or {@code null}
   * @param keepaliveTiming whether the JDK sets TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT here
   * @param userTimeout whether TCP_USER_TIMEOUT can be set (native access on Linux)
   * @param detection whether Lifeline's monitor can watch sockets (epoll and sock_diag, Linux with native access)
   */
  public record Capabilities(String os, String kernel, String jdk, boolean nativeAccess,
      String nativeUnavailableReason, boolean keepaliveTiming, boolean userTimeout, boolean detection) {
  }

  /**
   * The kernel's settings and their meaning.
   *
   * @param sysctls {@code tcp_keepalive_time} and friends, as read
   * @param idleBudgetSeconds keepalive on, no timing of its own: time + intvl x probes
   * @param inFlightBudgetSeconds no TCP_USER_TIMEOUT: the retransmission budget of {@code tcp_retries2}
   * @param meaning the two budgets in words
   */
  public record Kernel(Map<String, Integer> sysctls, Long idleBudgetSeconds, Double inFlightBudgetSeconds,
      List<String> meaning) {
  }

  /**
   * One connection's socket.
   *
   * @param local local address
   * @param remote server address
   * @param state TCP state
   * @param timer {@code timer:(keepalive,29sec,0)} as {@code ss -o} prints it
   * @param probes unanswered keepalive probes
   * @param retransmits retransmissions of unacknowledged data (now / over the connection's life)
   * @param rttMs smoothed round trip time
   * @param lastAckMs milliseconds since an ACK was last received
   * @param lastDataRecvMs milliseconds since data was last received
   * @param options each option: what was requested (by Lifeline, or {@code -}) and what the kernel holds
   * @param ss the socket's {@code ss -tnoei} line, where {@code ss} is installed
   */
  public record Conn(String local, String remote, String state, String timer, int probes, String retransmits,
      Double rttMs, Long lastAckMs, Long lastDataRecvMs, List<Option> options, String ss) {
  }

  /**
   * One socket option.
   *
   * @param option e.g. {@code TCP_KEEPIDLE}
   * @param requested what Lifeline requested, or {@code -}
   * @param kernel what the kernel holds ({@code getsockopt})
   */
  public record Option(String option, String requested, String kernel) {
  }
}
