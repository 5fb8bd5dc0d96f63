package io.github.lifeline.lint;

import static io.github.lifeline.lint.KernelTcp.human;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Checks a pool against what a dead or hung database peer does to it. Each check is a pure function of the
 * {@link LintInput}; nothing touches a network, a pool or the kernel, so the same call serves the drill's
 * {@code doctor}, an application at startup and the tests.
 *
 * <pre>{@code
 * List<LintFinding> findings = Lint.check(input);
 * findings.forEach(f -> log.warn("{}", f));
 * if (Lint.hasErrors(findings)) { ... }
 * }</pre>
 *
 * <p>The codes, and what to do about each, are listed in the README's troubleshooting section.
 */
public final class Lint {

  /** Keepalive probes more often than this keep every idle connection of every pool busy: {@code 10 s}. */
  public static final Duration MIN_SENSIBLE_KEEPALIVE_IDLE = Duration.ofSeconds(10);
  /** Azure Load Balancer and NAT gateway drop idle flows after 4 min: the lowest common idle timeout. */
  public static final Duration AZURE_IDLE_TIMEOUT = Duration.ofMinutes(4);
  /** Above this the DNS cache outlives a DNS-based failover: {@code 30 s}. */
  public static final Duration MAX_SENSIBLE_DNS_TTL = Duration.ofSeconds(30);
  /** A statement in flight to a silent peer blocked for longer than this is an outage of its own: {@code 2 min}. */
  public static final Duration MAX_SENSIBLE_IN_FLIGHT = Duration.ofMinutes(2);

  private Lint() {
  }

  /**
   * Runs every check.
   *
   * @param in the pool, its sockets and the kernel
   * @return the findings, errors first; empty for a pool that meets a dead peer within seconds
   */
  public static List<LintFinding> check(LintInput in) {
    List<LintFinding> out = new ArrayList<>();
    keepalive(in, out);
    userTimeoutBelowBudget(in, out);
    hikariKeepalive(in, out);
    maxLifetime(in, out);
    aliveBypass(in, out);
    dnsTtl(in, out);
    retries2(in, out);
    socketTimeout(in, out);
    out.sort(Comparator.comparing(LintFinding::level).reversed());
    return List.copyOf(out);
  }

  /** Whether any finding is an {@link LintLevel#ERROR}. */
  public static boolean hasErrors(List<LintFinding> findings) {
    return findings.stream().anyMatch(f -> f.level() == LintLevel.ERROR);
  }

  private static void keepalive(LintInput in, List<LintFinding> out) {
    SocketOptions s = in.sockets();
    Duration nat = in.natIdleTimeout();
    if (!s.keepalive()) {
      out.add(new LintFinding("KEEPALIVE_OFF", LintLevel.ERROR,
          "SO_KEEPALIVE is off: an idle connection to a dead peer is never detected, and a NAT or load balancer "
              + "drops it silently after its idle timeout (" + human(nat) + "); the next borrower hangs.",
          "Use Lifeline's socket factory (it turns keepalive on with 30 s/5 s/3), or at least the driver's "
              + "tcpKeepAlive=true (pgjdbc's default is false)."));
      return;
    }
    Duration idle = s.keepaliveIdle();
    String timing = "keepalive " + human(idle) + "/" + human(s.keepaliveInterval()) + "/" + s.keepaliveCount();
    if (idle.compareTo(nat) >= 0) {
      out.add(new LintFinding("KEEPALIVE_IDLE_TOO_LONG", LintLevel.ERROR,
          "The first keepalive probe comes after " + human(idle) + " (" + timing + ", dead after "
              + human(s.keepaliveBudget()) + "), but the NAT or load balancer drops an idle flow after "
              + human(nat) + " (AWS NLB: 350 s): idle connections die silently before any probe.",
          "lifeline.keepaliveIdle=30s (Lifeline's default), below the shortest idle timeout on the path."));
    } else if (idle.compareTo(near(nat)) >= 0) {
      out.add(new LintFinding("KEEPALIVE_IDLE_NEAR_NAT_TIMEOUT", LintLevel.WARN,
          "The first keepalive probe comes after " + human(idle) + ", close to common NAT and load balancer idle "
              + "timeouts (Azure: 4 min, many NATs: 5 min, AWS: 350 s).",
          "lifeline.keepaliveIdle=30s, well below every idle timeout on the path."));
    }
    if (idle.compareTo(MIN_SENSIBLE_KEEPALIVE_IDLE) < 0) {
      out.add(new LintFinding("PROBES_TOO_FREQUENT", LintLevel.WARN,
          "Keepalive probes start after only " + human(idle) + " of idleness: every idle connection of every "
              + "pool sends a probe and wakes the server that often, for no gain over 30 s.",
          "lifeline.keepaliveIdle=30s (at least 10 s); lower keepaliveInterval or userTimeout instead if you need "
              + "faster detection."));
    }
  }

  private static Duration near(Duration nat) {
    Duration eighty = nat.multipliedBy(4).dividedBy(5);
    return eighty.compareTo(AZURE_IDLE_TIMEOUT) < 0 ? eighty : AZURE_IDLE_TIMEOUT;
  }

  private static void userTimeoutBelowBudget(LintInput in, List<LintFinding> out) {
    SocketOptions s = in.sockets();
    if (!s.keepalive() || !s.hasUserTimeout()) {
      return;
    }
    Duration budget = s.keepaliveBudget();
    if (s.userTimeout().compareTo(budget) < 0) {
      out.add(new LintFinding("USER_TIMEOUT_BELOW_KEEPALIVE_BUDGET", LintLevel.WARN,
          "TCP_USER_TIMEOUT (" + human(s.userTimeout()) + ") is below the keepalive budget (" + human(budget)
              + " = " + human(s.keepaliveIdle()) + " + " + s.keepaliveCount() + " x " + human(s.keepaliveInterval())
              + "): the kernel lets it override keepaliveCount, so an idle connection is dropped after fewer probes "
              + "than configured.",
          "lifeline.userTimeout >= keepaliveIdle + keepaliveInterval x keepaliveCount, or leave it unset (Lifeline "
              + "derives exactly that)."));
    }
  }

  private static void hikariKeepalive(LintInput in, List<LintFinding> out) {
    PoolSettings p = in.pool();
    Duration k = p.keepaliveTime();
    if (k.isZero()) {
      return;
    }
    if (k.compareTo(PoolSettings.MIN_KEEPALIVE_TIME) < 0) {
      out.add(new LintFinding("HIKARI_KEEPALIVE_DISABLED", LintLevel.WARN,
          "HikariCP keepaliveTime=" + k.toMillis() + " ms is below 30 s: HikariCP turns it off at start with one "
              + "WARN line, so idle connections are never pinged.",
          "keepaliveTime >= 30000 (HikariCP's default is 120000), or rely on TCP keepalive (Lifeline)."));
    } else if (!p.maxLifetime().isZero() && k.compareTo(p.maxLifetime()) >= 0) {
      out.add(new LintFinding("HIKARI_KEEPALIVE_DISABLED", LintLevel.WARN,
          "HikariCP keepaliveTime (" + human(k) + ") is not below maxLifetime (" + human(p.maxLifetime())
              + "): HikariCP turns it off at start with one WARN line.",
          "keepaliveTime below maxLifetime (HikariCP's defaults: 2 min and 30 min)."));
    }
  }

  private static void maxLifetime(LintInput in, List<LintFinding> out) {
    PoolSettings p = in.pool();
    Duration nat = in.natIdleTimeout();
    boolean outlives = p.maxLifetime().isZero() || p.maxLifetime().compareTo(nat) >= 0;
    if (!outlives) {
      return;
    }
    SocketOptions s = in.sockets();
    boolean tcpRefresh = s.keepalive() && s.keepaliveIdle().compareTo(nat) < 0;
    Duration hikari = p.effectiveKeepaliveTime();
    boolean hikariRefresh = !hikari.isZero() && hikari.compareTo(nat) < 0;
    if (tcpRefresh || hikariRefresh) {
      return;
    }
    out.add(new LintFinding("MAX_LIFETIME_OVER_IDLE_TIMEOUT", LintLevel.WARN,
        "maxLifetime (" + (p.maxLifetime().isZero() ? "infinite" : human(p.maxLifetime())) + ") is at or above the "
            + "NAT/load balancer idle timeout (" + human(nat) + ") and nothing refreshes an idle connection sooner "
            + "(no TCP keepalive below it, HikariCP keepaliveTime " + (hikari.isZero() ? "off" : human(hikari))
            + "): a connection idle that long is silently dead when it is next borrowed.",
        "TCP keepalive below the idle timeout (Lifeline: 30 s), or HikariCP keepaliveTime below it, or maxLifetime "
            + "below it."));
  }

  private static void aliveBypass(LintInput in, List<LintFinding> out) {
    if (in.protection() == Protection.MONITOR) {
      return;
    }
    Duration w = in.pool().aliveBypassWindow();
    if (w.isZero() || w.isNegative()) {
      return;
    }
    out.add(new LintFinding("ALIVE_BYPASS_WINDOW", LintLevel.WARN,
        "HikariCP hands out a connection used within the last " + human(w) + " without checking it "
            + "(aliveBypassWindowMs, HikariCP #2348): after a restart or crash the next borrower gets the dead "
            + "connection and its statement fails, and nothing evicts the pool's other dead connections until "
            + "each is borrowed.",
        "LifelineDataSource or Lifeline.install: dead connections are evicted on the kernel's verdict, and HikariCP "
            + "checks eviction before the bypass."));
  }

  private static void dnsTtl(LintInput in, List<LintFinding> out) {
    Duration ttl = in.dnsCacheTtl();
    if (!ttl.isNegative() && ttl.compareTo(MAX_SENSIBLE_DNS_TTL) <= 0) {
      return;
    }
    out.add(new LintFinding("DNS_CACHE_TTL_TOO_LONG", LintLevel.WARN,
        "The JVM caches DNS answers for " + (ttl.isNegative() ? "ever" : human(ttl)) + " "
            + "(networkaddress.cache.ttl): after a DNS-based failover (RDS, Aurora, Cloud SQL) new connections go "
            + "to the old primary for that long.",
        "networkaddress.cache.ttl=30 or less (java.security, or Security.setProperty at startup); "
            + "-Dsun.net.inetaddr.ttl=30 also works."));
  }

  private static void retries2(LintInput in, List<LintFinding> out) {
    SocketOptions s = in.sockets();
    KernelTcp k = in.kernel();
    if (k == null || s.userTimeout() == null || s.hasUserTimeout()) {
      return;
    }
    Duration budget = k.inFlightBudget();
    if (budget.compareTo(MAX_SENSIBLE_IN_FLIGHT) <= 0) {
      return;
    }
    boolean bounded = in.socketTimeout() != null && !in.socketTimeout().isZero();
    out.add(new LintFinding("TCP_RETRIES2_NO_USER_TIMEOUT", bounded ? LintLevel.WARN : LintLevel.ERROR,
        "TCP_USER_TIMEOUT is off and tcp_retries2=" + k.retries2() + ": a statement in flight to a silent peer "
            + "blocks about " + human(budget) + " before the kernel gives up"
            + (bounded ? " (only the driver's socketTimeout of " + human(in.socketTimeout()) + " cuts it, and it "
                + "cuts long healthy queries too)." : "; keepalive does not run while data is unacknowledged."),
        "lifeline.userTimeout (Lifeline derives 45 s from its defaults): the kernel drops the connection once sent "
            + "data stays unacknowledged that long, and the caller gets SQLState 08xxx."));
  }

  private static void socketTimeout(LintInput in, List<LintFinding> out) {
    Duration t = in.socketTimeout();
    if (t != null && !t.isZero()) {
      return;
    }
    out.add(new LintFinding("NO_SOCKET_TIMEOUT", LintLevel.WARN,
        "No socketTimeout or query timeout: a hung server (a stuck process, SIGSTOP, a lock wait) is not a dead "
            + "peer, its kernel still ACKs, so neither keepalive nor TCP_USER_TIMEOUT ends the caller's wait.",
        "The driver's socketTimeout (pgjdbc: seconds, Connector/J: milliseconds) above your longest query, or "
            + "Statement.setQueryTimeout."));
  }
}
