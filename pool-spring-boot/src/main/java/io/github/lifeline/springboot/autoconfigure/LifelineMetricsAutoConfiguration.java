package io.github.lifeline.springboot.autoconfigure;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;

/** Lifeline's Micrometer meters, when Micrometer is on the class path; see {@link LifelineMeterBinder}. */
@AutoConfiguration(after = LifelineAutoConfiguration.class)
@ConditionalOnClass(name = "io.micrometer.core.instrument.binder.MeterBinder")
@ConditionalOnBean(LifelinePools.class)
public final class LifelineMetricsAutoConfiguration {

  /** The meters; Boot binds every {@code MeterBinder} bean to its registries. */
  @Bean
  LifelineMeterBinder lifelineMeterBinder(LifelinePools lifelinePools) {
    return new LifelineMeterBinder(lifelinePools);
  }
}
