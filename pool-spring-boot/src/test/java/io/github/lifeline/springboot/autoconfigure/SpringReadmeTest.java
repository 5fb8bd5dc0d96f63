package io.github.lifeline.springboot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's Spring Boot property table is the one generated from the core's {@code LifelineProperty}. */
class SpringReadmeTest {

  private static final String BEGIN = "<!-- lifeline-spring-properties:begin";
  private static final String END = "<!-- lifeline-spring-properties:end -->";

  @Test
  void readmeTableIsGeneratedFromTheEnum() throws Exception {
    Path readme = Path.of(System.getProperty("user.dir")).getParent().resolve("README.md");
    String text = Files.readString(readme);
    int b = text.indexOf(BEGIN);
    int e = text.indexOf(END);
    assertThat(b).as("README.md has the begin marker").isNotNegative();
    assertThat(e).as("README.md has the end marker").isGreaterThan(b);
    String table = text.substring(text.indexOf('\n', b) + 1, e);
    assertThat(table).as("README.md Spring Boot property table; regenerate it from SpringKeys.markdownTable():\n"
        + SpringKeys.markdownTable()).isEqualTo(SpringKeys.markdownTable());
  }

  @Test
  void springKeysAreKebabCaseOfTheCoreKeys() {
    assertThat(SpringKeys.kebab("keepaliveInterval")).isEqualTo("keepalive-interval");
    assertThat(SpringKeys.kebab("userTimeout")).isEqualTo("user-timeout");
    assertThat(SpringKeys.kebab("enabled")).isEqualTo("enabled");
  }
}
