package io.github.lifeline.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.Lifeline;
import io.github.lifeline.LifelineConfigException;
import io.github.lifeline.LifelineSettings;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** What {@link Lifeline#install} does to a HikariCP configuration, and what it refuses. Nothing connects. */
class LifelineInstallTest {

  private static HikariConfig config(String url) {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(url);
    return c;
  }

  /** Issue 7 point 6: the user's configuration is never changed; the copy carries Lifeline. */
  @Test
  void installReturnsACopyAndLeavesTheConfigurationAsItWas() {
    HikariConfig c = config("jdbc:postgresql://127.0.0.1:5432/app");
    c.setPoolName("orders");
    c.addDataSourceProperty("ApplicationName", "shop");
    Properties before = (Properties) c.getDataSourceProperties().clone();
    HikariConfig installed = Lifeline.install(c, LifelineSettings.builder().keepaliveIdle(Duration.ofSeconds(9))
        .build());
    assertThat(installed).isNotSameAs(c);
    assertThat(c.getDataSource()).isNull();
    assertThat(c.getDataSourceProperties()).isEqualTo(before);
    assertThat(c.isRegisterMbeans()).as("no JMX needed").isFalse();
    assertThat(installed.isRegisterMbeans()).isFalse();
    assertThat(installed.getDataSource()).isNotNull();
    assertThat(installed.getDataSource().getClass().getName())
        .isEqualTo("io.github.lifeline.internal.pool.PhysicalDataSource");
    assertThat(installed.getPoolName()).isEqualTo("orders");
    assertThat(installed.getJdbcUrl()).isEqualTo(c.getJdbcUrl());
    // The config can be installed again, e.g. after a pool built from the first copy failed to start.
    assertThat(Lifeline.install(c)).isNotSameAs(installed);
  }

  @Test
  void installingOnTheCopyAgainIsRefused() {
    HikariConfig installed = Lifeline.install(config("jdbc:postgresql://127.0.0.1/app"));
    assertThatThrownBy(() -> Lifeline.install(installed)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already installed");
  }

  @Test
  void settingsAreReadFromTheConfigWhenNotGiven() {
    HikariConfig c = config("jdbc:postgresql://127.0.0.1/app");
    c.addDataSourceProperty("lifeline.keepaliveIdle", "11s");
    HikariConfig installed = Lifeline.install(c);
    assertThat(Lifeline.pools()).anySatisfy(p -> assertThat(p.settings().keepaliveIdle())
        .isEqualTo(Duration.ofSeconds(11)));
    assertThat(installed).isNotNull();
  }

  @Test
  void aConflictingPropertyIsRefusedNamingIt() {
    HikariConfig c = config("jdbc:postgresql://127.0.0.1/app");
    c.setPoolName("orders");
    c.addDataSourceProperty("socketFactory", "com.example.MyFactory");
    assertThatThrownBy(() -> Lifeline.install(c)).isInstanceOf(LifelineConfigException.class)
        .hasMessage("Lifeline cannot install on pool orders: data source property socketFactory is "
            + "'com.example.MyFactory' but Lifeline needs 'io.github.lifeline.postgres.LifelineSocketFactory'");
    HikariConfig off = config("jdbc:postgresql://127.0.0.1/app");
    off.setPoolName("orders");
    off.addDataSourceProperty("tcpKeepAlive", "false");
    assertThatThrownBy(() -> Lifeline.install(off)).isInstanceOf(LifelineConfigException.class)
        .hasMessage("Lifeline cannot install on pool orders: data source property tcpKeepAlive is 'false' but it "
            + "turns off what Lifeline is for")
        .extracting(e -> ((LifelineConfigException) e).key()).isEqualTo("tcpKeepAlive");
    HikariConfig differentKey = config("jdbc:postgresql://127.0.0.1/app");
    differentKey.addDataSourceProperty("lifeline.keepaliveIdle", "11s");
    assertThatThrownBy(() -> Lifeline.install(differentKey, LifelineSettings.builder()
        .keepaliveIdle(Duration.ofSeconds(12)).build())).isInstanceOf(LifelineConfigException.class)
        .hasMessageContaining("lifeline.keepaliveIdle is '11s' but Lifeline needs '12s'");
  }

  @Test
  void unknownDriverIsRefusedListingTheInstalledModules() {
    assertThatThrownBy(() -> Lifeline.install(config("jdbc:h2:mem:x"))).isInstanceOf(LifelineConfigException.class)
        .hasMessageContaining("jdbcUrl=jdbc:h2:mem:x").hasMessageContaining("installed: postgresql");
  }

  @Test
  void disabledReturnsTheConfigurationUnchanged() {
    HikariConfig c = config("jdbc:postgresql://127.0.0.1/app");
    assertThat(Lifeline.install(c, LifelineSettings.builder().enabled(false).build())).isSameAs(c);
    assertThat(c.getDataSource()).isNull();
  }

  @Test
  void aPoolThatHasNotStartedIsInstalledInPlaceAndLogsIt() {
    try (HikariDataSource ds = new HikariDataSource()) {
      ds.setJdbcUrl("jdbc:postgresql://127.0.0.1/app");
      ds.setPoolName("lazy");
      assertThat(Lifeline.install(ds)).isSameAs(ds);
      assertThat(ds.getDataSource().getClass().getSimpleName()).isEqualTo("PhysicalDataSource");
      assertThat(Lifeline.pool(ds)).isPresent().get().extracting(p -> p.name()).isEqualTo("lazy");
      assertThatThrownBy(() -> Lifeline.install(ds)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("already installed");
    }
  }
}
