package io.github.lifeline.compat;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs before every test class of the compatibility suite (registered by auto-detection, see
 * {@code junit-platform.properties}): a class path that does not hold exactly the versions its failsafe execution
 * names fails every test class, so that no combination can pass on the wrong versions, whichever tests it selects.
 */
public final class CompatVersionGuard implements BeforeAllCallback {

  private static final Logger LOG = LoggerFactory.getLogger(CompatVersionGuard.class);
  private static volatile List<ClassPathVersions.Found> checked;

  @Override
  public void beforeAll(ExtensionContext context) {
    List<ClassPathVersions.Found> found = checked;
    if (found == null) {
      synchronized (CompatVersionGuard.class) {
        if (checked == null) {
          checked = ClassPathVersions.inspect();
          checked.forEach(f -> LOG.info("compatibility run: {}", f));
        }
        found = checked;
      }
    }
    String problems = found.stream().flatMap(f -> f.problems().stream()).collect(Collectors.joining("; "));
    if (!problems.isEmpty()) {
      throw new IllegalStateException("The compatibility run's class path is not the combination it names: "
          + problems);
    }
  }
}
