package io.github.lifeline.springboot.autoconfigure;

import io.github.lifeline.LifelineConfigException;
import io.github.lifeline.LifelineProperty;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a start that failed on a Lifeline setting: the key (the Spring key, {@code lifeline.keepalive-idle}, when
 * it came from the application's properties), the value and what is accepted.
 */
public class LifelineFailureAnalyzer extends AbstractFailureAnalyzer<LifelineConfigException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, LifelineConfigException cause) {
    if (cause instanceof InvalidLifelinePropertyException) {
      InvalidLifelinePropertyException e = (InvalidLifelinePropertyException) cause;
      return new FailureAnalysis("Lifeline setting " + e.key() + " has an invalid value: '" + e.value() + "'. "
          + e.reason(), "Change " + e.key() + " in your application's configuration to an accepted value, or "
          + "remove it to use the default. Keys and accepted values: " + keys() + ".", cause);
    }
    return new FailureAnalysis("Lifeline rejected its configuration (" + cause.key() + "): " + cause.getMessage(),
        "Correct " + cause.key() + ". Lifeline's keys: " + keys() + ".", cause);
  }

  private static String keys() {
    StringBuilder sb = new StringBuilder();
    for (LifelineProperty p : LifelineProperty.values()) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(SpringKeys.springKey(p));
    }
    return sb.toString();
  }
}
