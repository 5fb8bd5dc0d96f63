package io.github.lifeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import io.github.lifeline.EvictionListener;
import io.github.lifeline.Lifeline;
import io.github.lifeline.LifelineDataSource;
import io.github.lifeline.LifelinePool;
import io.github.lifeline.LifelineSettings;
import io.github.lifeline.internal.monitor.SocketMonitor;
import io.github.lifeline.internal.socket.SocketRegistry;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.Timed;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.MariaDbServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 10 point 3: one monitor for many pools. 200 pools (100 on PostgreSQL, 100 on MariaDB) run on at most two
 * Lifeline threads, including through a restart of one server that kills 100 pools' connections at once; closing the
 * pools leaves nothing of them behind: no pool view, no registry entry, no watched socket, no thread, no descriptor.
 */
class ManyPoolsIT {

  static final int POOLS_PER_SERVER = 100;

  @Test
  void twoHundredPoolsShareTwoThreadsAndLeaveNothingBehind() throws Exception {
    long fdsBefore = descriptors();
    try (DatabaseServer pg = PostgresServer.start(); DatabaseServer maria = MariaDbServer.start()) {
      long fdsWithServers = descriptors();
      List<LifelineDataSource> pools = new ArrayList<>();
      AtomicInteger evictions = new AtomicInteger();
      ThreadWatch threads = new ThreadWatch();
      try {
        for (int i = 0; i < POOLS_PER_SERVER; i++) {
          pools.add(open(Driver.POSTGRESQL, pg, "tenant-pg-" + i, evictions));
          pools.add(open(Driver.MYSQL, maria, "tenant-maria-" + i, evictions));
        }
        for (LifelineDataSource ds : pools) {
          try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("select 1");
          }
        }
        assertThat(SocketMonitor.get().watchedCount()).as("watched sockets").isGreaterThanOrEqualTo(200);
        assertThat(threads.lifelineThreads()).as("Lifeline threads with 200 pools").isLessThanOrEqualTo(2);

        pg.restart(); // 100 pools lose their connection within milliseconds
        assertThat(Timed.awaitAll(() -> List.of(evictions.get()), n -> n >= POOLS_PER_SERVER, System.nanoTime(), 10))
            .as("every PostgreSQL pool's connection evicted").isNotNull();
        for (LifelineDataSource ds : pools) {
          try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("select 1");
          }
        }
        assertThat(threads.maxLifelineThreads()).as("Lifeline threads at any time, through the restart")
            .isLessThanOrEqualTo(2);
      } finally {
        threads.stop();
        for (LifelineDataSource ds : pools) {
          ds.close();
        }
      }
      Set<String> names = pools.stream().map(ds -> ds.hikari().getPoolName()).collect(Collectors.toSet());
      assertThat(Lifeline.pools()).extracting(LifelinePool::name).doesNotContainAnyElementsOf(names);
      assertThat(SocketRegistry.global().records()).noneMatch(r -> r.remote().getPort() == pg.port()
          || r.remote().getPort() == maria.port());
      assertThat(Timed.awaitAll(() -> List.of(SocketMonitor.get().isRunning()), running -> !running,
          System.nanoTime(), 10)).as("the monitor stops once nothing is watched").isNotNull();
      assertThat(SocketMonitor.get().watchedCount()).isZero();
      assertThat(Timed.awaitAll(() -> List.of(descriptors()), n -> n <= fdsWithServers + 5, System.nanoTime(), 10))
          .as("descriptors back to what the servers' clients took (%d before the pools)", fdsWithServers).isNotNull();
    }
    assertThat(fdsBefore).isPositive();
  }

  private static LifelineDataSource open(Driver driver, DatabaseServer server, String name, AtomicInteger evictions) {
    Properties p = driver.hikariProperties(server, name, 1, null);
    p.setProperty("connectionTimeout", "10000");
    return new LifelineDataSource(new HikariConfig(p), LifelineSettings.defaults(),
        e -> evictions.incrementAndGet());
  }

  private static long descriptors() throws Exception {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }

  /** Samples the JVM's threads named {@code lifeline-*} every 5 ms. */
  private static final class ThreadWatch {
    private final AtomicInteger max = new AtomicInteger();
    private volatile boolean running = true;
    private final Thread sampler = new Thread(() -> {
      while (running) {
        max.accumulateAndGet(lifelineThreads(), Math::max);
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "thread-watch");

    ThreadWatch() {
      sampler.setDaemon(true);
      sampler.start();
    }

    static int lifelineThreads() {
      return (int) Thread.getAllStackTraces().keySet().stream()
          .filter(t -> t.isAlive() && t.getName().startsWith("lifeline-")).count();
    }

    int maxLifelineThreads() {
      return max.get();
    }

    void stop() throws InterruptedException {
      running = false;
      sampler.join(1000);
    }
  }
}
