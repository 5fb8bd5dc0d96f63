package io.github.lifeline.springboot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The tests of this module really run on the Boot line it names, with that line's HikariCP and drivers. */
class BootLineTest {

  @Test
  void runsOnTheBootLineOfItsModule() {
    String expected = System.getProperty("lifeline.boot.line");
    assertThat(expected).as("lifeline.boot.line set by the module's POM").isNotBlank();
    assertThat(BootLine.version()).isEqualTo(expected);
    LoggerFactory.getLogger(BootLineTest.class).warn("Boot {} with HikariCP {}, pgjdbc {}, Connector/J {}, Java {}",
        BootLine.version(), version(HikariDataSource.class), version(org.postgresql.Driver.class),
        version(com.mysql.cj.jdbc.Driver.class), Runtime.version());
  }

  static String version(Class<?> c) {
    String v = c.getPackage().getImplementationVersion();
    if (v == null) {
      String path = c.getProtectionDomain().getCodeSource().getLocation().getPath();
      v = path.substring(path.lastIndexOf('/') + 1);
    }
    return v;
  }
}
