package io.github.lifeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.LifelineDataSource;
import io.github.lifeline.LifelineSettings;
import io.github.lifeline.EvictionEvent;
import io.github.lifeline.it.fault.FaultMatrix;
import io.github.lifeline.it.support.VerdictLag;
import io.github.lifeline.testkit.KernelClock;
import io.github.lifeline.testkit.junit.RequiresFaultInjection;
import io.github.lifeline.it.support.PooledSockets;
import io.github.lifeline.socket.SocketRecord;
import java.util.OptionalLong;
import io.github.lifeline.internal.socket.SocketRegistry;
import io.github.lifeline.testkit.Borrower.Result;
import io.github.lifeline.testkit.Borrower.Sample;
import io.github.lifeline.testkit.Borrower;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.KernelSockets;
import io.github.lifeline.testkit.Timed.Outcome;
import io.github.lifeline.testkit.Timed;
import io.github.lifeline.testkit.server.DatabaseServer;
import java.sql.Connection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Detect and evict, on the fault bench: a pool under Lifeline ({@link LifelineDataSource}) and a stock HikariCP pool
 * side by side, each with a steady borrower, against the same server and the same fault.
 *
 * <p>Failures are judged by the kernel's clock ({@link KernelClock}: the moment each connection's own FIN, reset or
 * error reached the kernel), with the same rule for both pools: a statement that fails on a connection is excused
 * (counted apart, as in flight at the shutdown) only when it started before that connection's own death; any other
 * failure after the fault is a failed borrow. Restart and crash need no firewall; the blackhole scenarios need root
 * and nftables.
 */
abstract class EvictionScenarios {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EvictionScenarios.class);

  static final int POOL_SIZE = 10;
  static final long CONNECTION_TIMEOUT_MS = 10_000;

  /** Starts a fresh server for one scenario; the scenario closes it. */
  protected abstract DatabaseServer startServer(Driver driver) throws Exception;

  // ---------------------------------------------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(Driver.class)
  void restartUnderLoad(Driver driver) throws Exception {
    exitUnderLoad(driver, "restart", DatabaseServer::stop);
  }

  @ParameterizedTest
  @EnumSource(Driver.class)
  void crashUnderLoad(Driver driver) throws Exception {
    exitUnderLoad(driver, "crash", DatabaseServer::crash);
  }

  private void exitUnderLoad(Driver driver, String fault, FaultScenarios.ServerAction exit) throws Exception {
    LifelineSettings settings = LifelineSettings.defaults();
    List<EvictionEvent> events = new CopyOnWriteArrayList<>();
    try (DatabaseServer server = startServer(driver);
         KernelClock clock = new KernelClock(server.port());
         LifelineDataSource lifeline = new LifelineDataSource(config(driver, server, "lifeline"), settings,
             events::add);
         HikariDataSource stock = new HikariDataSource(config(driver, server, "stock"))) {
      awaitTotal(lifeline.hikari(), POOL_SIZE, 10);
      awaitTotal(stock, POOL_SIZE, 10);
      List<SocketRecord> old = records(server);
      assertThat(old).hasSize(POOL_SIZE);
      Set<Integer> stockOld = stockPorts(server);
      Borrower lb = new Borrower("lifeline", lifeline, driver, 10);
      Borrower sb = new Borrower("stock", stock, driver, 10);
      Thread.sleep(1000);
      assertThat(clock.watchNew()).as("sockets of both pools on the kernel clock").isGreaterThanOrEqualTo(2 * POOL_SIZE);

      long tSignal = System.nanoTime();
      exit.apply(server);
      long tExit = System.nanoTime();
      Double evictedAt = Timed.awaitAll(() -> old, SocketRecord::isClosed, tExit, 2);
      server.start();
      long tReady = System.nanoTime();
      Double refill = Timed.awaitAll(() -> List.of(records(server)), rs -> rs.size() >= POOL_SIZE, tReady, 10);
      Double stockRefill = Timed.awaitAll(() -> List.of(stockPorts(server)), ps -> ps.size() >= POOL_SIZE, tReady, 10);
      Thread.sleep(1000);
      lb.stop(30_000);
      sb.stop(30_000);

      // Each pool by its own first FIN: what it could know (the same rule for both).
      Set<Integer> lifelinePorts = old.stream().map(r -> r.local().getPort()).collect(Collectors.toSet());
      long firstFin = clock.firstDeathSince(tSignal).orElse(tExit);
      long lifelineFirst = clock.firstDeathSince(tSignal, lifelinePorts::contains).orElse(firstFin);
      long stockFirst = clock.firstDeathSince(tSignal, stockOld::contains).orElse(firstFin);
      Load l = Load.judged(lb.samples(), clock, lifelineFirst);
      Load s = Load.judged(sb.samples(), clock, stockFirst);
      // Lifeline knows of the shutdown when its monitor thread runs after the first FIN: microseconds later on an
      // idle CPU, milliseconds when the server's own shutdown keeps both cores busy. A borrow lost in between is
      // counted (failedBorrows) and reported apart; none may be lost after it.
      long lifelineKnew = events.stream().filter(e -> e.verdictNanos() - tSignal >= 0)
          .mapToLong(EvictionEvent::verdictNanos).min().orElse(Long.MAX_VALUE);
      List<Sample> lostAfterKnew = lb.samples().stream().filter(x -> Load.lost(x, clock, lifelineFirst)
          && x.startNanos() - lifelineKnew > 0).collect(Collectors.toList());
      Double knewAfterFinMs = lifelineKnew == Long.MAX_VALUE ? null : (lifelineKnew - lifelineFirst) / 1e6;
      VerdictLag lag = VerdictLag.of(events, clock, tSignal);
      Map<String, Object> lmExtra = new LinkedHashMap<>();
      lmExtra.put("inflightAtShutdown", l.inflightFailures);
      lmExtra.put("signalToExitMs", (tExit - tSignal) / 1e6);
      lmExtra.put("lifelineKnewAfterFirstFinMs", knewAfterFinMs);
      lmExtra.put("worstLagAfterOwnVerdictMs", lag.worstMs());
      lmExtra.put("lostBeforeLifelineKnew", l.failedBorrows - lostAfterKnew.size());
      lmExtra.put("allClosedByThePoolBeforeLifelineRan", lifelineKnew == Long.MAX_VALUE);
      record(driver, fault, "lifeline", l, evictedAt, refill, lmExtra);
      Map<String, Object> sm = new LinkedHashMap<>();
      sm.put("inflightAtShutdown", s.inflightFailures);
      sm.put("signalToExitMs", (tExit - tSignal) / 1e6);
      sm.put("stockConnectionsReplacedSeconds", Timed.awaitAll(() -> List.of(stockPorts(server)),
          now -> now.stream().noneMatch(stockOld::contains), tExit, 0));
      record(driver, fault, "baseline", s, null, stockRefill, sm); // the stock pool evicts nothing by itself

      // Lifeline's lag behind the kernel is recorded (worstLagAfterOwnVerdictMs, per connection; the drill's JSON),
      // not asserted: it is the scheduler's delay in running the monitor thread, which no kernel bound limits on a
      // saturated machine (measured in CI, where the server shares the two cores: up to 100 ms while a PostgreSQL
      // shutdown's twenty-odd backends exit at once, up to 8 ms for MariaDB's one process), and a speed target
      // belongs in the benchmarks (MonitorLagBenchmark). What
      // must hold whatever the delay: no borrow lost after Lifeline's verdict took effect, and every old connection
      // out of the pool soon after the server's exit (below). When HikariCP closed every old connection before the
      // monitor ran (a close takes the socket's pending epoll event with it), Lifeline has no verdict at all.
      LOG.info("{} {}: Lifeline's verdicts after each connection's own kernel verdict: {}; first verdict {} ms after "
          + "the pool's first FIN", driver, fault, lag, knewAfterFinMs);
      assertThat(lostAfterKnew).as("borrows lost after Lifeline knew of the exit (%.3f ms after the first FIN), "
          + "judged by each connection's own death; all failures: %s", knewAfterFinMs,
          l.describe(clock, lifelineFirst)).isEmpty();
      assertThat(evictedAt).as("all old connections evicted within 100 ms of the exit").isNotNull()
          .isLessThanOrEqualTo(0.1);
      assertThat(refill).as("pool back at minimumIdle within 1 s of the server accepting").isNotNull()
          .isLessThanOrEqualTo(1.0);
      assertThat(events).allSatisfy(e -> assertThat(e.pool()).isEqualTo("lifeline-" + driver));
      // The fault was real: the stock pool's caller always meets it, either in flight or on its next borrow, since
      // HikariCP hands out a connection used < 500 ms ago unchecked (#2348). Which of the two is a matter of timing.
      assertThat(s.failedBorrows + s.inflightFailures).as("stock caller failures: %s", s.describe(clock, stockFirst))
          .isGreaterThanOrEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(Driver.class)
  @RequiresFaultInjection
  void blackholeIdle(Driver driver) throws Exception {
    LifelineSettings settings = LifelineSettings.builder().keepaliveIdle(Duration.ofSeconds(2))
        .keepaliveInterval(Duration.ofSeconds(1)).keepaliveCount(2).build();
    double budget = 2 + 1 * 2; // the kernel's own verdict on a silent idle peer: idle + interval x count
    List<EvictionEvent> events = new CopyOnWriteArrayList<>();
    try (DatabaseServer server = startServer(driver);
         KernelClock clock = new KernelClock(server.port());
         LifelineDataSource lifeline = new LifelineDataSource(config(driver, server, "lifeline"), settings,
             events::add);
         HikariDataSource stock = new HikariDataSource(config(driver, server, "stock"))) {
      awaitTotal(lifeline.hikari(), POOL_SIZE, 10);
      awaitTotal(stock, POOL_SIZE, 10);
      List<SocketRecord> old = records(server);
      Set<Integer> oldPorts = old.stream().map(r -> r.local().getPort()).collect(Collectors.toSet());
      Borrower lb = new Borrower("lifeline", lifeline, driver, 50);
      Borrower sb = new Borrower("stock", stock, driver, 50);
      Thread.sleep(500);
      clock.watchNew();
      long t0 = System.nanoTime();
      server.blackhole();
      double cap = budget + 0.5;
      try {
        Map<Integer, Double> outAt = closedAt(old, t0, cap + 5);
        Double allOut = outAt.size() == old.size() ? outAt.values().stream().max(Double::compare).orElseThrow() : null;
        Thread.sleep(3000); // borrowers keep trying against the silent server
        lb.stop(1);
        sb.stop(1);
        // A connection that carried a statement after the fault was not idle: its own verdict is its user timeout on
        // the kernel's retransmission schedule (0.43-0.5 s past the timeout here), not the keepalive budget. It must
        // leave the pool right after that verdict, as the kernel clock saw it; every idle one within the budget.
        Set<Integer> busyPorts = lb.samples().stream().filter(x -> oldPorts.contains(x.localPort())
            && x.endNanos() - t0 > 0).map(Sample::localPort).collect(Collectors.toSet());
        Map<Integer, Double> idleOut = new LinkedHashMap<>();
        Map<Integer, Double> busyOutAfterVerdict = new LinkedHashMap<>();
        outAt.forEach((port, at) -> {
          if (!busyPorts.contains(port)) {
            idleOut.put(port, at);
          } else {
            OptionalLong verdict = clock.deathNanos(port);
            busyOutAfterVerdict.put(port, verdict.isPresent() ? at - (verdict.getAsLong() - t0) / 1e9 : null);
          }
        });
        // A borrow that started after its connection's own verdict and got that connection: handed out dead.
        List<Sample> handedOutDead = lb.samples().stream().filter(x -> oldPorts.contains(x.localPort())
            && clock.deathNanos(x.localPort()).stream().anyMatch(d -> x.startNanos() > d))
            .collect(Collectors.toList());
        OptionalLong firstVerdict = clock.firstDeathSince(t0);
        Load l = Load.of(lb.samples(), t0);
        Load s = Load.of(sb.samples(), t0);
        Map<String, Object> lm = new LinkedHashMap<>();
        lm.put("firstVerdictSeconds", firstVerdict.isPresent() ? (firstVerdict.getAsLong() - t0) / 1e9 : null);
        lm.put("deadConnectionsHandedOutAfterVerdict", handedOutDead.size());
        lm.put("allOutSeconds", allOut);
        lm.put("busyConnectionsOutAfterOwnVerdictSeconds", busyOutAfterVerdict);
        double worstLagMs = events.stream().mapToDouble(e -> e.lagAfterVerdict().toNanos() / 1e6).max().orElse(0);
        record(driver, "blackhole-idle", "lifeline", l, events.isEmpty() ? null : worstLagMs / 1000, null, lm);
        record(driver, "blackhole-idle", "baseline", s, null, null, Map.of("borrowerStillBlocked", sb.isAlive()));

        assertThat(firstVerdict).as("a kernel verdict within the keepalive budget").isPresent();
        assertThat(allOut).as("every old connection out of the pool (%s of %d)", outAt.size(), old.size())
            .isNotNull();
        assertThat(idleOut.values()).as("every idle old connection out of the pool within the keepalive budget + "
            + "0.5 s of the fault: %s", idleOut).isNotEmpty().allSatisfy(t -> assertThat(t).isLessThanOrEqualTo(cap));
        assertThat(busyOutAfterVerdict.values()).as("every old connection with a statement in flight out of the "
            + "pool within 0.1 s of its own kernel verdict (its user timeout), s: %s", busyOutAfterVerdict)
            .allSatisfy(t -> assertThat(t).isNotNull().isLessThanOrEqualTo(0.1));
        assertThat(handedOutDead).as("dead connections handed to a borrower after their verdict").isEmpty();
        assertThat(s.worstBorrowMs >= 5000 || sb.isAlive() || s.failedBorrows > 0)
            .as("the stock borrower stalls or fails: worst %.0f ms, blocked %s, failed %d", s.worstBorrowMs,
                sb.isAlive(), s.failedBorrows).isTrue();
      } finally {
        server.heal();
      }
      lb.stop(60_000);
      sb.stop(60_000);
    }
  }

  /** When each record was first seen closed, in seconds after {@code t0} (by local port), polling every 2 ms. */
  private static Map<Integer, Double> closedAt(List<SocketRecord> records, long t0, double capSeconds)
      throws InterruptedException {
    Map<Integer, Double> at = new LinkedHashMap<>();
    while (at.size() < records.size() && Timed.since(t0) <= capSeconds) {
      for (SocketRecord r : records) {
        if (r.isClosed()) {
          at.putIfAbsent(r.local().getPort(), Timed.since(t0));
        }
      }
      Thread.sleep(2);
    }
    return at;
  }

  @ParameterizedTest
  @EnumSource(Driver.class)
  @RequiresFaultInjection
  void blackholeInflight(Driver driver) throws Exception {
    LifelineSettings settings = LifelineSettings.builder().userTimeout(Duration.ofMillis(3000)).build();
    double cap = 3 + 0.5;
    try (DatabaseServer server = startServer(driver);
         LifelineDataSource lifeline = new LifelineDataSource(config(driver, server, "lifeline"), settings,
             e -> { });
         HikariDataSource stock = new HikariDataSource(config(driver, server, "stock"))) {
      awaitTotal(lifeline.hikari(), POOL_SIZE, 10);
      awaitTotal(stock, POOL_SIZE, 10);
      Connection lc = lifeline.getConnection();
      Connection sc = stock.getConnection();
      SocketRecord victim = io.github.lifeline.Lifeline.lookup(lc).orElseThrow();
      server.blackhole();
      long t0 = System.nanoTime(); // the path is silent from here: the user timeout runs from the statement's send
      CompletableFuture<Outcome> sf = null;
      Double refill;
      Outcome lo;
      try {
        CompletableFuture<Outcome> lf = Timed.execute(lc, "select 1", t0);
        sf = Timed.execute(sc, "select 1", t0);
        lo = lf.get(20, TimeUnit.SECONDS);
        Double evicted = Timed.awaitAll(() -> List.of(victim), SocketRecord::isClosed, t0, 10);
        lc.close();
        Thread.sleep(500);
        server.heal();
        long tHeal = System.nanoTime();
        refill = Timed.awaitAll(() -> List.of(lifeline.hikari().getHikariPoolMXBean().getTotalConnections()),
            n -> n >= POOL_SIZE, tHeal, 30);
        record(driver, "blackhole-inflight", "lifeline", Load.single(lo), evicted, refill, Map.of());
        assertThat(lo.sqlState()).as("caller's error %s", lo.error()).startsWith("08");
        assertThat(lo.seconds()).isLessThanOrEqualTo(cap);
        assertThat(evicted).as("the dead connection's socket is closed").isNotNull();
        assertThat(refill).as("the pool refills after the heal").isNotNull();
        assertThat(records(server)).noneMatch(r -> r == victim);
      } finally {
        server.heal();
      }
      Outcome so = sf.isDone() ? sf.get() : null;
      record(driver, "blackhole-inflight", "baseline", so == null ? Load.blocked(Timed.since(t0)) : Load.single(so),
          null, null, Map.of());
      PooledSockets.release(stock, sc, sf);
    }
  }

  @ParameterizedTest
  @EnumSource(Driver.class)
  @RequiresFaultInjection
  void silentFailover(Driver driver) throws Exception {
    LifelineSettings settings = LifelineSettings.builder().keepaliveIdle(Duration.ofSeconds(1))
        .keepaliveInterval(Duration.ofSeconds(1)).keepaliveCount(2).userTimeout(Duration.ofMillis(3000)).build();
    long connectionTimeout = 5000;
    double bound = (connectionTimeout + settings.userTimeout().toMillis()) / 1000.0;
    try (DatabaseServer server = startServer(driver);
         KernelClock clock = new KernelClock(server.port());
         LifelineDataSource lifeline = new LifelineDataSource(config(driver, server, "lifeline", connectionTimeout),
             settings, e -> { });
         HikariDataSource stock = new HikariDataSource(config(driver, server, "stock", connectionTimeout))) {
      awaitTotal(lifeline.hikari(), POOL_SIZE, 10);
      awaitTotal(stock, POOL_SIZE, 10);
      Set<Integer> oldPorts = records(server).stream().map(r -> r.local().getPort()).collect(Collectors.toSet());
      Borrower lb = new Borrower("lifeline", lifeline, driver, 50);
      Borrower sb = new Borrower("stock", stock, driver, 50);
      Thread.sleep(500);
      clock.watchNew();
      long t0 = System.nanoTime();
      long tHeal;
      try {
        server.blackhole();
        server.crash();
        server.start();
        Thread.sleep(Math.max(0, 15_000 - (System.nanoTime() - t0) / 1_000_000));
        server.heal();
        tHeal = System.nanoTime();
      } finally {
        server.heal();
      }
      Thread.sleep(3000);
      lb.stop(60_000);
      sb.stop(60_000);
      List<Sample> ls = lb.samples();
      OptionalLong firstVerdict = clock.firstDeathSince(t0);
      long oldAfterVerdict = ls.stream().filter(x -> oldPorts.contains(x.localPort())
          && clock.deathNanos(x.localPort()).stream().anyMatch(d -> x.startNanos() > d)).count();
      Sample firstAfterHeal = ls.stream().filter(x -> x.startNanos() > tHeal).findFirst().orElse(null);
      Load l = Load.of(ls, t0);
      Load s = Load.of(sb.samples(), t0);
      Map<String, Object> lm = new LinkedHashMap<>();
      lm.put("oldConnectionsAfterVerdict", oldAfterVerdict);
      lm.put("firstBorrowAfterHeal", firstAfterHeal == null ? null : firstAfterHeal.result().name());
      record(driver, "silent-failover", "lifeline", l, null, null, lm);
      record(driver, "silent-failover", "baseline", s, null, null, Map.of());

      assertThat(firstVerdict).isPresent();
      assertThat(oldAfterVerdict).as("borrows handed a connection from before the fault after its own verdict")
          .isZero();
      assertThat(firstAfterHeal).isNotNull();
      assertThat(firstAfterHeal.result()).as("first borrow after the heal: %s", firstAfterHeal).isEqualTo(Result.OK);
      assertThat(oldPorts).doesNotContain(firstAfterHeal.localPort());
      assertThat(l.worstBorrowMs / 1000).as("worst borrow or query during the outage, s").isLessThanOrEqualTo(bound);
      assertThat(s.worstBorrowMs).as("stock worst borrow, ms").isGreaterThan(l.worstBorrowMs);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** Borrow statistics around a fault. */
  record Load(long failedBorrows, long inflightFailures, double worstBorrowMs, List<Sample> failures) {
    static Load of(List<Sample> samples, long faultNanos) {
      return of(samples, x -> x.startNanos() > faultNanos);
    }

    /** Failures for which {@code counts} holds are failed borrows; the others were in flight at the fault. */
    static Load of(List<Sample> samples, java.util.function.Predicate<Sample> counts) {
      List<Sample> failed = samples.stream().filter(x -> x.result() != Result.OK).collect(Collectors.toList());
      long after = failed.stream().filter(counts).count();
      double worst = samples.stream().mapToDouble(Sample::millis).max().orElse(0);
      return new Load(after, failed.size() - after, worst, failed);
    }

    /**
     * The kernel-clock rule, the same for every pool: a statement failing on a connection is in flight at the
     * shutdown (excused) only when it started before that connection's own death as the kernel saw it (or, when the
     * connection was closed before the clock could read its FIN, before the server's first FIN); any other failure
     * (on a connection already dead, or no connection at all) that started after the server's first FIN is a failed
     * borrow.
     */
    static Load judged(List<Sample> samples, KernelClock clock, long firstFinNanos) {
      return of(samples, x -> lost(x, clock, firstFinNanos));
    }

    /** Whether a failure is a lost borrow by the rule of {@link #judged}. */
    static boolean lost(Sample x, KernelClock clock, long firstFinNanos) {
      if (x.result() == Result.OK) {
        return false;
      }
      if (x.result() == Result.STATEMENT_FAILED && x.localPort() > 0) {
        // A connection closed (by its driver, or by Lifeline) before the clock read its FIN has no recorded death:
        // the server's first FIN is then the earliest its death can have been.
        long death = clock.deathNanos(x.localPort()).orElse(firstFinNanos);
        return x.startNanos() >= death;
      }
      return x.startNanos() >= firstFinNanos;
    }

    /** Each failure, relative to the server's first FIN and to its own connection's death (ms). */
    String describe(KernelClock clock, long firstFinNanos) {
      return failures.stream().map(x -> x.result() + "@" + (x.startNanos() - firstFinNanos) / 1e6 + "ms"
          + (x.localPort() > 0 ? " port " + x.localPort() + " death " + clock.deathNanos(x.localPort()).stream()
          .mapToObj(d -> ((d - firstFinNanos) / 1e6) + "ms").findFirst().orElse("none") : "")
          + " " + x.sqlState()).collect(Collectors.joining(", ", "[", "]"));
    }

    static Load single(Outcome o) {
      return new Load(o.completed() ? 0 : 1, 0, o.seconds() * 1000, List.of());
    }

    static Load blocked(double seconds) {
      return new Load(0, 0, seconds * 1000, List.of());
    }
  }

  static HikariConfig config(Driver driver, DatabaseServer server, String mode) {
    return config(driver, server, mode, CONNECTION_TIMEOUT_MS);
  }

  static HikariConfig config(Driver driver, DatabaseServer server, String mode, long connectionTimeout) {
    Properties p = driver.hikariProperties(server, mode + "-" + driver, POOL_SIZE, null);
    p.setProperty("connectionTimeout", Long.toString(connectionTimeout));
    p.setProperty("validationTimeout", Long.toString(Math.min(5000, connectionTimeout - 1000)));
    return new HikariConfig(p);
  }

  /** Lifeline's open sockets to the server. */
  static List<SocketRecord> records(DatabaseServer server) {
    return SocketRegistry.global().records().stream().filter(r -> r.remote().getPort() == server.port())
        .collect(Collectors.toList());
  }

  /** Local ports of this JVM's established sockets to the server that are not Lifeline's: the stock pool's. */
  static Set<Integer> stockPorts(DatabaseServer server) throws Exception {
    Set<Integer> lifeline = records(server).stream().map(r -> r.local().getPort()).collect(Collectors.toSet());
    long pid = ProcessHandle.current().pid();
    return KernelSockets.toPeerPort(server.port()).stream()
        .filter(s -> s.state().equals("ESTAB") && s.pid().orElse(-1L) == pid && !lifeline.contains(s.localPort()))
        .map(KernelSockets.SsSocket::localPort).collect(Collectors.toSet());
  }

  static void awaitTotal(HikariDataSource ds, int n, double seconds) throws Exception {
    Double t = Timed.awaitAll(() -> List.of(ds.getHikariPoolMXBean().getTotalConnections()), x -> x >= n,
        System.nanoTime(), seconds);
    assertThat(t).as("pool %s filled to %d", ds.getPoolName(), n).isNotNull();
  }

  private static void record(Driver driver, String fault, String mode, Load load, Double evictedSeconds,
      Double refillSeconds, Map<String, Object> extra) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("evictionLagMs", evictedSeconds == null ? null : Math.round(evictedSeconds * 1e4) / 10.0);
    m.put("failedBorrows", load.failedBorrows());
    m.put("worstBorrowMs", Math.round(load.worstBorrowMs() * 10) / 10.0);
    m.put("refillMs", refillSeconds == null ? null : Math.round(refillSeconds * 1e4) / 10.0);
    m.putAll(extra);
    // The pool's numbers join the fault bench's entry of the same driver, fault and mode (FaultBench runs first).
    m.put("provider", "embedded");
    FaultMatrix.merge(new FaultMatrix.Entry(driver == Driver.POSTGRESQL ? "postgresql" : "mysql", fault, mode,
        load.failedBorrows() == 0 ? "completed" : "error", null, 0, Map.of(), m));
  }
}
