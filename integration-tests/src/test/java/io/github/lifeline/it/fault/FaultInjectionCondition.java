package io.github.lifeline.it.fault;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * <p>The environment is probed once per JVM; {@link #decide} holds the decision and takes its inputs as arguments.
 */
public final class FaultInjectionCondition implements ExecutionCondition {

  /** System property: {@code true} turns a missing prerequisite into a test failure instead of a skip. */
  public static final String REQUIRE_PROPERTY = "lifeline.requireFaults";

  /** The common start of every reason why faults cannot be injected. */
  static final String NEEDS = "fault injection needs root and nftables: ";

  private static final Logger LOG = LoggerFactory.getLogger(FaultInjectionCondition.class);

  /** What the environment offers: the effective uid, and why nft is not usable ({@code null}: it is). */
  record Environment(int uid, String nftProblem) {
  }

  /** The probe result for this JVM; the uid and the firewall tools do not change while it runs. */
  private static volatile Environment environment;

  /** Called by JUnit. */
  public FaultInjectionCondition() {
  }

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    ConditionEvaluationResult result = decide(environment(), required());
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
    List<String> problems = new ArrayList<>();
    if (uid != 0) {
      problems.add("not root (uid " + uid + ")");
    }
    if (nftProblem != null) {
      problems.add(nftProblem);
    }
    if (problems.isEmpty()) {
      return ConditionEvaluationResult.enabled("fault injection available: root and nftables");
    }
    String reason = NEEDS + String.join("; ", problems);
    if (required) {
      throw new FaultInjectionUnavailableException(reason + " (and " + REQUIRE_PROPERTY
          + "=true forbids skipping)");
    }
    return ConditionEvaluationResult.disabled(reason);
  }

  static ConditionEvaluationResult decide(Environment environment, boolean required) {
    return decide(environment.uid(), environment.nftProblem(), required);
  }

  /** @return whether {@value #REQUIRE_PROPERTY} is {@code true} (case-insensitive) */
  static boolean required() {
    return Boolean.parseBoolean(System.getProperty(REQUIRE_PROPERTY, "false").strip());
  }

  static Environment environment() {
    Environment probed = environment;
    if (probed == null) {
      synchronized (FaultInjectionCondition.class) {
        probed = environment;
        if (probed == null) {
          probed = probe();
          environment = probed;
          LOG.info("fault injection environment: uid {}, nft {}", probed.uid(), probed.nftProblem() != null
              ? "not usable (" + probed.nftProblem() + ")" : probed.uid() == 0 ? "usable" : "installed");
        }
      }
    }
    return probed;
  }

  private static Environment probe() {
    int uid;
    try {
      uid = effectiveUid(Files.readString(Path.of("/proc/self/status"), StandardCharsets.US_ASCII));
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot read the uid from /proc/self/status", e);
      uid = -1;
    }
    String nftProblem;
    if (uid != 0) {
      // Not root: nft would only say "Operation not permitted"; just say whether it is installed.
      nftProblem = installedProblem();
    } else {
      try {
        Nft.run(null, "list", "tables");
        nftProblem = null;
      } catch (RuntimeException e) {
        nftProblem = e.getMessage();
      }
    }
    return new Environment(uid, nftProblem);
  }

  private static String installedProblem() {
    try {
      Nft.executable();
      return null;
    } catch (IllegalStateException e) {
      return e.getMessage();
    }
  }

  /**
   * @param status the text of {@code /proc/self/status}
   * @return the effective uid: the second number of the {@code Uid:} line (real, effective, saved, filesystem)
   */
  static int effectiveUid(String status) {
    for (String line : status.split("\n")) {
      if (line.startsWith("Uid:")) {
        String[] fields = line.substring("Uid:".length()).strip().split("\\s+");
        return Integer.parseInt(fields[1]);
      }
    }
    throw new IllegalArgumentException("no Uid: line in /proc/self/status");
  }

  /** Thrown by the condition when fault injection is unavailable and {@value #REQUIRE_PROPERTY} is true. */
  public static final class FaultInjectionUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    FaultInjectionUnavailableException(String message) {
      super(message);
    }
  }
}
