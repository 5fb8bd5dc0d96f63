package io.github.lifeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import io.github.lifeline.Lifeline;
import io.github.lifeline.LifelineDataSource;
import io.github.lifeline.LifelineSettings;
import io.github.lifeline.EvictionEvent;
import io.github.lifeline.it.support.SharedMonitor;
import io.github.lifeline.internal.socket.SocketRegistry;
import io.github.lifeline.testkit.Borrower;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.Timed.Outcome;
import io.github.lifeline.testkit.Timed;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.MariaDbServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Pools come and go without leaving anything behind, and healthy load never triggers an eviction. */
class PoolLifecycleIT {

  static final int CYCLES = 1000;

  @ParameterizedTest
  @EnumSource(Driver.class)
  void thousandPoolsOpenedAndClosedLeaveNoThreadRegistryEntryOrDescriptor(Driver driver) throws Exception {
    try (DatabaseServer server = driver == Driver.POSTGRESQL ? PostgresServer.start() : MariaDbServer.start()) {
      cycle(driver, server, 20); // warm up
      // The shared monitor holds three descriptors (epoll, eventfd, netlink) while it runs; it stops once no socket
      // is watched and no timer is pending. Count the descriptors only while it is stopped, before and after.
      SharedMonitor.awaitIdle();
      long fds = openFds();
      long threads = lifelineThreads();
      cycle(driver, server, CYCLES);
      assertThat(SocketRegistry.global().records()).noneMatch(r -> r.remote().getPort() == server.port());
      Double t = Timed.awaitAll(() -> List.of(lifelineThreads()), n -> n <= threads, System.nanoTime(), 5);
      assertThat(t).as("no Lifeline monitor thread left: %s", lifelineThreads()).isNotNull();
      SharedMonitor.awaitIdle();
      assertThat(openFds()).as("open descriptors after %d pools", CYCLES).isEqualTo(fds);
    }
  }

  private static void cycle(Driver driver, DatabaseServer server, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      Properties p = driver.hikariProperties(server, "cycle-" + driver, 1, null);
      try (LifelineDataSource ds = new LifelineDataSource(new HikariConfig(p), LifelineSettings.defaults(),
          e -> { })) {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select 1")) {
          assertThat(rs.next()).isTrue();
          assertThat(Lifeline.lookup(c)).isPresent();
        }
      }
    }
  }

  /**
   * Two minutes of healthy load on both drivers at once (a borrower at ~100 borrows/s per pool, a long query with a
   * user timeout far shorter than the query, HikariCP retiring connections every 30 s): no eviction, no failed
   * borrow, the long query completes.
   */
  @Test
  void healthyLoadCausesNoEviction() throws Exception {
    Duration load = Duration.ofSeconds(Long.getLong("lifeline.it.healthySeconds", 120));
    LifelineSettings settings = LifelineSettings.builder().keepaliveIdle(Duration.ofSeconds(1))
        .keepaliveInterval(Duration.ofSeconds(1)).keepaliveCount(2).userTimeout(Duration.ofMillis(2000)).build();
    List<EvictionEvent> events = new CopyOnWriteArrayList<>();
    try (DatabaseServer pg = PostgresServer.start();
         DatabaseServer maria = MariaDbServer.start();
         LifelineDataSource pgPool = new LifelineDataSource(retiring(Driver.POSTGRESQL, pg), settings, events::add);
         LifelineDataSource mariaPool = new LifelineDataSource(retiring(Driver.MYSQL, maria), settings,
             events::add)) {
      Borrower pb = new Borrower("pg", pgPool, Driver.POSTGRESQL, 10);
      Borrower mb = new Borrower("maria", mariaPool, Driver.MYSQL, 10);
      long t0 = System.nanoTime();
      CompletableFuture<Outcome> pgLong;
      CompletableFuture<Outcome> mariaLong;
      try (Connection pc = pgPool.getConnection(); Connection mc = mariaPool.getConnection()) {
        pgLong = Timed.execute(pc, "select pg_sleep(8)", t0);
        mariaLong = Timed.execute(mc, "select sleep(8)", t0);
        assertThat((Throwable) pgLong.get(30, TimeUnit.SECONDS).error()).isNull();
        assertThat((Throwable) mariaLong.get(30, TimeUnit.SECONDS).error()).isNull();
      }
      Thread.sleep(Math.max(0, load.toMillis() - (System.nanoTime() - t0) / 1_000_000));
      pb.stop(10_000);
      mb.stop(10_000);
      assertThat(events).as("evictions under healthy load").isEmpty();
      for (Borrower b : List.of(pb, mb)) {
        assertThat(b.samples()).hasSizeGreaterThan((int) (load.toSeconds() * 50));
        assertThat(b.samples()).allSatisfy(s -> assertThat(s.result()).isEqualTo(Borrower.Result.OK));
      }
    }
  }

  /** A pool that retires its connections every 30 s (HikariCP's minimum): the pool's own closes are no deaths. */
  private static HikariConfig retiring(Driver driver, DatabaseServer server) {
    HikariConfig c = EvictionScenarios.config(driver, server, "healthy");
    c.setMaxLifetime(30_000);
    return c;
  }

  private static long openFds() throws Exception {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }

  private static long lifelineThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("lifeline-")).count();
  }
}
