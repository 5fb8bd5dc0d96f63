package io.github.lifeline.testkit.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a test class or method only where faults can be injected: the JVM runs as root (uid 0) and
 * {@code nft list tables} works. Elsewhere the test is disabled, with the reason in the report and the log, e.g.
 * {@code fault injection needs root and nftables: not root (uid 1000)}.
 *
 * <p>With the system property {@value FaultInjectionCondition#REQUIRE_PROPERTY}{@code =true} (failsafe passes it on
 * from {@code mvn -Dlifeline.requireFaults=true}) a missing prerequisite fails the test instead of skipping it, so
 * that CI cannot turn green by skipping the fault tests.
 *
 * @see FaultInjectionCondition
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(FaultInjectionCondition.class)
public @interface RequiresFaultInjection {
}
