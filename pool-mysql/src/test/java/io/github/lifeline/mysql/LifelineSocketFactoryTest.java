package io.github.lifeline.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mysql.cj.conf.DefaultPropertySet;
import io.github.lifeline.LifelineConfigException;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Connector/J's own property set, filled the way the driver fills it from a URL or Properties. */
class LifelineSocketFactoryTest {

  @Test
  void readsLifelineKeysFromThePropertySet() {
    DefaultPropertySet pset = new DefaultPropertySet();
    Properties p = new Properties();
    p.setProperty("tcpKeepAlive", "false");
    p.setProperty("lifeline.keepaliveIdle", "12s");
    p.setProperty("lifeline.userTimeout", "2500ms");
    pset.initializeProperties(p);
    assertThat(LifelineSocketFactory.settingsFrom(pset).keepaliveIdle()).isEqualTo(Duration.ofSeconds(12));
    assertThat(LifelineSocketFactory.settingsFrom(pset).userTimeout()).isEqualTo(Duration.ofMillis(2500));
  }

  @Test
  void unknownLifelineKeyFailsNamingIt() {
    DefaultPropertySet pset = new DefaultPropertySet();
    Properties p = new Properties();
    p.setProperty("lifeline.idle", "12s");
    pset.initializeProperties(p);
    assertThatThrownBy(() -> LifelineSocketFactory.settingsFrom(pset)).isInstanceOf(LifelineConfigException.class)
        .hasMessageStartingWith("Unknown Lifeline property 'lifeline.idle'. Valid keys: lifeline.enabled");
  }
}
