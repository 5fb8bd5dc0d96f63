package io.github.lifeline.springboot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The auto-configuration acts when it should and backs off cleanly when it should not: without HikariCP, without a
 * Lifeline driver module, with {@code lifeline.enabled=false}; and its optional parts back off without Actuator or
 * Micrometer while the pools stay protected. No server is needed: installing Lifeline opens no connection.
 */
class AutoConfigurationBackOffTest {

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(LifelineAutoConfiguration.class, LifelineMetricsAutoConfiguration.class,
          LifelineEndpointAutoConfiguration.class, Lifeline3HealthAutoConfiguration.class,
          Lifeline4HealthAutoConfiguration.class))
      .withPropertyValues("management.endpoints.web.exposure.include=lifeline,health")
      .withUserConfiguration(TwoPools.class);

  @Configuration(proxyBeanMethods = false)
  static class TwoPools {
    @Bean
    HikariDataSource orders() {
      HikariDataSource ds = new HikariDataSource();
      ds.setJdbcUrl("jdbc:postgresql://127.0.0.1:1/orders");
      return ds;
    }

    @Bean
    HikariDataSource stock() {
      HikariDataSource ds = new HikariDataSource();
      ds.setJdbcUrl("jdbc:mysql://127.0.0.1:1/stock");
      ds.setPoolName("stock-pool");
      return ds;
    }
  }

  @Test
  void protectsEveryPoolBeanUnderItsName() {
    runner.run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(LifelinePools.class);
      HikariDataSource orders = context.getBean("orders", HikariDataSource.class);
      HikariDataSource stock = context.getBean("stock", HikariDataSource.class);
      assertThat(CoreAccess.installed(orders)).isTrue();
      assertThat(CoreAccess.installed(stock)).isTrue();
      assertThat(orders.getPoolName()).as("no name set: the bean's").isEqualTo("orders");
      assertThat(stock.getPoolName()).as("the application's own name is kept").isEqualTo("stock-pool");
      LifelinePools pools = context.getBean(LifelinePools.class);
      assertThat(pools.all()).extracting(GuardedPool::name).containsExactly("orders", "stock-pool");
      assertThat(pools.all()).allMatch(p -> p.protection() == GuardedPool.Protection.PROTECTED);
      assertThat(orders.getHikariPoolMXBean()).as("installing never starts a pool").isNull();
    });
  }

  @Test
  void backsOffWhenDisabled() {
    runner.withPropertyValues("lifeline.enabled=false").run(context -> {
      assertThat(context).hasNotFailed().doesNotHaveBean(LifelinePools.class)
          .doesNotHaveBean(HikariLifelineBeanPostProcessor.class).doesNotHaveBean(LifelineMeterBinder.class)
          .doesNotHaveBean(LifelineEndpoint.class).doesNotHaveBean("lifelineHealthIndicator");
      assertThat(CoreAccess.installed(context.getBean("orders", HikariDataSource.class))).isFalse();
    });
  }

  @Test
  void onePoolDisabledLeavesTheOthersProtected() {
    runner.withPropertyValues("lifeline.pools.stock-pool.enabled=false").run(context -> {
      assertThat(CoreAccess.installed(context.getBean("orders", HikariDataSource.class))).isTrue();
      assertThat(CoreAccess.installed(context.getBean("stock", HikariDataSource.class))).isFalse();
      assertThat(context.getBean(LifelinePools.class).find("stock-pool")).get()
          .extracting(GuardedPool::protection).isEqualTo(GuardedPool.Protection.DISABLED);
    });
  }

  @Test
  void backsOffWithoutHikariCp() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(LifelineAutoConfiguration.class,
            LifelineMetricsAutoConfiguration.class, LifelineEndpointAutoConfiguration.class,
            Lifeline3HealthAutoConfiguration.class, Lifeline4HealthAutoConfiguration.class))
        .withClassLoader(new FilteredClassLoader(HikariDataSource.class))
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(LifelinePools.class)
            .doesNotHaveBean(LifelineMeterBinder.class).doesNotHaveBean(LifelineEndpoint.class)
            .doesNotHaveBean("lifelineHealthIndicator"));
  }

  @Test
  void backsOffWithoutADriverModule() {
    runner.withClassLoader(new FilteredClassLoader("io.github.lifeline.postgres", "io.github.lifeline.mysql"))
        .run(context -> {
          assertThat(context).hasNotFailed().doesNotHaveBean(LifelinePools.class);
          assertThat(CoreAccess.installed(context.getBean("orders", HikariDataSource.class))).isFalse();
        });
  }

  @Test
  void oneDriverModuleIsEnough() {
    runner.withClassLoader(new FilteredClassLoader("io.github.lifeline.mysql")).run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(LifelinePools.class);
      assertThat(CoreAccess.installed(context.getBean("orders", HikariDataSource.class))).isTrue();
    });
  }

  @Test
  void withoutActuatorThePoolsStayProtected() {
    runner.withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate",
        "org.springframework.boot.health")).run(context -> {
          assertThat(context).hasNotFailed().hasSingleBean(LifelinePools.class)
              .doesNotHaveBean(LifelineEndpoint.class).doesNotHaveBean("lifelineHealthIndicator");
          assertThat(CoreAccess.installed(context.getBean("orders", HikariDataSource.class))).isTrue();
        });
  }

  @Test
  void withActuatorTheEndpointAndTheHealthContributorExist() {
    runner.run(context -> {
      assertThat(context).hasSingleBean(LifelineEndpoint.class).hasBean("lifelineHealthIndicator");
      Class<?> expected = BootLine.firstPresent("org.springframework.boot.health.contributor.HealthIndicator",
          "org.springframework.boot.actuate.health.HealthIndicator");
      assertThat(context.getBean("lifelineHealthIndicator")).isInstanceOf(expected);
    });
  }

  @Test
  void withoutMicrometerThePoolsStayProtected() {
    runner.withClassLoader(new FilteredClassLoader("io.micrometer")).run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(LifelinePools.class)
          .doesNotHaveBean(LifelineMeterBinder.class);
      assertThat(CoreAccess.installed(context.getBean("orders", HikariDataSource.class))).isTrue();
    });
  }

  @Test
  void metersCarryHikariCpsPoolTag() {
    runner.run(context -> {
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      context.getBean(LifelineMeterBinder.class).bindTo(registry);
      assertThat(registry.find(LifelineMeterBinder.SOCKETS).tag("pool", "orders").gauge()).isNotNull();
      assertThat(registry.find(LifelineMeterBinder.SOCKETS).tag("pool", "stock-pool").gauge()).isNotNull();
      assertThat(registry.find(LifelineMeterBinder.MISMATCHED).tag("pool", "orders").gauge()).isNotNull();
      assertThat(registry.find(LifelineMeterBinder.VERDICT_LAG).tag("pool", "orders").timer()).isNotNull();
      assertThat(registry.find(LifelineMeterBinder.EVICTIONS).tag("pool", "orders").functionCounters())
          .isNotEmpty();
    });
  }
}
