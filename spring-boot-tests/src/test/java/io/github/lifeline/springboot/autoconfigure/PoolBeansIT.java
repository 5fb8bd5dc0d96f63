package io.github.lifeline.springboot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.Lifeline;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.socket.TcpOption;
import io.github.lifeline.socket.TuningReport;
import io.github.lifeline.testkit.KernelSockets;
import io.github.lifeline.testkit.server.DatabaseServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.SocketFactory;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.jdbc.DataSourceBuilder;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;

/**
 * Every {@code HikariDataSource} bean of a real application gets Lifeline, however it was made, and every pooled
 * connection's socket carries the settings, read back from the kernel: Boot's own {@code dataSource}, a
 * {@code DataSourceBuilder} bean, {@code new HikariDataSource()} with setters, two pools (PostgreSQL and MariaDB) with
 * a per-pool override, a service connection (Boot's {@code JdbcConnectionDetails} replacing the URL), and Boot 4.1's
 * lazy connection fetching. A pool Lifeline cannot protect (a conflicting data source property, a pool started in its
 * {@code @Bean} method) is left working, with one WARN that names the bean and the fix.
 */
@ExtendWith(OutputCaptureExtension.class)
class PoolBeansIT {

  private static final int SIZE = 3;

  private final ApplicationContextRunner boot = new ApplicationContextRunner()
      .withConfiguration(BootLine.jdbcWithLifeline())
      .withPropertyValues("spring.jmx.enabled=false");

  private static String[] bootDataSource(DatabaseServer server) {
    return new String[] {"spring.datasource.url=" + server.jdbcUrl(),
        "spring.datasource.username=" + server.user(), "spring.datasource.password=" + server.password(),
        "spring.datasource.hikari.maximum-pool-size=" + SIZE, "spring.datasource.hikari.minimum-idle=" + SIZE};
  }

  /** Borrows every connection of the pool at once and returns what the kernel holds for each socket. */
  static List<TuningReport> readBackEveryConnection(DataSource ds, int size) throws Exception {
    List<Connection> held = new ArrayList<>();
    List<TuningReport> out = new ArrayList<>();
    try {
      for (int i = 0; i < size; i++) {
        Connection c = ds.getConnection();
        held.add(c);
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select 1")) {
          assertThat(rs.next()).isTrue();
        }
        Optional<SocketRecord> record = Lifeline.lookup(c);
        assertThat(record).as("connection %d has a Lifeline socket", i).isPresent();
        out.add(record.get().readKernel());
      }
    } finally {
      for (Connection c : held) {
        c.close();
      }
    }
    return out;
  }

  static void assertCarries(List<TuningReport> reports, int idle, int interval, int count, int userTimeoutMs) {
    assertThat(reports).isNotEmpty().allSatisfy(r -> {
      assertThat(r.allMatch()).as("%s", r).isTrue();
      assertThat(r.get(TcpOption.SO_KEEPALIVE).actual()).isEqualTo(1);
      assertThat(r.get(TcpOption.TCP_KEEPIDLE).actual()).isEqualTo(idle);
      assertThat(r.get(TcpOption.TCP_KEEPINTVL).actual()).isEqualTo(interval);
      assertThat(r.get(TcpOption.TCP_KEEPCNT).actual()).isEqualTo(count);
      assertThat(r.get(TcpOption.TCP_USER_TIMEOUT).actual()).isEqualTo(userTimeoutMs);
    });
  }

  @Test
  void bootsOwnDataSourceCarriesTheSettingsOnEveryPooledConnection() {
    DatabaseServer pg = SharedServers.postgres();
    boot.withPropertyValues(bootDataSource(pg)).withPropertyValues("lifeline.keepalive-idle=7s",
        "lifeline.keepalive-interval=2s", "lifeline.keepalive-count=4", "lifeline.user-timeout=9s").run(context -> {
          assertThat(context).hasNotFailed();
          HikariDataSource ds = context.getBean(HikariDataSource.class);
          assertCarries(readBackEveryConnection(ds, SIZE), 7, 2, 4, 9000);
          assertThat(ds.getJdbcUrl()).as("the URL is never rewritten").isEqualTo(pg.jdbcUrl());
          assertThat(ds.getPoolName()).isEqualTo("dataSource");
          assertThat(context.getBean(LifelinePools.class).find("dataSource").get().view().get().watched())
              .isEqualTo(SIZE);
        });
  }

  @Test
  void theSameAppWithoutLifelineHasStockSockets() {
    DatabaseServer pg = SharedServers.postgres();
    boot.withPropertyValues(bootDataSource(pg)).withPropertyValues("lifeline.enabled=false").run(context -> {
      HikariDataSource ds = context.getBean(HikariDataSource.class);
      List<Connection> held = new ArrayList<>();
      java.util.Set<Integer> ports = new java.util.HashSet<>();
      try {
        for (int i = 0; i < SIZE; i++) {
          Connection c = ds.getConnection();
          held.add(c);
          assertThat(Lifeline.lookup(c)).isEmpty();
          try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select inet_client_port()")) {
            rs.next();
            ports.add(rs.getInt(1));
          }
        }
      } finally {
        for (Connection c : held) {
          c.close();
        }
      }
      List<KernelSockets.SsSocket> own = new ArrayList<>();
      for (KernelSockets.SsSocket s : KernelSockets.toPeerPort(pg.port())) {
        if (ports.contains(s.localPort())) {
          own.add(s);
        }
      }
      assertThat(own).as("the pool's sockets, seen by ss").hasSize(SIZE)
          .allSatisfy(s -> assertThat(s.timerName()).as("stock pgjdbc: no keepalive timer").isEmpty());
    });
  }

  /** Two pools, made two other ways than Boot's: a DataSourceBuilder bean and new HikariDataSource() with setters. */
  @Configuration(proxyBeanMethods = false)
  static class TwoPools {
    @Bean
    @Primary
    @ConfigurationProperties("app.orders")
    HikariDataSource orders() {
      return DataSourceBuilder.create().type(HikariDataSource.class).build();
    }

    @Bean
    HikariDataSource inventory() {
      DatabaseServer maria = SharedServers.mariadb();
      HikariDataSource ds = new HikariDataSource();
      ds.setJdbcUrl(maria.jdbcUrl());
      ds.setUsername(maria.user());
      ds.setPassword(maria.password());
      ds.addDataSourceProperty("sslMode", "DISABLED");
      ds.setMaximumPoolSize(SIZE);
      ds.setMinimumIdle(SIZE);
      return ds;
    }
  }

  @Test
  void twoPoolsOnePostgresOneMariaDbEachWithItsOwnSettings() {
    DatabaseServer pg = SharedServers.postgres();
    boot.withUserConfiguration(TwoPools.class).withPropertyValues("app.orders.jdbc-url=" + pg.jdbcUrl(),
        "app.orders.username=" + pg.user(), "app.orders.password=" + pg.password(),
        "app.orders.maximum-pool-size=" + SIZE, "app.orders.minimum-idle=" + SIZE, "app.orders.pool-name=orders-pool",
        "lifeline.keepalive-idle=12s", "lifeline.pools.inventory.keepalive-idle=21s",
        "lifeline.pools.inventory.keepalive-count=2").run(context -> {
          assertThat(context).hasNotFailed();
          HikariDataSource orders = context.getBean("orders", HikariDataSource.class);
          HikariDataSource inventory = context.getBean("inventory", HikariDataSource.class);
          assertCarries(readBackEveryConnection(orders, SIZE), 12, 5, 3, 27000);
          assertCarries(readBackEveryConnection(inventory, SIZE), 21, 5, 2, 31000);
          assertThat(context.getBean(LifelinePools.class).all()).extracting(GuardedPool::name)
              .containsExactlyInAnyOrder("orders-pool", "inventory");
        });
  }

  @Test
  void aServiceConnectionsUrlIsTheOneProtected() {
    DatabaseServer pg = SharedServers.postgres();
    Class<?> type = BootLine.jdbcConnectionDetails();
    boot.withPropertyValues(bootDataSource(pg))
        .withPropertyValues("spring.datasource.url=jdbc:postgresql://127.0.0.1:1/not-this-one",
            "lifeline.keepalive-idle=8s")
        .withBean("serviceConnection", castClass(type),
            () -> BootLine.connectionDetails(type, pg.jdbcUrl(), pg.user(), pg.password()))
        .run(context -> {
          assertThat(context).hasNotFailed();
          HikariDataSource ds = context.getBean(HikariDataSource.class);
          assertThat(ds.getJdbcUrl()).isEqualTo(pg.jdbcUrl());
          assertCarries(readBackEveryConnection(ds, SIZE), 8, 5, 3, 23000);
        });
  }

  @SuppressWarnings("unchecked")
  private static <T> Class<T> castClass(Class<?> c) {
    return (Class<T>) c;
  }

  @Test
  void lazyConnectionFetchingStillProtectsThePool() {
    DatabaseServer pg = SharedServers.postgres();
    boot.withPropertyValues(bootDataSource(pg)).withPropertyValues("spring.datasource.connection-fetch=lazy",
        "lifeline.keepalive-idle=9s").run(context -> {
          assertThat(context).hasNotFailed();
          DataSource bean = context.getBean(DataSource.class);
          boolean lazyLine = BootLine.version().compareTo("4.1") >= 0;
          if (lazyLine) {
            assertThat(bean.getClass().getSimpleName()).isEqualTo("LazyConnectionDataSourceProxy");
          } else { // Lifeline's borrow-checking proxy of the pool, still a HikariDataSource
            assertThat(bean).isInstanceOf(HikariDataSource.class);
            assertThat(org.springframework.aop.support.AopUtils.isCglibProxy(bean)).isTrue();
          }
          HikariDataSource pool = HikariLifelineBeanPostProcessor.unwrap(bean);
          assertThat(pool).isNotNull();
          assertThat(CoreAccess.installed(pool)).isTrue();
          assertCarries(readBackEveryConnection(pool, SIZE), 9, 5, 3, 24000);
          try (Connection c = bean.getConnection(); Statement st = c.createStatement();
               ResultSet rs = st.executeQuery("select 1")) {
            assertThat(rs.next()).isTrue();
          }
        });
  }

  /** A socket factory of the application's own, as a user might have set one. */
  public static class PlainSocketFactory extends SocketFactory {
    private final SocketFactory delegate = SocketFactory.getDefault();

    @Override
    public Socket createSocket() throws IOException {
      return delegate.createSocket();
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return delegate.createSocket(host, port);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
      return delegate.createSocket(host, port, localHost, localPort);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return delegate.createSocket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
        throws IOException {
      return delegate.createSocket(address, port, localAddress, localPort);
    }
  }

  @Test
  void aConflictingDataSourcePropertyIsNeverOverriddenAndTheAppStarts(CapturedOutput output) {
    DatabaseServer pg = SharedServers.postgres();
    boot.withPropertyValues(bootDataSource(pg)).withPropertyValues(
        "spring.datasource.hikari.data-source-properties.socketFactory=" + PlainSocketFactory.class.getName())
        .run(context -> {
          assertThat(context).hasNotFailed();
          HikariDataSource ds = context.getBean(HikariDataSource.class);
          assertThat(ds.getDataSourceProperties().getProperty("socketFactory"))
              .isEqualTo(PlainSocketFactory.class.getName());
          assertThat(CoreAccess.installed(ds)).isFalse();
          query(ds);
          GuardedPool pool = context.getBean(LifelinePools.class).find("dataSource").get();
          assertThat(pool.protection()).isEqualTo(GuardedPool.Protection.CONFLICT);
        });
    assertThat(warnLines(output)).hasSize(1).first().asString().contains("bean 'dataSource'")
        .contains("socketFactory").contains(PlainSocketFactory.class.getName())
        .contains("spring.datasource.hikari.data-source-properties.socketFactory")
        .contains("lifeline.pools.dataSource.enabled=false");
  }

  @Configuration(proxyBeanMethods = false)
  static class StartedInItsBeanMethod {
    @Bean
    HikariDataSource reports() {
      DatabaseServer pg = SharedServers.postgres();
      HikariConfig config = new HikariConfig();
      config.setJdbcUrl(pg.jdbcUrl());
      config.setUsername(pg.user());
      config.setPassword(pg.password());
      config.setMaximumPoolSize(1);
      return new HikariDataSource(config); // starts the pool at once
    }
  }

  @Test
  void aPoolStartedInItsBeanMethodKeepsWorkingWithOneWarningNamingTheFix(CapturedOutput output) {
    boot.withUserConfiguration(StartedInItsBeanMethod.class).run(context -> {
      assertThat(context).hasNotFailed();
      HikariDataSource ds = context.getBean(HikariDataSource.class);
      query(ds);
      GuardedPool pool = context.getBean(LifelinePools.class).find("reports").get();
      assertThat(pool.protection()).isEqualTo(GuardedPool.Protection.STARTED_BEFORE_LIFELINE);
    });
    assertThat(warnLines(output)).hasSize(1).first().asString().contains("bean 'reports'")
        .contains("Lifeline.install(").contains("DataSourceBuilder");
  }

  @Configuration(proxyBeanMethods = false)
  static class InstalledByTheApplication {
    @Bean
    HikariDataSource own() {
      DatabaseServer pg = SharedServers.postgres();
      HikariConfig config = new HikariConfig();
      config.setJdbcUrl(pg.jdbcUrl());
      config.setUsername(pg.user());
      config.setPassword(pg.password());
      config.setMaximumPoolSize(2);
      config.setMinimumIdle(2);
      config.setPoolName("own");
      return new HikariDataSource(Lifeline.install(config));
    }
  }

  @Test
  void aPoolTheApplicationInstalledItselfIsLeftAsItIs(CapturedOutput output) {
    boot.withUserConfiguration(InstalledByTheApplication.class).run(context -> {
      assertThat(context).hasNotFailed();
      HikariDataSource ds = context.getBean(HikariDataSource.class);
      assertCarries(readBackEveryConnection(ds, 2), 30, 5, 3, 45000);
      assertThat(context.getBean(LifelinePools.class).find("own").get().protection())
          .isEqualTo(GuardedPool.Protection.INSTALLED_BY_APPLICATION);
    });
    assertThat(warnLines(output)).isEmpty();
  }

  static void query(DataSource ds) throws SQLException {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("select 1")) {
      assertThat(rs.next()).isTrue();
    }
  }

  static List<String> warnLines(CapturedOutput output) {
    List<String> out = new ArrayList<>();
    for (String line : output.getAll().split("\n")) {
      if (line.contains(" WARN ") && line.contains("Lifeline")) {
        out.add(line);
      }
    }
    return out;
  }
}
