package io.github.lifeline.springboot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.LifelineProperty;
import io.github.lifeline.LifelineSettings;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The Spring keys and the core's {@link LifelineProperty} cover the same settings, with the same defaults, in the
 * metadata the configuration processor generated; per-pool overrides resolve by pool name, then bean name; an invalid
 * value fails the start, and the failure analysis names the Spring key and the value.
 */
@ExtendWith(OutputCaptureExtension.class)
class LifelinePropertiesTest {

  private static final Pattern ENTRY = Pattern.compile(
      "\\{[^{}]*\"name\"\\s*:\\s*\"(lifeline\\.[^\"]+)\"[^{}]*\\}");
  private static final Pattern DEFAULT = Pattern.compile("\"defaultValue\"\\s*:\\s*\"?([^\",}]+)\"?");

  /** Every lifeline.* property of the generated metadata, with its default (or null). */
  static Map<String, String> metadata() throws Exception {
    for (URL url : Collections.list(LifelinePropertiesTest.class.getClassLoader()
        .getResources("META-INF/spring-configuration-metadata.json"))) {
      String json;
      try (InputStream in = url.openStream()) {
        json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      if (!json.contains("\"lifeline.keepalive-idle\"")) {
        continue;
      }
      Map<String, String> out = new LinkedHashMap<>();
      Matcher m = ENTRY.matcher(json);
      while (m.find()) {
        Matcher d = DEFAULT.matcher(m.group());
        out.put(m.group(1), d.find() ? d.group(1).trim() : null);
      }
      return out;
    }
    throw new AssertionError("lifeline-spring-boot's spring-configuration-metadata.json is not on the class path");
  }

  @Test
  void springKeysAndCoreKeysCoverTheSameSettings() throws Exception {
    Set<String> spring = new TreeSet<>(metadata().keySet());
    spring.remove("lifeline.pools");
    Set<String> core = Arrays.stream(LifelineProperty.values()).map(SpringKeys::springKey)
        .collect(Collectors.toCollection(TreeSet::new));
    assertThat(spring).isEqualTo(core);
    assertThat(SpringKeys.springKey(LifelineProperty.KEEPALIVE_IDLE)).isEqualTo("lifeline.keepalive-idle");
  }

  @Test
  void perPoolOverridesCoverEveryCoreSetting() {
    Set<String> pool = Arrays.stream(LifelineProperties.Pool.class.getDeclaredFields())
        .filter(f -> !Modifier.isStatic(f.getModifiers())).map(Field::getName)
        .collect(Collectors.toCollection(TreeSet::new));
    Set<String> core = Arrays.stream(LifelineProperty.values()).map(LifelineProperty::shortName)
        .collect(Collectors.toCollection(TreeSet::new));
    assertThat(pool).isEqualTo(core);
  }

  @Test
  void documentedDefaultsAreTheCoresDefaults() throws Exception {
    Map<String, String> md = metadata();
    LifelineSettings d = LifelineSettings.defaults();
    assertThat(md.get("lifeline.enabled")).isEqualToIgnoringCase(Boolean.toString(d.enabled()));
    assertThat(md.get("lifeline.keepalive-idle")).isEqualTo(LifelineSettings.format(d.keepaliveIdle()));
    assertThat(md.get("lifeline.keepalive-interval")).isEqualTo(LifelineSettings.format(d.keepaliveInterval()));
    assertThat(md.get("lifeline.keepalive-count")).isEqualTo(Integer.toString(d.keepaliveCount()));
    assertThat(md.get("lifeline.user-timeout")).as("derived, so no fixed default").isNull();
    assertThat(new LifelineProperties().settingsFor(null, "dataSource")).isEqualTo(d);
  }

  @Test
  void perPoolOverridesResolveByPoolNameThenBeanName() {
    LifelineProperties p = new LifelineProperties();
    p.setKeepaliveIdle(Duration.ofSeconds(20));
    LifelineProperties.Pool byName = new LifelineProperties.Pool();
    byName.setKeepaliveCount(7);
    p.getPools().put("orders-pool", byName);
    LifelineProperties.Pool byBean = new LifelineProperties.Pool();
    byBean.setUserTimeout(Duration.ofSeconds(9));
    p.getPools().put("ordersDataSource", byBean);

    LifelineSettings s = p.settingsFor("orders-pool", "ordersDataSource");
    assertThat(s.keepaliveCount()).isEqualTo(7);
    assertThat(s.keepaliveIdle()).as("global").isEqualTo(Duration.ofSeconds(20));
    assertThat(s.userTimeoutDerived()).as("the pool-name entry wins whole").isTrue();
    assertThat(p.settingsFor(null, "ordersDataSource").userTimeout()).isEqualTo(Duration.ofSeconds(9));
  }

  @Configuration(proxyBeanMethods = false)
  static class OnePool {
    @Bean
    HikariDataSource orders() {
      HikariDataSource ds = new HikariDataSource();
      ds.setJdbcUrl("jdbc:postgresql://127.0.0.1:1/orders");
      return ds;
    }
  }

  private FailureAnalysis failedStart(String... properties) {
    FailureAnalysis[] out = new FailureAnalysis[1];
    new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(LifelineAutoConfiguration.class))
        .withUserConfiguration(OnePool.class).withPropertyValues(properties).run(context -> {
          assertThat(context).hasFailed();
          out[0] = new LifelineFailureAnalyzer().analyze(context.getStartupFailure());
        });
    assertThat(out[0]).as("Lifeline's failure analyzer recognises the failure").isNotNull();
    return out[0];
  }

  @Test
  void aKeepaliveTimeThatIsNotWholeSecondsFailsTheStartNamingKeyAndValue() {
    FailureAnalysis a = failedStart("lifeline.keepalive-idle=1500ms");
    assertThat(a.getDescription()).contains("lifeline.keepalive-idle").contains("'1500ms'")
        .contains("whole seconds");
    assertThat(a.getAction()).contains("lifeline.keepalive-idle");
  }

  @Test
  void aCountOutOfRangeInAPoolOverrideNamesThePoolKey() {
    FailureAnalysis a = failedStart("lifeline.pools.orders.keepalive-count=200");
    assertThat(a.getDescription()).contains("lifeline.pools.orders.keepalive-count").contains("'200'")
        .contains("1 to 127");
  }

  @Test
  void aNegativeUserTimeoutFailsTheStart() {
    FailureAnalysis a = failedStart("lifeline.user-timeout=-5s");
    assertThat(a.getDescription()).contains("lifeline.user-timeout");
  }

  @Test
  void aBadOverrideForAPoolThatDoesNotExistStillFailsTheStart() {
    FailureAnalysis a = failedStart("lifeline.pools.nosuchpool.keepalive-interval=0s");
    assertThat(a.getDescription()).contains("lifeline.pools.nosuchpool.keepalive-interval").contains("'0s'");
  }

  @Configuration(proxyBeanMethods = false)
  @org.springframework.boot.autoconfigure.EnableAutoConfiguration
  static class App {
    @Bean
    HikariDataSource orders() {
      return new OnePool().orders();
    }
  }

  @Test
  void bootReportsTheFailureThroughLifelinesAnalyzer(CapturedOutput output) {
    SpringApplication app = new SpringApplication(App.class);
    app.setWebApplicationType(WebApplicationType.NONE);
    app.setDefaultProperties(Map.of("lifeline.keepalive-idle", "1500ms", "spring.jmx.enabled", "false",
        "management.endpoints.enabled-by-default", "false", "spring.main.banner-mode", "off"));
    try {
      app.run().close();
    } catch (RuntimeException expected) {
      // the start fails; what Boot reported is in the output
    }
    assertThat(output).contains("APPLICATION FAILED TO START").contains("lifeline.keepalive-idle")
        .contains("'1500ms'");
  }
}
