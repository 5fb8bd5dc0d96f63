package io.github.lifeline.drill;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lifeline.drill.run.Scenario;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The command line refuses what it does not know, naming the valid values, before it touches anything. */
class CommandLineTest {

  private static String[] run(String... args) {
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      int code = Main.execute(args);
      return new String[] {Integer.toString(code), captured.toString(StandardCharsets.UTF_8)};
    } finally {
      System.setErr(err);
    }
  }

  @Test
  void unknownScenarioIsAUsageError() {
    String[] r = run("run", "--scenario", "meteor");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("unknown scenario 'meteor'", "blackhole-idle", "silent-failover");
  }

  @Test
  void unknownDriverIsAUsageError() {
    String[] r = run("run", "--driver", "oracle");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("unknown driver 'oracle'", "postgresql, mysql");
  }

  @Test
  void doctorWithoutUrlOrWithAnUnknownOneRefuses() {
    assertThat(run("doctor")[0]).isEqualTo("2");
    String[] r = run("doctor", "--jdbc-url", "jdbc:oracle:thin:@db:1521/x?password=s3cret");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("unsupported JDBC URL").doesNotContain("s3cret");
  }

  @Test
  void quickIsARepresentativeSubset() {
    assertThat(Scenario.values()).filteredOn(Scenario::quick).extracting(Scenario::id)
        .containsExactly("restart", "crash", "blackhole-idle", "blackhole-inflight", "silent-failover");
    assertThat(Scenario.of(" Blackhole-Idle ")).isEqualTo(Scenario.BLACKHOLE_IDLE);
  }
}
