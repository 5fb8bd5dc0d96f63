package io.github.lifeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lifeline.LifelineSettings;
import io.github.lifeline.it.fault.FaultMatrix;
import io.github.lifeline.testkit.junit.RequiresFaultInjection;
import io.github.lifeline.it.support.PooledSockets;
import io.github.lifeline.socket.KernelState;
import io.github.lifeline.socket.TcpState;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.Timed.Outcome;
import io.github.lifeline.testkit.Timed;
import io.github.lifeline.testkit.server.DatabaseServer;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fault bench: real servers, real faults, and for every fault a Lifeline pool and a stock pool side by side in
 * the same run, against the same server and the same fault. Each scenario records both in the fault matrix.
 *
 * <p>Subclasses provide the servers (started by the test JVM, or in containers); the scenarios are the same.
 *
 * <p>Bounds are the kernel's budget plus a margin of {@value #MARGIN_SECONDS} s: keepalive idle + interval × count
 * for an idle socket, TCP_USER_TIMEOUT for a request in flight.
 */
abstract class FaultScenarios {

  static final double MARGIN_SECONDS = 1.5;
  static final int POOL_SIZE = 3;

  /** Keepalive 1s/1s/2: the kernel declares an idle silent peer dead 3 s after the last packet. */
  static final LifelineSettings FAST_KEEPALIVE = LifelineSettings.builder()
      .keepaliveIdle(java.time.Duration.ofSeconds(1)).keepaliveInterval(java.time.Duration.ofSeconds(1))
      .keepaliveCount(2).userTimeout(java.time.Duration.ofMillis(3000)).build();
  /** Default keepalive (30s/5s/3), user timeout 3 s: isolates TCP_USER_TIMEOUT for a request in flight. */
  static final LifelineSettings USER_TIMEOUT_3S = LifelineSettings.builder()
      .userTimeout(java.time.Duration.ofMillis(3000)).build();
  /** Keepalive 1s/1s/2 and a user timeout of 2 s, for the no-false-positive check. */
  static final LifelineSettings USER_TIMEOUT_2S = LifelineSettings.builder()
      .keepaliveIdle(java.time.Duration.ofSeconds(1)).keepaliveInterval(java.time.Duration.ofSeconds(1))
      .keepaliveCount(2).userTimeout(java.time.Duration.ofMillis(2000)).build();

  /** Starts a fresh server for one scenario; the scenario closes it. */
  protected abstract DatabaseServer startServer(Driver driver) throws Exception;

  /** A short name of the server provider, used in pool names. */
  protected abstract String provider();

  // ---------------------------------------------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(Driver.class)
  @RequiresFaultInjection
  void blackholeIdle(Driver driver) throws Exception {
    double budget = keepaliveBudget(FAST_KEEPALIVE);
    double cap = budget + MARGIN_SECONDS;
    try (DatabaseServer server = startServer(driver);
         PooledSockets lifeline = open(driver, server, "lifeline", FAST_KEEPALIVE, Map.of());
         PooledSockets stock = open(driver, server, "stock", null, Map.of())) {
      long t0 = System.nanoTime();
      server.blackhole();
      try {
        Double verdict = Timed.awaitAll(lifeline::kernelStates, s -> !s.established(), t0, cap);
        Thread.sleep(Math.max(0, (long) ((cap - Timed.since(t0)) * 1000))); // the stock sockets are judged at the cap
        List<KernelState> stockStates = stock.kernelStates();
        record(driver, "blackhole-idle", "lifeline", verdict != null ? "detected" : "blocked", verdict, cap,
            FAST_KEEPALIVE, Map.of());
        record(driver, "blackhole-idle", "baseline", stockStates.stream().allMatch(KernelState::established)
            ? "blocked" : "detected", null, cap, null, Map.of());

        assertThat(verdict).as("every idle Lifeline socket closed by the kernel within %.1f s", cap).isNotNull();
        assertThat(lifeline.kernelStates()).allSatisfy(s -> assertThat(s.state()).isEqualTo(TcpState.GONE));
        assertThat(stockStates).as("stock sockets after %.1f s of silence", cap)
            .allSatisfy(s -> assertThat(s.state()).isEqualTo(TcpState.ESTABLISHED));
      } finally {
        server.heal();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Driver.class)
  @RequiresFaultInjection
  void blackholeInflight(Driver driver) throws Exception {
    double cap = USER_TIMEOUT_3S.userTimeout().toMillis() / 1000.0 + MARGIN_SECONDS;
    double stockCap = 20;
    try (DatabaseServer server = startServer(driver);
         PooledSockets lifeline = open(driver, server, "lifeline", USER_TIMEOUT_3S, Map.of());
         PooledSockets stock = open(driver, server, "stock", null, Map.of());
         Connection lc = lifeline.pool().getConnection();
         Connection sc = stock.pool().getConnection()) {
      PooledSockets.selectOne(lc);
      PooledSockets.selectOne(sc);
      server.blackhole();
      long t0 = System.nanoTime(); // the path is silent from here: the user timeout runs from the statement's send
      CompletableFuture<Outcome> s = null;
      try {
        CompletableFuture<Outcome> l = Timed.execute(lc, "select 1", t0);
        s = Timed.execute(sc, "select 1", t0);
        Outcome lo = l.get((long) ((cap + 5) * 1000), TimeUnit.MILLISECONDS);
        record(driver, "blackhole-inflight", "lifeline", lo.completed() ? "completed" : "error", lo.seconds(), cap,
            USER_TIMEOUT_3S, Map.of());
        assertThat(lo.completed()).as("the query to a silent peer fails").isFalse();
        assertThat(lo.sqlState()).as("connection-failure SQLState of %s", lo.error()).startsWith("08");
        assertThat(lo.seconds()).as("failure time").isLessThanOrEqualTo(cap);

        Outcome so = awaitOrNull(s, t0, stockCap);
        record(driver, "blackhole-inflight", "baseline", so == null ? "blocked" : so.completed() ? "completed"
            : "error", so == null ? null : so.seconds(), stockCap, null, Map.of());
        assertThat(so).as("the stock query is still blocked after %.0f s", stockCap).isNull();
      } finally {
        server.heal();
      }
      PooledSockets.release(stock.pool(), sc, s);
    }
  }

  @ParameterizedTest
  @EnumSource(Driver.class)
  void longQueryIsNotKilled(Driver driver) throws Exception {
    String sql = driver == Driver.POSTGRESQL ? "select pg_sleep(8)" : "select sleep(8)";
    double cap = 8 + 10;
    try (DatabaseServer server = startServer(driver);
         PooledSockets lifeline = open(driver, server, "lifeline", USER_TIMEOUT_2S, Map.of());
         PooledSockets stock = open(driver, server, "stock", null, Map.of());
         Connection lc = lifeline.pool().getConnection();
         Connection sc = stock.pool().getConnection()) {
      long t0 = System.nanoTime();
      CompletableFuture<Outcome> l = Timed.execute(lc, sql, t0);
      CompletableFuture<Outcome> s = Timed.execute(sc, sql, t0);
      Outcome lo = l.get((long) cap, TimeUnit.SECONDS);
      Outcome so = s.get((long) cap, TimeUnit.SECONDS);
      record(driver, "long-query", "lifeline", lo.completed() ? "completed" : "error",
          lo.completed() ? null : lo.seconds(), cap, USER_TIMEOUT_2S, Map.of("querySeconds", lo.seconds()));
      record(driver, "long-query", "baseline", so.completed() ? "completed" : "error",
          so.completed() ? null : so.seconds(), cap, null, Map.of("querySeconds", so.seconds()));
      assertThat((Throwable) lo.error()).as("a healthy 8 s query with a 2 s user timeout").isNull();
      assertThat(lo.seconds()).isGreaterThanOrEqualTo(8.0);
      assertThat((Throwable) so.error()).isNull();
    }
  }

  @ParameterizedTest
  @EnumSource(Driver.class)
  void restartMidIdle(Driver driver) throws Exception {
    serverExitMidIdle(driver, "restart", DatabaseServer::stop);
  }

  @ParameterizedTest
  @EnumSource(Driver.class)
  void crashMidIdle(Driver driver) throws Exception {
    serverExitMidIdle(driver, "crash", DatabaseServer::crash);
  }

  private void serverExitMidIdle(Driver driver, String fault, ServerAction exit) throws Exception {
    double cap = 0.5;
    try (DatabaseServer server = startServer(driver);
         PooledSockets lifeline = open(driver, server, "lifeline", FAST_KEEPALIVE, Map.of());
         PooledSockets stock = open(driver, server, "stock", null, Map.of())) {
      Thread.sleep(100); // idle
      long tSignal = System.nanoTime();
      exit.apply(server);
      long tExit = System.nanoTime(); // the server process has exited
      Double verdict = Timed.awaitAll(lifeline::kernelStates, st -> !st.established(), tExit, cap);
      List<KernelState> after = lifeline.kernelStates();
      // The stock stack has no observer: it learns of the death only when a caller's statement fails. The bench
      // uses a stock connection once, at the cap.
      Thread.sleep(Math.max(0, (long) ((cap - Timed.since(tExit)) * 1000)));
      Outcome stockUse = firstUse(stock.physicalConnections().get(0), tExit);
      server.start();

      Map<String, Object> metrics = new LinkedHashMap<>();
      metrics.put("states", after.stream().map(k -> k.state().name()).distinct().toList());
      metrics.put("signalToExitSeconds", (tExit - tSignal) / 1e9);
      record(driver, fault, "lifeline", verdict != null ? "detected" : "blocked", verdict, cap, FAST_KEEPALIVE,
          metrics);
      record(driver, fault, "baseline", stockUse.completed() ? "completed" : "error", stockUse.seconds(), cap, null,
          Map.of("signalToExitSeconds", (tExit - tSignal) / 1e9));
      assertThat(verdict).as("every idle socket left ESTABLISHED within %.1f s of the server's exit: %s", cap, after)
          .isNotNull();
      assertThat(after).allSatisfy(s -> assertThat(s.state()).isIn(TcpState.CLOSE_WAIT, TcpState.GONE, TcpState.CLOSE));
      assertThat(stockUse.completed()).as("a statement on a stock connection after the server died").isFalse();
    }
  }

  @ParameterizedTest
  @EnumSource(Driver.class)
  @RequiresFaultInjection
  void silentFailover(Driver driver) throws Exception {
    double inflightCap = USER_TIMEOUT_3S.userTimeout().toMillis() / 1000.0 + MARGIN_SECONDS;
    double idleCap = keepaliveBudget(FAST_KEEPALIVE) + MARGIN_SECONDS;
    double healAt = 15;
    double stockCap = 60;
    LifelineSettings settings = FAST_KEEPALIVE; // keepalive 1/1/2, user timeout 3 s
    try (DatabaseServer server = startServer(driver);
         PooledSockets lifeline = open(driver, server, "lifeline", settings, Map.of());
         PooledSockets stock = open(driver, server, "stock", null, Map.of());
         Connection lc = lifeline.pool().getConnection();
         Connection sc = stock.pool().getConnection()) {
      PooledSockets.selectOne(lc);
      PooledSockets.selectOne(sc);
      java.net.Socket busy = driver.socketOf(lc);
      long t0 = System.nanoTime();
      CompletableFuture<Outcome> s = null;
      AtomicReference<Double> healedAt = new AtomicReference<>();
      try {
        server.blackhole();                 // 1. the path goes silent
        CompletableFuture<Outcome> l = Timed.execute(lc, "select 1", t0);
        s = Timed.execute(sc, "select 1", t0);
        server.crash();                     // 2. the server dies behind the silence: its FIN/RST are lost...
        server.start();                     //    ...and a new one takes the port
        // The idle sockets (the pool's other connections) and the caller in flight.
        Double idleVerdict = Timed.awaitAll(() -> lifeline.kernelStatesExcept(busy),
            st -> !st.established(), t0, idleCap);
        Outcome lo = l.get((long) ((inflightCap + 5) * 1000), TimeUnit.MILLISECONDS);
        List<KernelState> stockIdle = stock.kernelStates();

        Outcome blockedAtHeal = awaitOrNull(s, t0, healAt);
        server.heal();                      // 3. the path heals
        healedAt.set(Timed.since(t0));
        Outcome so = blockedAtHeal != null ? blockedAtHeal : awaitOrNull(s, t0, stockCap);

        Map<String, Object> lm = new LinkedHashMap<>();
        lm.put("idleVerdictSeconds", idleVerdict);
        Map<String, Object> sm = new LinkedHashMap<>();
        sm.put("idleVerdictSeconds", null);
        sm.put("healSeconds", healedAt.get());
        record(driver, "silent-failover", "lifeline", lo.completed() ? "completed" : "error", lo.seconds(),
            inflightCap, settings, lm);
        record(driver, "silent-failover", "baseline", so == null ? "blocked" : so.completed() ? "completed" : "error",
            so == null ? null : so.seconds(), stockCap, null, sm);

        assertThat(lo.completed()).isFalse();
        assertThat(lo.sqlState()).as("SQLState of %s", lo.error()).startsWith("08");
        assertThat(lo.seconds()).as("in-flight failure").isLessThanOrEqualTo(inflightCap);
        assertThat(idleVerdict).as("idle sockets reach the kernel verdict within %.1f s", idleCap).isNotNull();
        assertThat(stockIdle).as("stock idle sockets during the silence")
            .allSatisfy(st -> assertThat(st.state()).isEqualTo(TcpState.ESTABLISHED));
        assertThat(blockedAtHeal).as("the stock caller is still blocked when the path heals").isNull();
        assertThat(so).as("after the heal the stock caller meets the new server's kernel and fails").isNotNull();
        assertThat(so.completed()).isFalse();
        assertThat(so.seconds()).isGreaterThan(healedAt.get());
      } finally {
        server.heal();
      }
      PooledSockets.release(stock.pool(), sc, s);
    }
  }

  @ParameterizedTest
  @EnumSource(Driver.class)
  void freezeIsNotDetectedByTcp(Driver driver) throws Exception {
    double socketTimeout = 3;
    double cap = socketTimeout + MARGIN_SECONDS;
    double stockCap = 10;
    Map<String, String> timeoutProps = driver == Driver.POSTGRESQL
        ? Map.of("socketTimeout", "3") : Map.of("socketTimeout", "3000");
    try (DatabaseServer server = startServer(driver);
         PooledSockets lifeline = open(driver, server, "lifeline", FAST_KEEPALIVE, timeoutProps);
         PooledSockets stock = open(driver, server, "stock", null, Map.of());
         Connection lc = lifeline.pool().getConnection();
         Connection sc = stock.pool().getConnection()) {
      PooledSockets.selectOne(lc);
      PooledSockets.selectOne(sc);
      java.net.Socket busy = driver.socketOf(lc);
      long t0 = System.nanoTime();
      server.freeze();
      CompletableFuture<Outcome> s = null;
      try {
        CompletableFuture<Outcome> l = Timed.execute(lc, "select 1", t0);
        s = Timed.execute(sc, "select 1", t0);
        // Keepalive 1/1/2 and a 3 s user timeout would have fired by now on a silent peer; a frozen one is not silent.
        Double kernelVerdict = Timed.awaitAll(() -> lifeline.kernelStatesExcept(busy),
            st -> !st.established(), t0, keepaliveBudget(FAST_KEEPALIVE) + 2);
        Outcome lo = l.get((long) ((cap + 5) * 1000), TimeUnit.MILLISECONDS);
        Outcome so = awaitOrNull(s, t0, stockCap);

        Map<String, Object> lm = new LinkedHashMap<>();
        lm.put("kernelVerdictSeconds", kernelVerdict);
        lm.put("socketTimeoutSeconds", socketTimeout);
        record(driver, "freeze", "lifeline", lo.completed() ? "completed" : "error", lo.seconds(), cap,
            FAST_KEEPALIVE, lm);
        record(driver, "freeze", "baseline", so == null ? "blocked" : so.completed() ? "completed" : "error",
            so == null ? null : so.seconds(), stockCap, null, Map.of());

        assertThat(kernelVerdict).as("the kernel keeps a frozen peer's sockets: it still ACKs").isNull();
        assertThat(lo.completed()).isFalse();
        assertThat(lo.seconds()).as("the driver's socket timeout bounds the query").isLessThanOrEqualTo(cap)
            .isGreaterThanOrEqualTo(socketTimeout - 0.1);
        assertThat(so).as("without a socket timeout the stock query is still blocked").isNull();
      } finally {
        server.thaw();
      }
      PooledSockets.release(stock.pool(), sc, s);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------

  @FunctionalInterface
  interface ServerAction {
    void apply(DatabaseServer server) throws Exception;
  }

  private PooledSockets open(Driver driver, DatabaseServer server, String mode, LifelineSettings settings,
      Map<String, String> driverProps) throws Exception {
    Map<String, String> keys = null;
    if (settings != null) {
      keys = new LinkedHashMap<>();
      for (String k : settings.toProperties().stringPropertyNames()) {
        keys.put(k, settings.toProperties().getProperty(k));
      }
    }
    return PooledSockets.open(driver, server, provider() + "-" + mode + "-" + driver, POOL_SIZE, keys,
        driverProps);
  }

  static double keepaliveBudget(LifelineSettings s) {
    return s.keepaliveIdle().getSeconds() + s.keepaliveInterval().getSeconds() * s.keepaliveCount();
  }

  private static Outcome firstUse(Connection c, long t0) {
    try {
      PooledSockets.selectOne(c);
      return new Outcome(Timed.since(t0), null);
    } catch (SQLException e) {
      return new Outcome(Timed.since(t0), e);
    }
  }

  private static Outcome awaitOrNull(CompletableFuture<Outcome> f, long t0, double untilSeconds) throws Exception {
    long waitMs = (long) Math.max(0, (untilSeconds - Timed.since(t0)) * 1000);
    try {
      return f.get(waitMs, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return null;
    }
  }

  private void record(Driver driver, String fault, String mode, String outcome, Double verdict, double cap,
      LifelineSettings settings, Map<String, Object> extra) {
    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("provider", provider());
    metrics.putAll(extra);
    Map<String, Object> s = new LinkedHashMap<>();
    if (settings != null) {
      s.put("keepaliveIdle", settings.keepaliveIdle().getSeconds());
      s.put("keepaliveInterval", settings.keepaliveInterval().getSeconds());
      s.put("keepaliveCount", settings.keepaliveCount());
      s.put("userTimeoutMs", settings.userTimeout().toMillis());
    }
    FaultMatrix.record(new FaultMatrix.Entry(driver == Driver.POSTGRESQL ? "postgresql" : "mysql", fault, mode,
        outcome, verdict, cap, s, metrics));
  }
}
