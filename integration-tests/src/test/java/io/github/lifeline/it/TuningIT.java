package io.github.lifeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.Lifeline;
import io.github.lifeline.it.support.KernelOptions;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.internal.socket.SocketRegistry;
import io.github.lifeline.socket.TcpOption;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.KernelSockets.SsSocket;
import io.github.lifeline.testkit.KernelSockets;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.MariaDbServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every socket of a HikariCP pool configured by properties only carries exactly the configured keepalive timing and
 * user timeout, read back from the kernel by three observers (Lifeline's record, an independent getsockopt, and
 * {@code ss}); the same pool without Lifeline carries the stock values, which proves the test can fail.
 */
class TuningIT {

  /** Deliberately unusual values, so that nothing stock can pass for them. */
  static final Map<String, String> LIFELINE_KEYS = Map.of(
      "lifeline.keepaliveIdle", "7s",
      "lifeline.keepaliveInterval", "3s",
      "lifeline.keepaliveCount", "4",
      "lifeline.userTimeout", "13000ms");
  static final KernelOptions EXPECTED = new KernelOptions(1, 7, 3, 4, 13_000);
  static final int POOL_SIZE = 5;

  static DatabaseServer postgres;
  static DatabaseServer mariadb;

  @BeforeAll
  static void startServers() {
    postgres = PostgresServer.start();
    mariadb = MariaDbServer.start();
  }

  @AfterAll
  static void stopServers() {
    if (postgres != null) {
      postgres.close();
    }
    if (mariadb != null) {
      mariadb.close();
    }
  }

  static DatabaseServer server(Driver d) {
    return d == Driver.POSTGRESQL ? postgres : mariadb;
  }

  @ParameterizedTest
  @EnumSource(Driver.class)
  void jdbcUrlModePoolIsTunedAndStockPoolIsNot(Driver driver) throws Exception {
    DatabaseServer server = server(driver);
    Properties tuned = driver.hikariProperties(server, "tuned-" + driver, POOL_SIZE, LIFELINE_KEYS);
    Properties stock = driver.hikariProperties(server, "stock-" + driver, POOL_SIZE, null);
    try (HikariDataSource lifeline = new HikariDataSource(new HikariConfig(tuned));
         HikariDataSource baseline = new HikariDataSource(new HikariConfig(stock))) {
      assertTuned(driver, server, lifeline);
      assertStock(driver, server, baseline);
    }
    assertNoRecordsFor(server);
  }

  @ParameterizedTest
  @EnumSource(Driver.class)
  void dataSourceModePoolIsTuned(Driver driver) throws Exception {
    DatabaseServer server = server(driver);
    Properties p = new Properties();
    p.setProperty("poolName", "datasource-" + driver);
    p.setProperty("maximumPoolSize", Integer.toString(POOL_SIZE));
    p.setProperty("minimumIdle", Integer.toString(POOL_SIZE));
    p.setProperty("username", server.user());
    p.setProperty("password", server.password());
    if (driver == Driver.POSTGRESQL) {
      p.setProperty("dataSourceClassName", "org.postgresql.ds.PGSimpleDataSource");
      p.setProperty("dataSource.serverNames", server.host());
      p.setProperty("dataSource.portNumbers", Integer.toString(server.port()));
      p.setProperty("dataSource.databaseName", server.database());
      p.setProperty("dataSource.connectTimeout", "5");
      p.setProperty("dataSource.loginTimeout", "10");
      p.setProperty("dataSource.socketFactory", driver.socketFactory());
      p.setProperty("dataSource.socketFactoryArg",
          "keepaliveIdle=7s,keepaliveInterval=3s,keepaliveCount=4,userTimeout=13000ms");
    } else {
      p.setProperty("dataSourceClassName", "com.mysql.cj.jdbc.MysqlDataSource");
      p.setProperty("dataSource.url", server.jdbcUrl() + "?sslMode=DISABLED&connectTimeout=5000"
          + "&socketFactory=" + driver.socketFactory()
          + "&lifeline.keepaliveIdle=7s&lifeline.keepaliveInterval=3s&lifeline.keepaliveCount=4"
          + "&lifeline.userTimeout=13000ms");
    }
    try (HikariDataSource ds = new HikariDataSource(new HikariConfig(p))) {
      assertTuned(driver, server, ds);
    }
    assertNoRecordsFor(server);
  }

  @Test
  void postgresTlsPoolIsTunedOnTheRawSocket() throws Exception {
    try (DatabaseServer tls = PostgresServer.builder().tls(true).build()) {
      tls.start();
      Properties p = Driver.POSTGRESQL.hikariProperties(tls, "tls", POOL_SIZE, LIFELINE_KEYS);
      p.setProperty("dataSource.sslmode", "require");
      try (HikariDataSource ds = new HikariDataSource(new HikariConfig(p))) {
        List<Connection> held = borrowAll(ds);
        try {
          for (Connection c : held) {
            assertThat(Driver.POSTGRESQL.socketOf(c)).isInstanceOf(javax.net.ssl.SSLSocket.class);
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("select ssl from pg_stat_ssl where pid = pg_backend_pid()")) {
              assertThat(rs.next()).isTrue();
              assertThat(rs.getBoolean(1)).as("connection is encrypted").isTrue();
            }
          }
        } finally {
          closeAll(held);
        }
        assertTuned(Driver.POSTGRESQL, tls, ds);
      }
      assertNoRecordsFor(tls);
    }
  }

  private static void assertTuned(Driver driver, DatabaseServer server, HikariDataSource ds) throws Exception {
    List<Connection> held = borrowAll(ds);
    try {
      Thread.sleep(200); // let the last ACK arrive, so that ss shows the keepalive timer rather than a retransmit one
      List<SsSocket> kernel = KernelSockets.toPeerPort(server.port());
      for (Connection c : held) {
        Socket socket = driver.socketOf(c);
        SocketRecord record = Lifeline.lookup(c).orElseThrow(
            () -> new AssertionError("No Lifeline record for " + socket));
        assertThat(record.driver()).isEqualTo(driver == Driver.POSTGRESQL ? "postgresql" : "mysql");
        assertThat(record.cookie()).isNotZero();
        assertThat(record.tuning().allMatch()).as("read back at connect: %s", record.tuning()).isTrue();
        assertThat(record.readKernel().allMatch()).as("read back now: %s", record.readKernel()).isTrue();
        assertThat(record.readKernel().get(TcpOption.TCP_USER_TIMEOUT).actual()).isEqualTo(13_000);
        assertThat(KernelOptions.read(socket)).as("independent getsockopt").isEqualTo(EXPECTED);

        SsSocket ss = onLocalPort(kernel, socket.getLocalPort());
        assertThat(ss.state()).isEqualTo("ESTAB");
        assertThat(ss.timerName()).as(ss.raw()).contains("keepalive");
        assertThat(ss.timerRemaining().orElseThrow()).as(ss.raw()).isLessThanOrEqualTo(Duration.ofSeconds(7));
      }
    } finally {
      closeAll(held);
    }
  }

  private static void assertStock(Driver driver, DatabaseServer server, HikariDataSource ds) throws Exception {
    List<Connection> held = borrowAll(ds);
    try {
      Thread.sleep(200);
      List<SsSocket> kernel = KernelSockets.toPeerPort(server.port());
      int stockIdle = KernelOptions.stockKeepaliveIdleSeconds();
      for (Connection c : held) {
        Socket socket = driver.socketOf(c);
        assertThat(Lifeline.lookup(c)).isEmpty();
        KernelOptions o = KernelOptions.read(socket);
        assertThat(o.userTimeoutMs()).isZero();
        assertThat(o.idle()).as("stock TCP_KEEPIDLE of %s, options %s, sysctl %s", socket, o, stockIdle).isEqualTo(stockIdle);
        SsSocket ss = onLocalPort(kernel, socket.getLocalPort());
        if (driver == Driver.POSTGRESQL) {
          assertThat(o.keepalive()).as("pgjdbc leaves keepalive off").isZero();
          assertThat(ss.timerName()).as(ss.raw()).isEmpty();
        } else {
          assertThat(o.keepalive()).as("Connector/J turns keepalive on, with stock timing").isOne();
          assertThat(ss.timerName()).as(ss.raw()).contains("keepalive");
          assertThat(ss.timerRemaining().orElseThrow()).as(ss.raw()).isGreaterThan(Duration.ofSeconds(7));
        }
      }
    } finally {
      closeAll(held);
    }
  }

  private static SsSocket onLocalPort(List<SsSocket> kernel, int localPort) {
    Optional<SsSocket> s = kernel.stream().filter(k -> k.localPort() == localPort).findFirst();
    return s.orElseThrow(() -> new AssertionError("ss shows no socket on local port " + localPort + ": " + kernel));
  }

  static List<Connection> borrowAll(HikariDataSource ds) throws Exception {
    List<Connection> held = new ArrayList<>();
    try {
      for (int i = 0; i < ds.getMaximumPoolSize(); i++) {
        Connection c = ds.getConnection();
        held.add(c);
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select 1")) {
          assertThat(rs.next()).isTrue();
        }
      }
    } catch (Exception | AssertionError e) {
      closeAll(held);
      throw e;
    }
    assertThat(held).hasSize(POOL_SIZE);
    return held;
  }

  static void closeAll(List<Connection> held) throws Exception {
    for (Connection c : held) {
      c.close();
    }
  }

  static void assertNoRecordsFor(DatabaseServer server) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      List<? extends SocketRecord> left = SocketRegistry.global().records().stream()
          .filter(r -> r.remote().getPort() == server.port()).toList();
      if (left.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("Registry still holds sockets of a closed pool: " + left);
      }
      Thread.sleep(20);
    }
  }
}
