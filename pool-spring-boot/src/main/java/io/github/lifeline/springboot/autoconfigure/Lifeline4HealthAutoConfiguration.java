package io.github.lifeline.springboot.autoconfigure;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code lifeline} health contributor on Boot 4 ({@code org.springframework.boot.health}, module
 * {@code spring-boot-health}); Boot 3 has {@link Lifeline3HealthAutoConfiguration}. Always UP; see
 * {@link LifelineHealth}.
 */
@AutoConfiguration(after = LifelineAutoConfiguration.class)
@ConditionalOnClass(name = {"org.springframework.boot.health.contributor.HealthIndicator",
    "org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator"})
@ConditionalOnBean(LifelinePools.class)
public final class Lifeline4HealthAutoConfiguration {

  /** The contributor, named {@code lifeline}. */
  @Bean(name = "lifelineHealthIndicator")
  @ConditionalOnEnabledHealthIndicator("lifeline")
  HealthIndicator lifelineHealthIndicator(LifelinePools lifelinePools) {
    return () -> Health.up().withDetails(LifelineHealth.details(lifelinePools)).build();
  }
}
