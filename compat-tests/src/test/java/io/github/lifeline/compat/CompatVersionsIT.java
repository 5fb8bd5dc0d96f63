package io.github.lifeline.compat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * States, in each combination's own report, which HikariCP, pgjdbc and Connector/J the run used, and fails when they
 * are not the ones its failsafe execution names. {@link CompatVersionGuard} makes the same check before every other
 * test class of the run.
 */
class CompatVersionsIT {

  @Test
  void classPathHoldsExactlyTheVersionsOfThisCombination() throws IOException {
    List<ClassPathVersions.Found> found = ClassPathVersions.inspect();
    String report = found.stream().map(ClassPathVersions.Found::toString).collect(Collectors.joining("\n"));
    System.out.println("Compatibility run versions:\n" + report);
    String target = System.getProperty("lifeline.it.target");
    if (target != null) {
      Path dir = Path.of(target);
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("versions.txt"), report + "\n");
    }
    assertThat(found).allSatisfy(f -> assertThat(f.problems()).as(f.library().name()).isEmpty());
  }
}
