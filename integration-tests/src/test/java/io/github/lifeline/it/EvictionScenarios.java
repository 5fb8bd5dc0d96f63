package io.github.lifeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.LifelineDataSource;
import io.github.lifeline.LifelineSettings;
import io.github.lifeline.hikari.EvictionEvent;
import io.github.lifeline.it.fault.FaultMatrix;
import io.github.lifeline.it.server.DatabaseServer;
import io.github.lifeline.it.support.Borrower;
import io.github.lifeline.it.support.Borrower.Result;
import io.github.lifeline.it.support.Borrower.Sample;
import io.github.lifeline.it.support.Driver;
import io.github.lifeline.it.support.KernelSockets;
import io.github.lifeline.it.support.PooledSockets;
import io.github.lifeline.it.support.Timed;
import io.github.lifeline.it.support.Timed.Outcome;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.socket.SocketRegistry;
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
 */
abstract class EvictionScenarios {

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
    List<Long> eventTimes = new CopyOnWriteArrayList<>();
    try (DatabaseServer server = startServer(driver);
         LifelineDataSource lifeline = new LifelineDataSource(config(driver, server, "lifeline"), settings, e -> {
           eventTimes.add(System.nanoTime() - e.lagAfterVerdict().toNanos()); // when the monitor saw the verdict
           events.add(e);
         });
         HikariDataSource stock = new HikariDataSource(config(driver, server, "stock"))) {
      awaitTotal(lifeline.hikari(), POOL_SIZE, 10);
      awaitTotal(stock, POOL_SIZE, 10);
      List<SocketRecord> old = records(server);
      assertThat(old).hasSize(POOL_SIZE);
      Set<Integer> stockOld = stockPorts(server);
      Borrower lb = new Borrower("lifeline", lifeline, driver, 10);
      Borrower sb = new Borrower("stock", stock, driver, 10);
      Thread.sleep(1000);

      long tSignal = System.nanoTime();
      exit.apply(server);
      long tExit = System.nanoTime();
      Double evictedAt = Timed.awaitAll(() -> old, SocketRecord::isClosed, tExit, 2);
      Double stockEvictedAt = Timed.awaitAll(() -> List.of(stockPorts(server)),
          now -> now.stream().noneMatch(stockOld::contains), tExit, 2);
      server.start();
      long tReady = System.nanoTime();
      Double refill = Timed.awaitAll(() -> List.of(records(server)), rs -> rs.size() >= POOL_SIZE, tReady, 10);
      Double stockRefill = Timed.awaitAll(() -> List.of(stockPorts(server)), ps -> ps.size() >= POOL_SIZE, tReady, 10);
      Thread.sleep(1000);
      lb.stop(30_000);
      sb.stop(30_000);

      // A statement executing at the instant its connection is killed must fail; it is counted apart, as in flight at
      // the shutdown. Lifeline: a failure is a failed borrow only if the connection handed out had already been
      // declared dead (its verdict came before the borrow), or no connection was handed out at all after the first
      // verdict. A server shuts its connections one by one over some milliseconds, so this is judged per connection.
      // Stock HikariCP has no per-connection verdicts: every failure that started after the first verdict counts.
      long tDeath = eventTimes.isEmpty() ? tExit : Math.min(eventTimes.get(0), tExit);
      Map<Integer, Long> verdictByPort = new java.util.HashMap<>();
      for (int i = 0; i < events.size(); i++) {
        verdictByPort.putIfAbsent(events.get(i).local().getPort(), eventTimes.get(i));
      }
      Load l = Load.of(lb.samples(), x -> x.startNanos() > tDeath && (x.result() == Result.BORROW_FAILED
          || (verdictByPort.containsKey(x.localPort()) && verdictByPort.get(x.localPort()) < x.startNanos())));
      Load s = Load.of(sb.samples(), tDeath);
      record(driver, fault, "lifeline", l, evictedAt, refill, Map.of("inflightAtShutdown", l.inflightFailures,
          "signalToExitMs", (tExit - tSignal) / 1e6));
      record(driver, fault, "baseline", s, stockEvictedAt, stockRefill, Map.of("inflightAtShutdown",
          s.inflightFailures, "signalToExitMs", (tExit - tSignal) / 1e6));

      assertThat(l.failedBorrows).as("failed borrows after the server's exit (lifeline): %s", l.failures)
          .isZero();
      assertThat(evictedAt).as("all old connections evicted within 100 ms of the exit").isNotNull()
          .isLessThanOrEqualTo(0.1);
      assertThat(refill).as("pool back at minimumIdle within 1 s of the server accepting").isNotNull()
          .isLessThanOrEqualTo(1.0);
      assertThat(events).as("eviction events").isNotEmpty();
      assertThat(events).allSatisfy(e -> assertThat(e.pool()).isEqualTo("lifeline-" + driver));
      // The fault was real: the stock pool's caller always meets it, either in flight or on its next borrow, since
      // HikariCP hands out a connection used < 500 ms ago unchecked (#2348). Which of the two is a matter of timing.
      assertThat(s.failedBorrows + s.inflightFailures).as("stock caller failures: %s, relative to the first verdict "
          + "(ms) %s", s.failures(), s.failures().stream().map(x -> (x.startNanos() - tDeath) / 1e6)
          .collect(Collectors.toList())).isGreaterThanOrEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(Driver.class)
  void blackholeIdle(Driver driver) throws Exception {
    LifelineSettings settings = LifelineSettings.builder().keepaliveIdle(Duration.ofSeconds(2))
        .keepaliveInterval(Duration.ofSeconds(1)).keepaliveCount(2).build();
    List<EvictionEvent> events = new CopyOnWriteArrayList<>();
    List<Long> eventTimes = new CopyOnWriteArrayList<>();
    try (DatabaseServer server = startServer(driver);
         LifelineDataSource lifeline = new LifelineDataSource(config(driver, server, "lifeline"), settings, e -> {
           eventTimes.add(System.nanoTime());
           events.add(e);
         });
         HikariDataSource stock = new HikariDataSource(config(driver, server, "stock"))) {
      awaitTotal(lifeline.hikari(), POOL_SIZE, 10);
      awaitTotal(stock, POOL_SIZE, 10);
      List<SocketRecord> old = records(server);
      Set<Integer> oldPorts = old.stream().map(r -> r.local().getPort()).collect(Collectors.toSet());
      Borrower lb = new Borrower("lifeline", lifeline, driver, 50);
      Borrower sb = new Borrower("stock", stock, driver, 50);
      Thread.sleep(500);
      long t0 = System.nanoTime();
      server.blackhole();
      double cap = 2 + 1 * 2 + 1.5 + 0.5;
      try {
        Double allOut = Timed.awaitAll(() -> old, SocketRecord::isClosed, t0, cap + 5);
        Thread.sleep(3000); // borrowers keep trying against the silent server
        lb.stop(1);
        sb.stop(1);
        Long firstVerdict = eventTimes.isEmpty() ? null : eventTimes.get(0);
        List<Sample> after = lb.samples().stream().filter(x -> firstVerdict != null && x.startNanos() > firstVerdict)
            .collect(Collectors.toList());
        long deadHandedOut = after.stream().filter(x -> x.result() == Result.STATEMENT_FAILED
            || (x.localPort() > 0 && oldPorts.contains(x.localPort()))).count();
        Load l = Load.of(lb.samples(), t0);
        Load s = Load.of(sb.samples(), t0);
        double outAfterVerdict = firstVerdict == null || allOut == null ? Double.NaN
            : allOut - (firstVerdict - t0) / 1e9;
        Map<String, Object> lm = new LinkedHashMap<>();
        lm.put("firstVerdictSeconds", firstVerdict == null ? null : (firstVerdict - t0) / 1e9);
        lm.put("deadConnectionsHandedOutAfterVerdict", deadHandedOut);
        record(driver, "blackhole-idle", "lifeline", l, Double.isNaN(outAfterVerdict) ? null : outAfterVerdict,
            null, lm);
        record(driver, "blackhole-idle", "baseline", s, null, null,
            Map.of("borrowerStillBlocked", sb.isAlive()));

        assertThat(firstVerdict).as("a kernel verdict within the keepalive budget").isNotNull();
        assertThat(allOut).as("every connection out of the pool").isNotNull();
        assertThat(outAfterVerdict).as("seconds from the first verdict until every connection is out")
            .isLessThanOrEqualTo(0.5);
        assertThat(deadHandedOut).as("dead connections handed to a borrower after the verdict: %s", after).isZero();
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

  @ParameterizedTest
  @EnumSource(Driver.class)
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
  void silentFailover(Driver driver) throws Exception {
    LifelineSettings settings = LifelineSettings.builder().keepaliveIdle(Duration.ofSeconds(1))
        .keepaliveInterval(Duration.ofSeconds(1)).keepaliveCount(2).userTimeout(Duration.ofMillis(3000)).build();
    long connectionTimeout = 5000;
    double bound = (connectionTimeout + settings.userTimeout().toMillis()) / 1000.0;
    List<Long> eventTimes = new CopyOnWriteArrayList<>();
    try (DatabaseServer server = startServer(driver);
         LifelineDataSource lifeline = new LifelineDataSource(config(driver, server, "lifeline", connectionTimeout),
             settings, e -> eventTimes.add(System.nanoTime()));
         HikariDataSource stock = new HikariDataSource(config(driver, server, "stock", connectionTimeout))) {
      awaitTotal(lifeline.hikari(), POOL_SIZE, 10);
      awaitTotal(stock, POOL_SIZE, 10);
      Set<Integer> oldPorts = records(server).stream().map(r -> r.local().getPort()).collect(Collectors.toSet());
      Borrower lb = new Borrower("lifeline", lifeline, driver, 50);
      Borrower sb = new Borrower("stock", stock, driver, 50);
      Thread.sleep(500);
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
      Long firstVerdict = eventTimes.isEmpty() ? null : eventTimes.get(0);
      long oldAfterVerdict = ls.stream().filter(x -> firstVerdict != null && x.startNanos() > firstVerdict
          && oldPorts.contains(x.localPort())).count();
      Sample firstAfterHeal = ls.stream().filter(x -> x.startNanos() > tHeal).findFirst().orElse(null);
      Load l = Load.of(ls, t0);
      Load s = Load.of(sb.samples(), t0);
      Map<String, Object> lm = new LinkedHashMap<>();
      lm.put("oldConnectionsAfterVerdict", oldAfterVerdict);
      lm.put("firstBorrowAfterHeal", firstAfterHeal == null ? null : firstAfterHeal.result().name());
      record(driver, "silent-failover", "lifeline", l, null, null, lm);
      record(driver, "silent-failover", "baseline", s, null, null, Map.of());

      assertThat(firstVerdict).isNotNull();
      assertThat(oldAfterVerdict).as("borrows handed a connection from before the fault after its verdict").isZero();
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
    FaultMatrix.merge(new FaultMatrix.Entry(driver == Driver.POSTGRESQL ? "postgresql" : "mysql", fault, mode,
        load.failedBorrows() == 0 ? "completed" : "error", null, 0, Map.of(), m));
  }
}
