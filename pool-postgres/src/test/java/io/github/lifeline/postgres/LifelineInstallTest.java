package io.github.lifeline.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import io.github.lifeline.Lifeline;
import io.github.lifeline.LifelineConfigException;
import io.github.lifeline.LifelineSettings;
import io.github.lifeline.hikari.PhysicalDataSource;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What {@link Lifeline#install} writes into a HikariCP configuration, and what it refuses. Nothing connects. */
class LifelineInstallTest {

  @Test
  void jdbcUrlModeGetsSocketFactoryKeysAndKeepalive() {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl("jdbc:postgresql://127.0.0.1:5432/app");
    Lifeline.install(c, LifelineSettings.builder().keepaliveIdle(Duration.ofSeconds(9)).build());
    assertThat(c.getDataSourceProperties())
        .containsEntry("socketFactory", LifelineSocketFactory.class.getName())
        .containsEntry("tcpKeepAlive", "true")
        .containsEntry("lifeline.keepaliveIdle", "9s");
    assertThat(c.getDataSource()).isInstanceOf(PhysicalDataSource.class);
    assertThat(c.isRegisterMbeans()).as("a plain config reaches its pool through JMX").isTrue();
  }

  @Test
  void dataSourceModeCarriesTheSettingsInSocketFactoryArg() {
    HikariConfig c = new HikariConfig();
    c.setDataSourceClassName("org.postgresql.ds.PGSimpleDataSource");
    Lifeline.install(c, LifelineSettings.builder().keepaliveCount(4).build());
    assertThat(c.getDataSourceProperties().getProperty("socketFactoryArg"))
        .isEqualTo("enabled=true,keepaliveCount=4,keepaliveIdle=30s,keepaliveInterval=5s");
    assertThat(c.getDataSourceClassName()).as("taken over by Lifeline's data source").isNull();
  }

  @Test
  void settingsAreReadFromTheConfigWhenNotGiven() {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl("jdbc:postgresql://127.0.0.1/app");
    c.addDataSourceProperty("lifeline.keepaliveIdle", "11s");
    Lifeline.install(c);
    assertThat(c.getDataSourceProperties()).containsEntry("lifeline.keepaliveIdle", "11s");
  }

  @Test
  void conflictingPropertyIsRefusedNamingIt() {
    HikariConfig c = new HikariConfig();
    c.setPoolName("orders");
    c.setJdbcUrl("jdbc:postgresql://127.0.0.1/app");
    c.addDataSourceProperty("tcpKeepAlive", "false");
    assertThatThrownBy(() -> Lifeline.install(c)).isInstanceOf(LifelineConfigException.class)
        .hasMessage("Lifeline cannot install on pool orders: data source property tcpKeepAlive is 'false' but "
            + "Lifeline needs 'true'");
  }

  @Test
  void installingTwiceIsRefused() {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl("jdbc:postgresql://127.0.0.1/app");
    Lifeline.install(c);
    assertThatThrownBy(() -> Lifeline.install(c)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already installed");
  }

  @Test
  void unknownDriverIsRefusedListingTheInstalledModules() {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl("jdbc:h2:mem:x");
    assertThatThrownBy(() -> Lifeline.install(c)).isInstanceOf(LifelineConfigException.class)
        .hasMessageContaining("jdbcUrl=jdbc:h2:mem:x").hasMessageContaining("installed: postgresql");
  }
}
