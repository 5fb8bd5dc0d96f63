package io.github.lifeline.springboot.autoconfigure;

import com.zaxxer.hikari.HikariDataSource;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;

/**
 * Lifeline on every HikariCP pool of the application. Active when HikariCP and a Lifeline driver module
 * ({@code lifeline-postgres}, {@code lifeline-mysql}) are on the class path, unless {@code lifeline.enabled=false}.
 *
 * <p>The {@code lifeline.*} properties are bound from the environment when the post-processor is created, before any
 * pool bean, and checked at once: an invalid value fails the start, named by {@link LifelineFailureAnalyzer}.
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
    "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"})
@ConditionalOnClass(HikariDataSource.class)
@Conditional(OnLifelineDriverModuleCondition.class)
@ConditionalOnBooleanProperty(name = "lifeline.enabled", matchIfMissing = true)
public final class LifelineAutoConfiguration {

  /** The pools of the application and their protection. */
  @Bean
  @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
  static LifelinePools lifelinePools(Environment environment) {
    LifelineProperties properties = bind(environment);
    properties.validate();
    return new LifelinePools(() -> properties);
  }

  /** Installs Lifeline on every HikariCP pool bean. */
  @Bean
  @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
  static HikariLifelineBeanPostProcessor hikariLifelineBeanPostProcessor(LifelinePools lifelinePools) {
    return new HikariLifelineBeanPostProcessor(lifelinePools);
  }

  static LifelineProperties bind(Environment environment) {
    return Binder.get(environment).bind(LifelineProperties.PREFIX, LifelineProperties.class)
        .orElseGet(LifelineProperties::new);
  }
}
