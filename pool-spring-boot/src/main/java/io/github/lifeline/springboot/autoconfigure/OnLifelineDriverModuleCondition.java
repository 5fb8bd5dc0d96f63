package io.github.lifeline.springboot.autoconfigure;

import java.util.List;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.ClassUtils;

/** Matches when at least one Lifeline driver module is on the class path. */
final class OnLifelineDriverModuleCondition extends SpringBootCondition {

  /** The socket factory of each driver module; the drivers load them by name. */
  static final List<String> FACTORIES = List.of(
      "io.github.lifeline.postgres.LifelineSocketFactory",
      "io.github.lifeline.mysql.LifelineSocketFactory");

  @Override
  public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
    for (String f : FACTORIES) {
      if (ClassUtils.isPresent(f, context.getClassLoader())) {
        return ConditionOutcome.match("Lifeline driver module found: " + f);
      }
    }
    return ConditionOutcome.noMatch("no Lifeline driver module (add lifeline-postgres or lifeline-mysql); looked for "
        + FACTORIES);
  }
}
