/**
 * Spring Boot auto-configuration for Lifeline: every HikariCP pool bean of the application gets Lifeline
 * ({@link io.github.lifeline.springboot.autoconfigure.HikariLifelineBeanPostProcessor}), configured by
 * {@code lifeline.*} properties ({@link io.github.lifeline.springboot.autoconfigure.LifelineProperties}), with
 * Micrometer meters, the {@code lifeline} Actuator endpoint and a health contributor. Works on Boot 3.5, 4.0 and 4.1:
 * the only API Boot moved between them (health) has one auto-configuration per line.
 */
package io.github.lifeline.springboot.autoconfigure;
