package io.github.lifeline.springboot.autoconfigure;

import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;

/**
 * The {@code lifeline} health contributor on Boot 3 ({@code org.springframework.boot.actuate.health}); Boot 4 has
 * {@link Lifeline4HealthAutoConfiguration}. Always UP; see {@link LifelineHealth}.
 */
@AutoConfiguration(after = LifelineAutoConfiguration.class)
@ConditionalOnClass(name = {"org.springframework.boot.actuate.health.HealthIndicator",
    "org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator"})
@ConditionalOnBean(LifelinePools.class)
public final class Lifeline3HealthAutoConfiguration {

  /** The contributor, named {@code lifeline}. */
  @Bean(name = "lifelineHealthIndicator")
  @ConditionalOnEnabledHealthIndicator("lifeline")
  HealthIndicator lifelineHealthIndicator(LifelinePools lifelinePools) {
    return () -> Health.up().withDetails(LifelineHealth.details(lifelinePools)).build();
  }
}
