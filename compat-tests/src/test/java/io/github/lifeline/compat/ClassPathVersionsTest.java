package io.github.lifeline.compat;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lifeline.compat.ClassPathVersions.Found;
import io.github.lifeline.compat.ClassPathVersions.Library;
import java.net.URL;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The version check can fail: on surefire's class path (the build's versions, which the POM passes as the expected
 * ones) it passes, and it rejects a wrong version, a second copy and a missing expectation.
 */
class ClassPathVersionsTest {

  @ParameterizedTest
  @EnumSource(Library.class)
  void buildClassPathMatchesTheBuildVersions(Library library) {
    Found f = ClassPathVersions.inspect(library);
    assertThat(f.expected()).as("surefire passes %s", library.property).isNotBlank();
    assertThat(f.problems()).as(f.toString()).isEmpty();
    assertThat(f.copies()).hasSize(1);
    assertThat(f.jar().getFileName().toString()).contains(f.expected());
  }

  @ParameterizedTest
  @EnumSource(Library.class)
  void anotherVersionIsRejected(Library library) {
    Found f = ClassPathVersions.inspect(library);
    Found wrong = new Found(library, "0.0.1", f.copies(), f.jar(), f.manifestVersion(), f.reportedVersion());
    assertThat(wrong.problems()).isNotEmpty().anySatisfy(p -> assertThat(p).contains("expected 0.0.1"));
  }

  @ParameterizedTest
  @EnumSource(Library.class)
  void aSecondCopyIsRejected(Library library) throws Exception {
    Found f = ClassPathVersions.inspect(library);
    Found twice = new Found(library, f.expected(), List.of(f.copies().get(0), new URL("file:/elsewhere.jar")), f.jar(),
        f.manifestVersion(), f.reportedVersion());
    assertThat(twice.problems()).singleElement().asString().contains("2 copies");
  }

  @ParameterizedTest
  @EnumSource(Library.class)
  void aMissingExpectationIsRejected(Library library) {
    Found f = ClassPathVersions.inspect(library);
    Found unnamed = new Found(library, null, f.copies(), f.jar(), f.manifestVersion(), f.reportedVersion());
    assertThat(unnamed.problems()).singleElement().asString().contains(library.property);
  }

  @ParameterizedTest
  @EnumSource(value = Library.class, names = {"PGJDBC", "CONNECTOR_J"})
  void aDriverReportingAnotherVersionIsRejected(Library library) {
    Found f = ClassPathVersions.inspect(library);
    Found lying = new Found(library, f.expected(), f.copies(), f.jar(), f.manifestVersion(), "9.9.9");
    assertThat(lying.problems()).singleElement().asString().contains("'9.9.9'");
    assertThat(Path.of(f.jar().toString())).exists();
  }
}
