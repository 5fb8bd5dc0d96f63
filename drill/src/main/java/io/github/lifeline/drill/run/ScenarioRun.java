package io.github.lifeline.drill.run;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.github.lifeline.EvictionEvent;
import io.github.lifeline.LifelineDataSource;
import io.github.lifeline.LifelineSettings;
import io.github.lifeline.drill.report.ScenarioResult;
import io.github.lifeline.drill.report.SideResult;
import io.github.lifeline.testkit.Borrower;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.Timed;
import io.github.lifeline.testkit.fault.Blackhole;
import io.github.lifeline.testkit.server.DatabaseServer;
import java.io.IOException;
import java.net.Socket;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One scenario against one server: a stock HikariCP pool (the baseline) and a {@link LifelineDataSource} built from
 * the same properties, each with its own steady borrower, opened side by side; then the fault, the measurement window,
 * the cleanup, and the judgement of both pools by the same rule.
 */
public final class ScenarioRun {

  private static final Logger LOG = LoggerFactory.getLogger(ScenarioRun.class);

  private final Driver driver;
  private final DatabaseServer server;
  private final Scenario scenario;
  private final DrillPlan plan;
  private final Progress progress;

  /** A run of {@code scenario} on {@code server} (already started). */
  public ScenarioRun(Driver driver, DatabaseServer server, Scenario scenario, DrillPlan plan, Progress progress) {
    this.driver = driver;
    this.server = server;
    this.scenario = scenario;
    this.plan = plan;
    this.progress = progress;
  }

  /** The driver's name in the report: {@code postgresql} or {@code mysql}. */
  public static String driverId(Driver d) {
    return d.name().toLowerCase(Locale.ROOT);
  }

  /** Pool properties, exactly as a user writes them: stock, or with Lifeline's keys for a LifelineDataSource. */
  Properties properties(String poolName, boolean lifeline) {
    Properties p = driver.hikariProperties(server, poolName, DrillPlan.POOL_SIZE, null);
    p.setProperty("connectionTimeout", Long.toString(DrillPlan.CONNECTION_TIMEOUT_MS));
    p.setProperty("validationTimeout", Long.toString(DrillPlan.VALIDATION_TIMEOUT_MS));
    if (lifeline) {
      DrillPlan.lifelineProperties().forEach((k, v) -> p.setProperty("dataSource." + k, v));
    }
    return p;
  }

  /** Lifeline's eviction events in this scenario: when Lifeline knew (its monitor's verdicts). */
  private final List<EvictionEvent> lifelineEvents = new CopyOnWriteArrayList<>();

  /** The Lifeline pool, exactly as {@code new LifelineDataSource(config)} builds it, plus a listener. */
  private LifelineDataSource lifelineDataSource(HikariConfig config) {
    return new LifelineDataSource(config, LifelineSettings.from(config.getDataSourceProperties()),
        lifelineEvents::add);
  }

  /** Runs the scenario and judges both pools. */
  public ScenarioResult run() throws Exception {
    server.start(); // a previous scenario may have left it down
    String tag = driverId(driver) + "-" + scenario.id();
    progress.phase("opening both pools");
    try (HikariDataSource stock = new HikariDataSource(new HikariConfig(properties("baseline-" + tag, false)));
        LifelineDataSource lifeline = lifelineDataSource(new HikariConfig(properties("lifeline-" + tag, true)))) {
      HikariPoolMXBean stockBean = stock.getHikariPoolMXBean();
      HikariPoolMXBean lifeBean = lifeline.hikari().getHikariPoolMXBean();
      awaitFull(stockBean, stock.getPoolName());
      awaitFull(lifeBean, lifeline.hikari().getPoolName());
      List<Connection> stockConns = borrowAll(stock);
      List<Connection> lifeConns = borrowAll(lifeline);
      List<Socket> stockSockets = sockets(stockConns);
      List<Socket> lifeSockets = sockets(lifeConns);
      Connection stockHeld = null;
      Connection lifeHeld = null;
      if (scenario.hasHeldCaller()) {
        stockHeld = stockConns.remove(stockConns.size() - 1);
        lifeHeld = lifeConns.remove(lifeConns.size() - 1);
        selectOne(stockHeld);
        selectOne(lifeHeld);
      }
      for (Connection c : stockConns) {
        c.close();
      }
      for (Connection c : lifeConns) {
        c.close();
      }

      Observer observer = new Observer(server.port());
      Borrower stockBorrower = null;
      Borrower lifeBorrower = null;
      Blackhole silence = null;
      CompletableFuture<Timed.Outcome> stockCall = null;
      CompletableFuture<Timed.Outcome> lifeCall = null;
      long start = System.nanoTime();
      long fault;
      long end;
      Long reachable = null;
      Long heal = null;
      double cap = plan.capSeconds(scenario);
      try {
        stockBorrower = new Borrower("baseline-" + tag, stock, driver, DrillPlan.BORROW_PERIOD_MS);
        lifeBorrower = new Borrower("lifeline-" + tag, lifeline, driver, DrillPlan.BORROW_PERIOD_MS);
        Observer.Pool stockPool = observer.add(stock.getPoolName(), stockBean, stockBorrower, stockSockets);
        Observer.Pool lifePool = observer.add(lifeline.hikari().getPoolName(), lifeBean, lifeBorrower, lifeSockets);
        observer.start();
        progress.phase("warming up under load");
        Thread.sleep((long) (DrillPlan.WARMUP_SECONDS * 1000));

        progress.phase("fault: " + scenario.id());
        fault = System.nanoTime();
        switch (scenario) {
          case RESTART:
            server.stop();
            progress.phase("server down; starting it again");
            server.start();
            reachable = System.nanoTime();
            break;
          case CRASH:
            server.crash();
            progress.phase("server killed; starting it again");
            server.start();
            reachable = System.nanoTime();
            break;
          case BLACKHOLE_IDLE:
          case BLACKHOLE_INFLIGHT:
            List<Integer> ports = new ArrayList<>();
            stockSockets.forEach(s -> ports.add(s.getLocalPort()));
            lifeSockets.forEach(s -> ports.add(s.getLocalPort()));
            silence = Blackhole.dropConnections(server.port(), ports);
            fault = System.nanoTime();
            reachable = fault;
            if (scenario == Scenario.BLACKHOLE_INFLIGHT) {
              stockCall = Timed.execute(stockHeld, "select 1", fault);
              lifeCall = Timed.execute(lifeHeld, "select 1", fault);
            }
            break;
          case FREEZE:
            server.freeze();
            fault = System.nanoTime();
            stockCall = Timed.execute(stockHeld, "select 1", fault);
            lifeCall = Timed.execute(lifeHeld, "select 1", fault);
            break;
          case SILENT_FAILOVER:
            server.blackhole();
            fault = System.nanoTime();
            progress.phase("path silent; server crashing and restarting behind it");
            server.crash();
            server.start();
            break;
          case LONG_QUERY:
            String sql = driver == Driver.POSTGRESQL ? "select pg_sleep(" + DrillPlan.LONG_QUERY_SECONDS + ")"
                : "select sleep(" + DrillPlan.LONG_QUERY_SECONDS + ")";
            stockCall = Timed.execute(stockHeld, sql, fault);
            lifeCall = Timed.execute(lifeHeld, sql, fault);
            break;
          default:
            throw new AssertionError(scenario);
        }

        long deadline = fault + (long) (cap * 1e9);
        while (true) {
          long now = System.nanoTime();
          if (scenario == Scenario.SILENT_FAILOVER && heal == null
              && now - fault >= (long) (DrillPlan.FAILOVER_HEAL_SECONDS * 1e9)) {
            server.heal();
            heal = System.nanoTime();
            reachable = heal;
          }
          if (now >= deadline || settled(stockPool, lifePool, fault, reachable, now, stockCall, lifeCall)) {
            break;
          }
          progress.tick((now - fault) / 1e9, cap, state(stockPool, lifePool, fault, now, heal));
          Thread.sleep(50);
        }
        end = System.nanoTime();
        progress.tick((end - fault) / 1e9, cap, "window closed");

        // Cleanup, outside the window: undo the fault, release whoever is still blocked.
        progress.phase("cleaning up");
        stockBorrower.stop(1);
        lifeBorrower.stop(1);
        if (scenario == Scenario.FREEZE) {
          server.thaw();
          heal = end;
        }
        if (silence != null) {
          silence.heal();
        }
        server.heal();
        Observed.Held stockHeldResult = held(stockCall, fault, end);
        Observed.Held lifeHeldResult = held(lifeCall, fault, end);
        Observed.Side stockSide = stockPool.observed(stockHeldResult, null, Map.of());
        long faultNanos = fault;
        Long lifelineVerdict = lifelineEvents.stream().mapToLong(EvictionEvent::verdictNanos)
            .filter(v -> v - faultNanos >= 0).boxed().min(Long::compare).orElse(null);
        Map<Integer, Long> lifelineByPort = new HashMap<>(); // each connection's own verdict from Lifeline
        for (EvictionEvent e : lifelineEvents) {
          if (e.local() != null && e.verdictNanos() - faultNanos >= 0) {
            lifelineByPort.merge(e.local().getPort(), e.verdictNanos(), Math::min);
          }
        }
        Observed.Side lifeSide = lifePool.observed(lifeHeldResult, lifelineVerdict, lifelineByPort);
        release(stockSockets, stockBorrower, stockCall);
        release(lifeSockets, lifeBorrower, lifeCall);
        observer.close();

        Observed.Window window = new Observed.Window(scenario, DrillPlan.POOL_SIZE, start, fault, end, reachable,
            heal);
        SideResult base = Judge.judge(window, stockSide);
        SideResult life = Judge.judge(window, lifeSide);
        return new ScenarioResult(driverId(driver), scenario.id(), "ran", null, scenario.description(),
            plan.settings(scenario), new ScenarioResult.Window(-(fault - start) / 1e9, Math.round((end - fault) / 1e6)
                / 1000.0, reachable == null ? null : (reachable - fault) / 1e9, heal == null ? null
                : (heal - fault) / 1e9, scenario.hasHeldCaller() ? "the statement in flight at the fault"
                : "the borrower"), base, life);
      } finally {
        if (silence != null) {
          silence.heal();
        }
        server.heal();
        server.thaw();
        observer.close();
        if (stockBorrower != null) {
          release(stockSockets, stockBorrower, stockCall);
        }
        if (lifeBorrower != null) {
          release(lifeSockets, lifeBorrower, lifeCall);
        }
        closeQuietly(stockHeld);
        closeQuietly(lifeHeld);
        progress.phase("closing both pools");
      }
    }
  }

  /** Restart and crash end early once both pools are whole again and nobody waits. */
  private static boolean settled(Observer.Pool a, Observer.Pool b, long fault, Long reachable, long now,
      CompletableFuture<?> c1, CompletableFuture<?> c2) {
    if (reachable == null || now - reachable < 1_500_000_000L || c1 != null || c2 != null) {
      return false;
    }
    return whole(a, fault, now) && whole(b, fault, now);
  }

  private static boolean whole(Observer.Pool p, long fault, long now) {
    for (Observer.Tracked t : p.conns) {
      boolean dead = t.verdictNanos() != null;
      if (t.preFault && dead && t.closed < 0) {
        return false;
      }
    }
    long since = p.borrower.inProgressSince();
    if (since > 0 && now - since > 100_000_000L) {
      return false;
    }
    try {
      return p.bean.getTotalConnections() >= DrillPlan.POOL_SIZE;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** What is happening now, for the console. */
  private static String state(Observer.Pool stock, Observer.Pool life, long fault, long now, Long heal) {
    return "baseline " + brief(stock, now) + " | lifeline " + brief(life, now) + (heal != null ? " | healed" : "");
  }

  private static String brief(Observer.Pool p, long now) {
    long since = p.borrower.inProgressSince();
    String caller = since > 0 && now - since > 200_000_000L
        ? String.format(Locale.ROOT, "blocked %.1fs", (now - since) / 1e9) : "borrowing";
    int total;
    try {
      total = p.bean.getTotalConnections();
    } catch (RuntimeException e) {
      total = -1;
    }
    return total + " conns, " + caller;
  }

  private static Observed.Held held(CompletableFuture<Timed.Outcome> call, long fault, long end) {
    if (call == null) {
      return null;
    }
    if (!call.isDone()) {
      return new Observed.Held(fault, -1, "blocked");
    }
    Timed.Outcome o = call.join();
    long endNanos = fault + (long) (o.seconds() * 1e9);
    return new Observed.Held(fault, endNanos, o.completed() ? "completed" : "error " + o.sqlState());
  }

  /**
   * Ends whatever is still blocked after the window: closes the pool's pre-fault sockets that are still open (a
   * caller blocked on one fails at once), then waits for the borrower and the held statement.
   */
  private static void release(List<Socket> sockets, Borrower borrower, CompletableFuture<?> call) {
    boolean blocked = borrower.isAlive() && borrower.inProgressSince() > 0 || call != null && !call.isDone();
    if (blocked) {
      for (Socket s : sockets) {
        try {
          s.close();
        } catch (IOException e) {
          // already closed
        }
      }
    }
    try {
      borrower.stop(15_000);
      if (call != null) {
        call.get(15, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
      LOG.warn("a caller did not end after the cleanup", e);
    }
  }

  private static void awaitFull(HikariPoolMXBean bean, String pool) throws Exception {
    Double t = Timed.awaitAll(() -> List.of(bean.getTotalConnections()), n -> n >= DrillPlan.POOL_SIZE,
        System.nanoTime(), 15);
    if (t == null) {
      throw new IllegalStateException(pool + " did not fill to " + DrillPlan.POOL_SIZE + " connections in 15 s");
    }
  }

  private static List<Connection> borrowAll(javax.sql.DataSource ds) throws SQLException {
    List<Connection> out = new ArrayList<>();
    try {
      for (int i = 0; i < DrillPlan.POOL_SIZE; i++) {
        out.add(ds.getConnection());
      }
      return out;
    } catch (SQLException e) {
      for (Connection c : out) {
        closeQuietly(c);
      }
      throw e;
    }
  }

  private List<Socket> sockets(List<Connection> conns) throws SQLException {
    List<Socket> out = new ArrayList<>();
    for (Connection c : conns) {
      out.add(driver.socketOf(c));
    }
    return out;
  }

  private static void selectOne(Connection c) throws SQLException {
    try (java.sql.Statement st = c.createStatement()) {
      st.execute("select 1");
    }
  }

  private static void closeQuietly(Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (SQLException | RuntimeException e) {
      // a broken connection
    }
  }
}
