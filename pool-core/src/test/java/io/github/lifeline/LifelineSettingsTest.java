package io.github.lifeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class LifelineSettingsTest {

  @Test
  void defaultsMatchTheDocumentedValues() {
    LifelineSettings s = LifelineSettings.defaults();
    assertThat(s.enabled()).isTrue();
    assertThat(s.keepaliveIdle()).isEqualTo(Duration.ofSeconds(30));
    assertThat(s.keepaliveInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.keepaliveCount()).isEqualTo(3);
    assertThat(s.userTimeout()).isEqualTo(Duration.ofSeconds(45));
    assertThat(s.userTimeoutDerived()).isTrue();
  }

  @Test
  void userTimeoutIsDerivedFromKeepaliveUnlessSet() {
    LifelineSettings derived = LifelineSettings.from(props("lifeline.keepaliveIdle", "2s",
        "lifeline.keepaliveInterval", "1s", "lifeline.keepaliveCount", "4"));
    assertThat(derived.userTimeout()).isEqualTo(Duration.ofSeconds(6));

    LifelineSettings explicit = LifelineSettings.from(props("lifeline.keepaliveIdle", "2s",
        "lifeline.userTimeout", "3500ms"));
    assertThat(explicit.userTimeout()).isEqualTo(Duration.ofMillis(3500));
    assertThat(explicit.userTimeoutDerived()).isFalse();

    assertThat(LifelineSettings.from(props("lifeline.userTimeout", "0")).userTimeout()).isZero();
  }

  @Test
  void durationsAcceptMillisecondsSecondsMinutesAndBareMilliseconds() {
    assertThat(LifelineSettings.parseDuration("k", "500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(LifelineSettings.parseDuration("k", "30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(LifelineSettings.parseDuration("k", "2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(LifelineSettings.parseDuration("k", " 1500 ")).isEqualTo(Duration.ofMillis(1500));
  }

  @Test
  void badValuesNameTheKeyAndTheValue() {
    assertThatThrownBy(() -> LifelineSettings.from(props("lifeline.keepaliveIdle", "soon")))
        .isInstanceOf(LifelineConfigException.class)
        .hasMessage("Invalid value for lifeline.keepaliveIdle: 'soon' is not a duration; write it like 500ms, 30s "
            + "or 2m (a bare number means milliseconds)");
    assertThatThrownBy(() -> LifelineSettings.from(props("lifeline.keepaliveIdle", "1500ms")))
        .isInstanceOf(LifelineConfigException.class)
        .hasMessage("Invalid value for lifeline.keepaliveIdle: '1500ms'; keepalive times are whole seconds from 1s "
            + "to 32767s");
    assertThatThrownBy(() -> LifelineSettings.from(props("lifeline.keepaliveInterval", "0s")))
        .hasMessageContaining("lifeline.keepaliveInterval").hasMessageContaining("'0s'");
    assertThatThrownBy(() -> LifelineSettings.from(props("lifeline.keepaliveCount", "200")))
        .hasMessage("Invalid value for lifeline.keepaliveCount: '200'; it must be from 1 to 127");
    assertThatThrownBy(() -> LifelineSettings.from(props("lifeline.keepaliveCount", "three")))
        .hasMessageContaining("lifeline.keepaliveCount").hasMessageContaining("'three'");
    assertThatThrownBy(() -> LifelineSettings.from(props("lifeline.enabled", "yes")))
        .hasMessage("Invalid value for lifeline.enabled: 'yes'; it must be true or false");
    assertThatThrownBy(() -> LifelineSettings.from(props("lifeline.userTimeout", "-5s")))
        .hasMessageContaining("lifeline.userTimeout").hasMessageContaining("'-5s'");
    assertThat(catchKey(() -> LifelineSettings.from(props("lifeline.userTimeout", "x"))))
        .isEqualTo("lifeline.userTimeout");
  }

  /** Issue 7 point 7: in-range extremes whose derived user timeout overflows are a settings error, not an overflow. */
  @Test
  void extremeSettingsAreAConfigErrorNamingTheDerivedKey() {
    Properties p = props("lifeline.keepaliveIdle", "32767s");
    p.setProperty("lifeline.keepaliveInterval", "32767s");
    p.setProperty("lifeline.keepaliveCount", "127");
    assertThatThrownBy(() -> LifelineSettings.from(p)).isInstanceOf(LifelineConfigException.class)
        .hasMessage("Invalid value for lifeline.userTimeout: derived from keepaliveIdle + keepaliveInterval x "
            + "keepaliveCount it would be 4194176s (32767s + 32767s x 127), more than the kernel's limit of "
            + "2147483647ms; set lifeline.userTimeout explicitly, or lower the keepalive settings");
    assertThat(catchKey(() -> LifelineSettings.from(p))).isEqualTo("lifeline.userTimeout");
    p.setProperty("lifeline.userTimeout", "1h"); // explicit: fine
    assertThat(LifelineSettings.from(p).userTimeout()).isEqualTo(Duration.ofHours(1));
    // The largest derivable one still fits.
    assertThat(LifelineSettings.builder().keepaliveIdle(Duration.ofSeconds(32767))
        .keepaliveInterval(Duration.ofSeconds(16651)).keepaliveCount(127).build().userTimeout().toMillis())
        .isLessThanOrEqualTo(Integer.MAX_VALUE);
    // Durations far beyond any limit are a settings error too, never an ArithmeticException.
    assertThat(catchKey(() -> LifelineSettings.from(props("lifeline.keepaliveIdle", "999999999999h"))))
        .isEqualTo("lifeline.keepaliveIdle");
    assertThat(catchKey(() -> LifelineSettings.from(props("lifeline.userTimeout", "999999999999h"))))
        .isEqualTo("lifeline.userTimeout");
  }

  @Test
  void unknownLifelineKeyIsRejectedListingTheValidKeys() {
    assertThatThrownBy(() -> LifelineSettings.from(props("lifeline.keepAliveIdle", "30s")))
        .isInstanceOf(LifelineConfigException.class)
        .hasMessage("Unknown Lifeline property 'lifeline.keepAliveIdle'. Valid keys: lifeline.enabled, "
            + "lifeline.keepaliveCount, lifeline.keepaliveIdle, lifeline.keepaliveInterval, lifeline.userTimeout");
  }

  @Test
  void otherKeysAreIgnoredAndNonStringValuesAccepted() {
    Properties p = props("user", "app", "tcpKeepAlive", "false");
    p.put("lifeline.keepaliveCount", 5);
    assertThat(LifelineSettings.from(p).keepaliveCount()).isEqualTo(5);
  }

  @Test
  void specFormWorksWithAndWithoutPrefix() {
    LifelineSettings s = LifelineSettings.fromSpec(
        "keepaliveIdle=10s, keepaliveInterval=2s,lifeline.keepaliveCount=4,userTimeout=9000ms");
    assertThat(s.keepaliveIdle()).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.keepaliveInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(s.keepaliveCount()).isEqualTo(4);
    assertThat(s.userTimeout()).isEqualTo(Duration.ofSeconds(9));
    assertThat(LifelineSettings.fromSpec("")).isEqualTo(LifelineSettings.defaults());
    assertThatThrownBy(() -> LifelineSettings.fromSpec("keepaliveIdle")).hasMessageContaining("expected name=value");
    assertThatThrownBy(() -> LifelineSettings.fromSpec("idle=3s")).hasMessageContaining("'lifeline.idle'");
  }

  @Test
  void toPropertiesRoundTrips() {
    LifelineSettings s = LifelineSettings.builder().keepaliveIdle(Duration.ofSeconds(7))
        .keepaliveInterval(Duration.ofSeconds(2)).keepaliveCount(2).userTimeout(Duration.ofMillis(2500)).build();
    assertThat(LifelineSettings.from(s.toProperties())).isEqualTo(s);
    assertThat(LifelineSettings.from(LifelineSettings.defaults().toProperties()))
        .isEqualTo(LifelineSettings.defaults());
  }

  private static String catchKey(Runnable r) {
    try {
      r.run();
      return null;
    } catch (LifelineConfigException e) {
      return e.key();
    }
  }

  private static Properties props(String... kv) {
    Properties p = new Properties();
    for (int i = 0; i < kv.length; i += 2) {
      p.setProperty(kv[i], kv[i + 1]);
    }
    return p;
  }
}
