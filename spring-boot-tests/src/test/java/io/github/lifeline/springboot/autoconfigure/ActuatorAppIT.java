package io.github.lifeline.springboot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.jdbc.DataSourceBuilder;
import org.springframework.boot.json.JsonParserFactory;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A real web application with two pools (PostgreSQL and MariaDB) and Actuator: every pooled connection of each pool
 * reads back the settings from the kernel; the {@code lifeline} endpoint shows each pool and connection as
 * {@code ss -tnoe} does, with the options beside the settings, and never a credential; the health contributor is UP;
 * the meters carry HikariCP's {@code pool} tag; a backend terminated by the server is counted as an eviction with its
 * lag.
 */
@SpringBootTest(classes = ActuatorAppIT.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ActuatorAppIT {

  static final String PG_SECRET = "pg-Secret-4711";
  static final String MARIA_SECRET = "maria-Secret-0815";
  static final int SIZE = 3;

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    @Primary
    @ConfigurationProperties("app.orders")
    HikariDataSource orders() {
      return DataSourceBuilder.create().type(HikariDataSource.class).build();
    }

    @Bean
    @ConfigurationProperties("app.inventory")
    HikariDataSource inventory() {
      return DataSourceBuilder.create().type(HikariDataSource.class).build();
    }
  }

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry r) {
    DatabaseServer pg = SharedServers.postgres();
    DatabaseServer maria = SharedServers.mariadb();
    r.add("app.orders.jdbc-url", pg::jdbcUrl);
    r.add("app.orders.username", pg::user);
    r.add("app.orders.password", () -> PG_SECRET); // trust authentication: any password is accepted
    r.add("app.orders.pool-name", () -> "orders");
    r.add("app.orders.maximum-pool-size", () -> SIZE);
    r.add("app.orders.minimum-idle", () -> SIZE);
    r.add("app.inventory.jdbc-url", maria::jdbcUrl);
    createUser(maria);
    r.add("app.inventory.username", () -> "inventory");
    r.add("app.inventory.password", () -> MARIA_SECRET);
    r.add("app.inventory.maximum-pool-size", () -> SIZE);
    r.add("app.inventory.minimum-idle", () -> SIZE);
    r.add("app.inventory.data-source-properties.sslMode", () -> "DISABLED");
    r.add("lifeline.keepalive-idle", () -> "10s");
    r.add("lifeline.keepalive-interval", () -> "3s");
    r.add("lifeline.keepalive-count", () -> "2");
    r.add("lifeline.user-timeout", () -> "16s");
    r.add("management.endpoints.web.exposure.include", () -> "lifeline,health,metrics");
    r.add("management.endpoint.health.show-details", () -> "always");
    r.add("spring.jmx.enabled", () -> "false");
  }

  /** A MariaDB user whose password is unlike anything else in the output, so that its absence means something. */
  static void createUser(DatabaseServer maria) {
    try (Connection c = DriverManager.getConnection(maria.jdbcUrl(), maria.baseProperties());
         Statement st = c.createStatement()) {
      st.execute("create user if not exists 'inventory'@'%' identified by '" + MARIA_SECRET + "'");
      st.execute("grant all on *.* to 'inventory'@'%'");
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @LocalServerPort
  int port;

  @Autowired
  @Qualifier("orders")
  HikariDataSource orders;

  @Autowired
  @Qualifier("inventory")
  HikariDataSource inventory;

  @Autowired
  MeterRegistry registry;

  @Autowired
  LifelinePools pools;

  String get(String path) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
    return r.body();
  }

  @Test
  void everyPooledConnectionOfEachPoolCarriesTheSettings() throws Exception {
    PoolBeansIT.assertCarries(PoolBeansIT.readBackEveryConnection(orders, SIZE), 10, 3, 2, 16000);
    PoolBeansIT.assertCarries(PoolBeansIT.readBackEveryConnection(inventory, SIZE), 10, 3, 2, 16000);
  }

  @Test
  @SuppressWarnings("unchecked")
  void theEndpointShowsEveryConnectionAndNoCredential() throws Exception {
    warm(orders);
    warm(inventory);
    String body = get("/actuator/lifeline");
    assertThat(body).doesNotContain(PG_SECRET).doesNotContain(MARIA_SECRET).doesNotContain("jdbc:")
        .doesNotContainIgnoringCase("password");
    Map<String, Object> json = JsonParserFactory.getJsonParser().parseMap(body);
    Map<String, Object> all = (Map<String, Object>) json.get("pools");
    assertThat(all).containsOnlyKeys("orders", "inventory");
    for (String name : List.of("orders", "inventory")) {
      Map<String, Object> pool = (Map<String, Object>) all.get(name);
      assertThat(pool.get("protection")).isEqualTo("PROTECTED");
      assertThat((Map<String, Object>) pool.get("settings")).containsEntry("keepaliveIdle", "10s")
          .containsEntry("userTimeout", "16s");
      List<Map<String, Object>> connections = (List<Map<String, Object>>) pool.get("connections");
      assertThat(connections).hasSize(SIZE).allSatisfy(c -> {
        assertThat(c.get("state")).isEqualTo("ESTABLISHED");
        assertThat(c.get("optionsMatch")).isEqualTo(true);
        assertThat((String) c.get("local")).startsWith("127.0.0.1:");
        assertThat((String) c.get("remote")).isEqualTo("127.0.0.1:" + server(name).port());
        Map<String, Object> options = (Map<String, Object>) c.get("options");
        assertThat((Map<String, Object>) options.get("TCP_KEEPIDLE")).containsEntry("requested", 10)
            .containsEntry("actual", 10);
        assertThat((Map<String, Object>) options.get("TCP_USER_TIMEOUT")).containsEntry("actual", 16000);
      });
    }
    Map<String, Object> one = JsonParserFactory.getJsonParser().parseMap(get("/actuator/lifeline/inventory"));
    assertThat(one.get("bean")).isEqualTo("inventory");
  }

  private static DatabaseServer server(String pool) {
    return pool.equals("orders") ? SharedServers.postgres() : SharedServers.mariadb();
  }

  @Test
  @SuppressWarnings("unchecked")
  void theHealthContributorIsUpAndReportsEachPool() throws Exception {
    String body = get("/actuator/health/lifeline");
    assertThat(body).doesNotContain(PG_SECRET).doesNotContain(MARIA_SECRET);
    Map<String, Object> json = JsonParserFactory.getJsonParser().parseMap(body);
    assertThat(json.get("status")).isEqualTo("UP");
    Map<String, Object> details = (Map<String, Object>) json.get("details");
    assertThat(details).containsKeys("orders", "inventory");
    assertThat((Map<String, Object>) details.get("orders")).containsEntry("protection", "PROTECTED");
  }

  @Test
  void metersJoinHikariCpsByThePoolTag() throws Exception {
    warm(orders);
    warm(inventory);
    for (String name : List.of("orders", "inventory")) {
      assertThat(registry.find("hikaricp.connections").tag("pool", name).gauge()).as("hikaricp %s", name)
          .isNotNull();
      assertThat(registry.find(LifelineMeterBinder.SOCKETS).tag("pool", name).gauge().value()).isEqualTo(SIZE);
      assertThat(registry.find(LifelineMeterBinder.MISMATCHED).tag("pool", name).gauge().value()).isZero();
    }
    assertThat(get("/actuator/metrics/lifeline.sockets")).contains("\"pool\"");
  }

  @Test
  void aBackendTerminatedByTheServerIsCountedAsAnEvictionWithItsLag() throws Exception {
    warm(orders);
    FunctionCounter peerClosed = registry.find(LifelineMeterBinder.EVICTIONS).tag("pool", "orders")
        .tag("reason", "peer-closed").functionCounter();
    assertThat(peerClosed).isNotNull();
    double before = peerClosed.count();
    Timer lag = registry.find(LifelineMeterBinder.VERDICT_LAG).tag("pool", "orders").timer();
    long lagBefore = lag.count();
    int pid;
    try (Connection c = orders.getConnection(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("select pg_backend_pid()")) {
      rs.next();
      pid = rs.getInt(1);
    }
    DatabaseServer pg = SharedServers.postgres();
    Properties p = pg.baseProperties();
    try (Connection admin = DriverManager.getConnection(pg.jdbcUrl(), p); Statement st = admin.createStatement()) {
      st.execute("select pg_terminate_backend(" + pid + ")");
    }
    long deadline = System.nanoTime() + 3_000_000_000L;
    while ((peerClosed.count() <= before || lag.count() <= lagBefore) && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    long seen = System.nanoTime();
    assertThat(peerClosed.count()).as("peer-closed evictions").isEqualTo(before + 1);
    assertThat(lag.count()).isEqualTo(lagBefore + 1);
    assertThat(lag.max(java.util.concurrent.TimeUnit.MILLISECONDS)).as("verdict to removal, ms").isLessThan(1000);
    // The pool serves at once: no borrower receives the connection whose backend was terminated, even one that
    // borrows all of the pool's connections right after Lifeline reported the eviction.
    try {
      warm(orders);
    } catch (java.sql.SQLException e) {
      throw new AssertionError("a borrow " + (System.nanoTime() - seen) / 1_000_000 + " ms after the eviction was "
          + "reported received the dead connection (Lifeline.install(HikariDataSource) mode)", e);
    }
  }

  static void warm(DataSource ds) throws Exception {
    PoolBeansIT.readBackEveryConnection(ds, SIZE);
  }
}
