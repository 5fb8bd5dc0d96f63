package io.github.lifeline.lint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import io.github.lifeline.LifelineSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Security;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every finding of the lint, each against a pool that is clean except for the one thing under test. */
class LintTest {

  private static final PoolSettings HIKARI_DEFAULTS = PoolSettings.of(new HikariConfig());

  /** Lifeline's defaults as the kernel reads them back, on a stock kernel, with a socket timeout. */
  private static LintInput clean() {
    LifelineSettings d = LifelineSettings.defaults();
    return new LintInput(HIKARI_DEFAULTS, Protection.MONITOR,
        new SocketOptions(true, d.keepaliveIdle(), d.keepaliveInterval(), d.keepaliveCount(), d.userTimeout(), true),
        KernelTcp.LINUX_DEFAULTS, LintInput.JDK_DEFAULT_DNS_TTL, Duration.ofSeconds(60),
        LintInput.DEFAULT_NAT_IDLE_TIMEOUT);
  }

  private static LintInput with(SocketOptions s) {
    LintInput c = clean();
    return new LintInput(c.pool(), c.protection(), s, c.kernel(), c.dnsCacheTtl(), c.socketTimeout(),
        c.natIdleTimeout());
  }

  private static LintInput with(PoolSettings p) {
    LintInput c = clean();
    return new LintInput(p, c.protection(), c.sockets(), c.kernel(), c.dnsCacheTtl(), c.socketTimeout(),
        c.natIdleTimeout());
  }

  private static SocketOptions keepalive(long idle, long interval, int count, Long userTimeoutMs) {
    return new SocketOptions(true, Duration.ofSeconds(idle), Duration.ofSeconds(interval), count,
        userTimeoutMs == null ? null : Duration.ofMillis(userTimeoutMs), true);
  }

  private static List<String> codes(LintInput in) {
    return Lint.check(in).stream().map(LintFinding::code).collect(Collectors.toList());
  }

  private static LintFinding only(LintInput in, String code) {
    List<LintFinding> findings = Lint.check(in);
    assertThat(findings).extracting(LintFinding::code).as("findings of %s", in).containsExactly(code);
    return findings.get(0);
  }

  @Test
  void lifelineDefaultsWithHikariDefaultsHaveNoFinding() {
    assertThat(Lint.check(clean())).isEmpty();
    assertThat(Lint.hasErrors(Lint.check(clean()))).isFalse();
  }

  @Test
  void keepaliveOff() {
    LintFinding f = only(with(new SocketOptions(false, Duration.ofSeconds(7200), Duration.ofSeconds(75), 9,
        Duration.ofSeconds(45), true)), "KEEPALIVE_OFF");
    assertThat(f.level()).isEqualTo(LintLevel.ERROR);
    assertThat(f.fix()).contains("tcpKeepAlive=true");
  }

  @Test
  void keepaliveIdleAtOrAboveTheNatTimeout() {
    LintFinding f = only(with(keepalive(350, 5, 3, 365_000L)), "KEEPALIVE_IDLE_TOO_LONG");
    assertThat(f.level()).isEqualTo(LintLevel.ERROR);
    assertThat(f.why()).contains("5 min 50 s", "dead after 6 min 5 s");
    assertThat(codes(with(keepalive(239, 5, 3, 254_000L)))).isEmpty();
  }

  @Test
  void kernelDefaultKeepaliveIsTooLong() {
    // Connector/J: keepalive on, no timing of its own: the socket reads the sysctls.
    LintFinding f = Lint.check(with(keepalive(7200, 75, 9, 0L))).get(0);
    assertThat(f.code()).isEqualTo("KEEPALIVE_IDLE_TOO_LONG");
    assertThat(f.why()).contains("after 2 h (", "dead after 2 h 11 min 15 s");
  }

  @Test
  void keepaliveIdleNearCommonNatTimeouts() {
    assertThat(only(with(keepalive(240, 5, 3, 255_000L)), "KEEPALIVE_IDLE_NEAR_NAT_TIMEOUT").level())
        .isEqualTo(LintLevel.WARN);
    assertThat(only(with(keepalive(300, 5, 3, 315_000L)), "KEEPALIVE_IDLE_NEAR_NAT_TIMEOUT").level())
        .isEqualTo(LintLevel.WARN);
    LintInput c = clean();
    LintInput shortNat = new LintInput(c.pool(), c.protection(), keepalive(100, 5, 3, 115_000L), c.kernel(),
        c.dnsCacheTtl(), c.socketTimeout(), Duration.ofSeconds(120));
    assertThat(codes(shortNat)).containsExactly("KEEPALIVE_IDLE_NEAR_NAT_TIMEOUT");
  }

  @Test
  void userTimeoutBelowTheKeepaliveBudget() {
    LintFinding f = only(with(keepalive(30, 5, 3, 20_000L)), "USER_TIMEOUT_BELOW_KEEPALIVE_BUDGET");
    assertThat(f.level()).isEqualTo(LintLevel.WARN);
    assertThat(f.why()).contains("20 s", "45 s = 30 s + 3 x 5 s");
    assertThat(codes(with(keepalive(30, 5, 3, 45_000L)))).isEmpty();
    assertThat(codes(with(keepalive(30, 5, 3, 60_000L)))).isEmpty();
  }

  @Test
  void probesTooFrequent() {
    assertThat(only(with(keepalive(5, 1, 3, 8_000L)), "PROBES_TOO_FREQUENT").level()).isEqualTo(LintLevel.WARN);
    assertThat(codes(with(keepalive(10, 1, 3, 13_000L)))).isEmpty();
  }

  @Test
  void hikariKeepaliveUnder30sIsSilentlyDisabled() {
    HikariConfig config = new HikariConfig();
    config.setKeepaliveTime(20_000);
    LintFinding f = only(with(PoolSettings.of(config)), "HIKARI_KEEPALIVE_DISABLED");
    assertThat(f.why()).contains("20000 ms");
    assertThat(PoolSettings.of(config).effectiveKeepaliveTime()).isZero();
    config.setKeepaliveTime(30_000);
    assertThat(codes(with(PoolSettings.of(config)))).isEmpty();
  }

  @Test
  void hikariKeepaliveAtMaxLifetimeIsSilentlyDisabled() {
    HikariConfig config = new HikariConfig();
    config.setMaxLifetime(60_000);
    config.setKeepaliveTime(60_000);
    assertThat(only(with(PoolSettings.of(config)), "HIKARI_KEEPALIVE_DISABLED").why()).contains("maxLifetime");
  }

  @Test
  void maxLifetimeOverTheIdleTimeoutWithNothingRefreshingIt() {
    HikariConfig config = new HikariConfig();
    config.setKeepaliveTime(0); // HikariCP's ping off
    LintInput noKeepalive = new LintInput(PoolSettings.of(config), Protection.MONITOR,
        keepalive(600, 5, 3, 615_000L), KernelTcp.LINUX_DEFAULTS, LintInput.JDK_DEFAULT_DNS_TTL,
        Duration.ofSeconds(60), LintInput.DEFAULT_NAT_IDLE_TIMEOUT);
    assertThat(codes(noKeepalive)).containsExactly("KEEPALIVE_IDLE_TOO_LONG", "MAX_LIFETIME_OVER_IDLE_TIMEOUT");
    // HikariCP's default keepaliveTime (2 min) refreshes the idle flow: no finding for the lifetime.
    assertThat(codes(with(keepalive(600, 5, 3, 615_000L)))).containsExactly("KEEPALIVE_IDLE_TOO_LONG");
    // A lifetime below the idle timeout: no finding either.
    config.setMaxLifetime(300_000);
    LintInput shortLife = new LintInput(PoolSettings.of(config), Protection.MONITOR, keepalive(600, 5, 3, 615_000L),
        KernelTcp.LINUX_DEFAULTS, LintInput.JDK_DEFAULT_DNS_TTL, Duration.ofSeconds(60),
        LintInput.DEFAULT_NAT_IDLE_TIMEOUT);
    assertThat(codes(shortLife)).containsExactly("KEEPALIVE_IDLE_TOO_LONG");
    // TCP keepalive below the idle timeout refreshes it: no finding.
    config.setMaxLifetime(1_800_000);
    assertThat(codes(with(PoolSettings.of(config)))).isEmpty();
  }

  @Test
  void aliveBypassWindowWithoutTheMonitor() {
    LintInput c = clean();
    for (Protection p : List.of(Protection.NONE, Protection.SOCKETS)) {
      LintInput in = new LintInput(c.pool(), p, c.sockets(), c.kernel(), c.dnsCacheTtl(), c.socketTimeout(),
          c.natIdleTimeout());
      assertThat(only(in, "ALIVE_BYPASS_WINDOW").why()).contains("500 ms");
    }
    LintInput zero = new LintInput(new PoolSettings("p", Duration.ofSeconds(30), Duration.ofSeconds(5),
        Duration.ofMinutes(30), Duration.ofMinutes(2), Duration.ZERO), Protection.NONE, c.sockets(), c.kernel(),
        c.dnsCacheTtl(), c.socketTimeout(), c.natIdleTimeout());
    assertThat(codes(zero)).isEmpty();
  }

  @Test
  void dnsCacheTtlTooLong() {
    LintInput c = clean();
    LintInput forever = new LintInput(c.pool(), c.protection(), c.sockets(), c.kernel(), Duration.ofSeconds(-1),
        c.socketTimeout(), c.natIdleTimeout());
    assertThat(only(forever, "DNS_CACHE_TTL_TOO_LONG").why()).contains("for ever");
    LintInput hour = new LintInput(c.pool(), c.protection(), c.sockets(), c.kernel(), Duration.ofHours(1),
        c.socketTimeout(), c.natIdleTimeout());
    assertThat(only(hour, "DNS_CACHE_TTL_TOO_LONG").why()).contains("1 h");
  }

  @Test
  void tcpRetries2WithoutUserTimeout() {
    LintFinding f = only(with(keepalive(30, 5, 3, 0L)), "TCP_RETRIES2_NO_USER_TIMEOUT");
    assertThat(f.level()).as("bounded by the socket timeout: a warning").isEqualTo(LintLevel.WARN);
    assertThat(f.why()).contains("tcp_retries2=15", "15 min 24.6 s");
    LintInput c = clean();
    LintInput unbounded = new LintInput(c.pool(), c.protection(), keepalive(30, 5, 3, 0L), c.kernel(),
        c.dnsCacheTtl(), null, c.natIdleTimeout());
    assertThat(Lint.check(unbounded)).extracting(LintFinding::code, LintFinding::level)
        .contains(org.assertj.core.groups.Tuple.tuple("TCP_RETRIES2_NO_USER_TIMEOUT", LintLevel.ERROR));
    // tcp_retries2 lowered to 6 (25.4 s): no finding.
    LintInput lowered = new LintInput(c.pool(), c.protection(), keepalive(30, 5, 3, 0L),
        new KernelTcp(7200, 75, 9, 6, 120_000), c.dnsCacheTtl(), c.socketTimeout(), c.natIdleTimeout());
    assertThat(codes(lowered)).isEmpty();
    // Unknown user timeout or unknown kernel: no claim.
    assertThat(codes(with(keepalive(30, 5, 3, null)))).isEmpty();
  }

  @Test
  void noSocketTimeout() {
    LintInput c = clean();
    for (Duration none : new Duration[] {null, Duration.ZERO}) {
      LintInput in = new LintInput(c.pool(), c.protection(), c.sockets(), c.kernel(), c.dnsCacheTtl(), none,
          c.natIdleTimeout());
      assertThat(only(in, "NO_SOCKET_TIMEOUT").level()).isEqualTo(LintLevel.WARN);
    }
  }

  @Test
  void stockPgjdbcOnAStockKernelFailsWithTheRelevantFindings() {
    // pgjdbc without Lifeline: keepalive off, no user timeout, no socket timeout, HikariCP defaults.
    LintInput stock = new LintInput(HIKARI_DEFAULTS, Protection.NONE,
        new SocketOptions(false, Duration.ofSeconds(7200), Duration.ofSeconds(75), 9, Duration.ZERO, true),
        KernelTcp.LINUX_DEFAULTS, LintInput.JDK_DEFAULT_DNS_TTL, null, LintInput.DEFAULT_NAT_IDLE_TIMEOUT);
    List<LintFinding> findings = Lint.check(stock);
    assertThat(findings).extracting(LintFinding::code).containsExactly("KEEPALIVE_OFF",
        "TCP_RETRIES2_NO_USER_TIMEOUT", "ALIVE_BYPASS_WINDOW", "NO_SOCKET_TIMEOUT");
    assertThat(Lint.hasErrors(findings)).isTrue();
    assertThat(findings.get(0).level()).isEqualTo(LintLevel.ERROR);
    assertThat(findings.get(findings.size() - 1).level()).isEqualTo(LintLevel.WARN);
  }

  @Test
  void inputIsChecked() {
    LintInput c = clean();
    assertThatThrownBy(() -> new LintInput(c.pool(), c.protection(), c.sockets(), c.kernel(), c.dnsCacheTtl(),
        c.socketTimeout(), Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("natIdleTimeout");
  }

  @Test
  void kernelBudgetsFollowTheKernelsModel() {
    assertThat(KernelTcp.LINUX_DEFAULTS.idleBudget()).isEqualTo(Duration.ofSeconds(7875));
    assertThat(KernelTcp.LINUX_DEFAULTS.inFlightBudget()).isEqualTo(Duration.ofMillis(924_600));
    assertThat(KernelTcp.inFlightBudget(3, 120_000)).isEqualTo(Duration.ofMillis(3_000));
    assertThat(KernelTcp.inFlightBudget(9, 120_000)).isEqualTo(Duration.ofMillis(204_600));
    assertThat(KernelTcp.inFlightBudget(10, 120_000)).isEqualTo(Duration.ofMillis(324_600));
    assertThat(KernelTcp.inFlightBudget(15, 60_000)).isEqualTo(Duration.ofMillis(102_200 + 7 * 60_000));
    assertThat(KernelTcp.human(Duration.ofSeconds(7875))).isEqualTo("2 h 11 min 15 s");
    assertThat(KernelTcp.human(Duration.ofMillis(924_600))).isEqualTo("15 min 24.6 s");
    assertThat(KernelTcp.human(Duration.ofMillis(350))).isEqualTo("350 ms");
    assertThat(KernelTcp.human(Duration.ofSeconds(45))).isEqualTo("45 s");
    assertThat(KernelTcp.human(Duration.ofMinutes(4))).isEqualTo("4 min");
    assertThat(KernelTcp.human(Duration.ofHours(2))).isEqualTo("2 h");
    assertThat(KernelTcp.human(Duration.ofSeconds(3605))).isEqualTo("1 h 0 min 5 s");
  }

  @Test
  void kernelSettingsAreReadFromProc(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("tcp_keepalive_time"), "600\n");
    Files.writeString(dir.resolve("tcp_keepalive_intvl"), "60\n");
    Files.writeString(dir.resolve("tcp_keepalive_probes"), "5\n");
    assertThat(KernelTcp.read(dir)).as("tcp_retries2 missing").isEmpty();
    Files.writeString(dir.resolve("tcp_retries2"), "8\n");
    assertThat(KernelTcp.read(dir)).contains(new KernelTcp(600, 60, 5, 8, 120_000));
    Files.writeString(dir.resolve("tcp_rto_max_ms"), "60000\n");
    assertThat(KernelTcp.read(dir)).contains(new KernelTcp(600, 60, 5, 8, 60_000));
    KernelTcp here = KernelTcp.read().orElseThrow();
    // Compared with the files as a shell reads them (a sysctl file read byte-wise by the JDK was seen to be cut).
    String time = new String(Files.newInputStream(Path.of("/proc/sys/net/ipv4/tcp_keepalive_time")).readAllBytes(),
        java.nio.charset.StandardCharsets.US_ASCII).strip();
    String retries = new String(Files.newInputStream(Path.of("/proc/sys/net/ipv4/tcp_retries2")).readAllBytes(),
        java.nio.charset.StandardCharsets.US_ASCII).strip();
    assertThat(here.keepaliveTimeSeconds()).isEqualTo(Integer.parseInt(time));
    assertThat(here.retries2()).isEqualTo(Integer.parseInt(retries));
  }

  @Test
  void jvmDnsCacheTtlFollowsTheSecurityProperty() {
    String before = Security.getProperty("networkaddress.cache.ttl");
    try {
      Security.setProperty("networkaddress.cache.ttl", "-1");
      assertThat(LintInput.jvmDnsCacheTtl()).isNegative();
      Security.setProperty("networkaddress.cache.ttl", "5");
      assertThat(LintInput.jvmDnsCacheTtl()).isEqualTo(Duration.ofSeconds(5));
    } finally {
      Security.setProperty("networkaddress.cache.ttl", before == null ? "" : before);
    }
    assertThat(LintInput.jvmDnsCacheTtl()).isEqualTo(System.getProperty("sun.net.inetaddr.ttl") == null
        ? LintInput.JDK_DEFAULT_DNS_TTL : Duration.ofSeconds(Long.parseLong(System.getProperty("sun.net.inetaddr.ttl"))));
  }
}
