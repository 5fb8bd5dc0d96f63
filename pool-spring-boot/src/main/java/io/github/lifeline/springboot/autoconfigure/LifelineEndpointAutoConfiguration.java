package io.github.lifeline.springboot.autoconfigure;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;

/** The {@code lifeline} Actuator endpoint ({@link LifelineEndpoint}), when Actuator is there and exposes it. */
@AutoConfiguration(after = LifelineAutoConfiguration.class)
@ConditionalOnClass(name = {"org.springframework.boot.actuate.endpoint.annotation.Endpoint",
    "org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint"})
@ConditionalOnBean(LifelinePools.class)
public final class LifelineEndpointAutoConfiguration {

  /** The endpoint. */
  @Bean
  @ConditionalOnAvailableEndpoint(endpoint = LifelineEndpoint.class)
  LifelineEndpoint lifelineEndpoint(LifelinePools lifelinePools) {
    return new LifelineEndpoint(lifelinePools);
  }
}
