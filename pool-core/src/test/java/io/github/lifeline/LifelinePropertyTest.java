package io.github.lifeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class LifelinePropertyTest {

  static final String BEGIN = "<!-- lifeline-properties:begin (generated from LifelineProperty; LifelinePropertyTest checks it) -->";
  static final String END = "<!-- lifeline-properties:end -->";

  @Test
  void constantsAreAlphabeticalByKey() {
    List<String> keys = LifelineProperty.keys();
    assertThat(keys).isSorted();
  }

  @Test
  void constantNameIsTheKeyInUpperSnakeCase() {
    for (LifelineProperty p : LifelineProperty.values()) {
      String expected = p.shortName().replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(java.util.Locale.ROOT);
      assertThat(p.name()).as(p.key()).isEqualTo(expected);
      assertThat(p.key()).startsWith(LifelineProperty.PREFIX);
    }
  }

  @Test
  void everyNumericDefaultParses() {
    // The documented defaults are what the builder uses.
    LifelineSettings d = LifelineSettings.defaults();
    assertThat(LifelineSettings.parseDuration("", LifelineProperty.KEEPALIVE_IDLE.defaultValue()))
        .isEqualTo(d.keepaliveIdle());
    assertThat(LifelineSettings.parseDuration("", LifelineProperty.KEEPALIVE_INTERVAL.defaultValue()))
        .isEqualTo(d.keepaliveInterval());
    assertThat(Integer.parseInt(LifelineProperty.KEEPALIVE_COUNT.defaultValue())).isEqualTo(d.keepaliveCount());
    assertThat(Boolean.parseBoolean(LifelineProperty.ENABLED.defaultValue())).isEqualTo(d.enabled());
    assertThat(LifelineProperty.USER_TIMEOUT.defaultValue()).contains(LifelineSettings.format(d.userTimeout()));
  }

  @Test
  void readmeTableIsGeneratedFromTheEnum() throws IOException {
    Path readme = Path.of(System.getProperty("user.dir")).getParent().resolve("README.md");
    String text = Files.readString(readme, StandardCharsets.UTF_8);
    int b = text.indexOf(BEGIN);
    int e = text.indexOf(END);
    assertThat(b).as("README.md has the begin marker").isNotNegative();
    assertThat(e).as("README.md has the end marker").isGreaterThan(b);
    String table = text.substring(b + BEGIN.length(), e).strip() + "\n";
    assertThat(table)
        .as("README.md property table; regenerate it from LifelineProperty.markdownTable():\n"
            + LifelineProperty.markdownTable())
        .isEqualTo(LifelineProperty.markdownTable());
    List<String> documented = Arrays.stream(LifelineProperty.values()).map(LifelineProperty::key)
        .filter(text::contains).collect(Collectors.toList());
    assertThat(documented).containsExactlyElementsOf(LifelineProperty.keys());
  }
}
