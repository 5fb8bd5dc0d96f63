package io.github.lifeline.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.EvictionReason;
import io.github.lifeline.Lifeline;
import io.github.lifeline.LifelinePool;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.Timed;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Issue 7 point 6: {@code Lifeline.install(HikariConfig)} never changes the user's configuration and never touches
 * another pool: it knows its own pool through {@code HikariConfig.copyStateTo} (called by
 * {@code new HikariDataSource(config)}), not by name through JMX. Each test failed on the JMX-based install: the
 * whole-pool eviction went to the pool registered first under the name, a name with {@code :} could not be looked
 * up, and a configuration was refused for reuse after a failed start.
 */
class InstallIT {

  private static HikariConfig config(DatabaseServer server, String poolName, int size) {
    Properties p = Driver.POSTGRESQL.hikariProperties(server, poolName, size, null);
    p.setProperty("connectionTimeout", "3000");
    return new HikariConfig(p);
  }

  @Test
  void twoPoolsWithTheSameNameEachKeepToTheirOwn() throws Exception {
    try (DatabaseServer a = PostgresServer.start();
         DatabaseServer b = PostgresServer.start();
         HikariDataSource poolA = new HikariDataSource(Lifeline.install(config(a, "orders", 3)));
         HikariDataSource poolB = new HikariDataSource(Lifeline.install(config(b, "orders", 3)))) {
      LifelinePool viewA = Lifeline.pool(poolA).orElseThrow();
      LifelinePool viewB = Lifeline.pool(poolB).orElseThrow();
      assertThat(viewA).isNotSameAs(viewB);
      awaitSockets(viewA, 3);
      awaitSockets(viewB, 3);
      Set<Integer> bPorts = ports(viewB);

      a.crash(); // every connection of pool A dies: A is evicted as a whole, B must not notice
      assertThat(Timed.awaitAll(() -> List.of(viewA.evictionCounts()), c -> c.values().stream()
          .mapToLong(Long::longValue).sum() >= 3, System.nanoTime(), 5)).as("pool A's connections evicted").isNotNull();
      Thread.sleep(300);
      assertThat(viewB.evictionCounts().values()).as("pool B evicted nothing").allMatch(n -> n == 0);
      assertThat(ports(viewB)).as("pool B kept its connections").isEqualTo(bPorts);
      assertThat(viewB.sockets()).noneMatch(SocketRecord::isClosed);
      try (Connection c = poolB.getConnection(); Statement st = c.createStatement()) {
        assertThat(st.execute("select 1")).isTrue();
      }
    }
  }

  @Test
  void aPoolNameThatJmxCannotTakeWorks() throws Exception {
    try (DatabaseServer server = PostgresServer.start();
         HikariDataSource pool = new HikariDataSource(Lifeline.install(config(server, "shop:orders,id=7", 3)))) {
      LifelinePool view = Lifeline.pool(pool).orElseThrow();
      awaitSockets(view, 3);
      server.restart();
      assertThat(Timed.awaitAll(() -> List.of(view.evictionCounts()), c -> c.get(EvictionReason.PEER_CLOSED)
          + c.get(EvictionReason.HOST_DOWN) >= 3, System.nanoTime(), 5)).as("evicted").isNotNull();
      assertThat(Timed.awaitAll(() -> List.of(view.sockets().size()), n -> n >= 3, System.nanoTime(), 5))
          .as("refilled from the restarted server").isNotNull();
      try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
        assertThat(st.execute("select 1")).isTrue();
      }
    }
  }

  @Test
  void theConfigurationCanBeUsedAgainAfterAFailedStart() throws Exception {
    try (DatabaseServer server = PostgresServer.start()) {
      HikariConfig config = config(server, "retry", 2);
      config.setInitializationFailTimeout(1);
      server.stop();
      assertThatThrownBy(() -> new HikariDataSource(Lifeline.install(config)))
          .hasMessageContaining("Failed to initialize pool");
      assertThat(config.getDataSource()).as("the configuration passed in is unchanged").isNull();
      server.start();
      try (HikariDataSource pool = new HikariDataSource(Lifeline.install(config));
           Connection c = pool.getConnection(); Statement st = c.createStatement()) {
        assertThat(st.execute("select 1")).isTrue();
        assertThat(Lifeline.pool(pool)).isPresent();
      }
    }
  }

  @Test
  void oneInstalledConfigurationServesOnePool() throws Exception {
    try (DatabaseServer server = PostgresServer.start()) {
      HikariConfig installed = Lifeline.install(config(server, "once", 1));
      try (HikariDataSource first = new HikariDataSource(installed)) {
        assertThatThrownBy(() -> new HikariDataSource(installed)).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("already belongs to pool once");
      }
    }
  }

  private static Set<Integer> ports(LifelinePool pool) {
    return pool.sockets().stream().map(r -> r.local().getPort()).collect(Collectors.toSet());
  }

  private static void awaitSockets(LifelinePool pool, int n) throws Exception {
    assertThat(Timed.awaitAll(() -> List.of(pool.sockets().size()), s -> s >= n, System.nanoTime(), 10))
        .as("%s holds %d sockets", pool.name(), n).isNotNull();
  }
}
