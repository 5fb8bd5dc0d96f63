package io.github.lifeline.it.fault;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lifeline.testkit.junit.FaultInjectionCondition;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Failsafe hands the build's settings to the test JVM: the fault gate and the fault matrix's directory. */
class FailsafePropertiesIT {

  @Test
  void failsafePassesTheSystemProperties() {
    assertThat(System.getProperty(FaultInjectionCondition.REQUIRE_PROPERTY)).isIn("true", "false");
    assertThat(System.getProperty(FaultMatrix.TARGET_PROPERTY)).endsWith("integration-tests/target");
    assertThat(FaultMatrix.file()).hasFileName(FaultMatrix.FILE_NAME)
        .hasParentRaw(Path.of(System.getProperty(FaultMatrix.TARGET_PROPERTY)));
  }
}
