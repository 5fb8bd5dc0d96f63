package io.github.lifeline.testkit.junit;

import io.github.lifeline.testkit.fault.FaultInjection;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The condition behind {@link RequiresFaultInjection}: enabled when this process runs as root and
 * {@code nft list tables} works; otherwise disabled with the reason, or, with
 * {@value #REQUIRE_PROPERTY}{@code =true}, a failure with the same reason.
 *
 * <p>The environment is probed once per JVM ({@link FaultInjection}); {@link #decide} holds the decision and takes its
 * inputs as arguments.
 */
public final class FaultInjectionCondition implements ExecutionCondition {

  /** System property: {@code true} turns a missing prerequisite into a test failure instead of a skip. */
  public static final String REQUIRE_PROPERTY = "lifeline.requireFaults";

  private static final Logger LOG = LoggerFactory.getLogger(FaultInjectionCondition.class);

  /** Called by JUnit. */
  public FaultInjectionCondition() {
  }

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    ConditionEvaluationResult result = decide(FaultInjection.unavailableReason(), required());
    if (result.isDisabled()) {
      LOG.warn("{} disabled: {}", context.getDisplayName(), result.getReason().orElse(""));
    }
    return result;
  }

  /**
   * The decision, free of side effects.
   *
   * @param uid the effective uid of the process
   * @param nftProblem why {@code nft list tables} does not work, or {@code null} when it does
   * @param required the value of {@value #REQUIRE_PROPERTY}
   * @return enabled, or disabled with the reason
   * @throws FaultInjectionUnavailableException instead of disabled, when {@code required}
   */
  static ConditionEvaluationResult decide(int uid, String nftProblem, boolean required) {
    return decide(FaultInjection.reason(uid, nftProblem), required);
  }

  private static ConditionEvaluationResult decide(String reason, boolean required) {
    if (reason == null) {
      return ConditionEvaluationResult.enabled("fault injection available: root and nftables");
    }
    if (required) {
      throw new FaultInjectionUnavailableException(reason + " (and " + REQUIRE_PROPERTY
          + "=true forbids skipping)");
    }
    return ConditionEvaluationResult.disabled(reason);
  }

  /** @return whether {@value #REQUIRE_PROPERTY} is {@code true} (case-insensitive) */
  static boolean required() {
    return Boolean.parseBoolean(System.getProperty(REQUIRE_PROPERTY, "false").strip());
  }

  /** Thrown by the condition when fault injection is unavailable and {@value #REQUIRE_PROPERTY} is true. */
  public static final class FaultInjectionUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    FaultInjectionUnavailableException(String message) {
      super(message);
    }
  }
}
