package io.github.lifeline.testkit.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lifeline.testkit.fault.FaultInjection;
import io.github.lifeline.testkit.junit.FaultInjectionCondition.FaultInjectionUnavailableException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;

/** The decision of {@link FaultInjectionCondition}, with injected uid and nft availability. */
class FaultInjectionConditionTest {

  private static final String NO_NFT = "nft is not installed (apt-get install -y nftables)";

  @Test
  void rootWithNftIsEnabledEitherWay() {
    assertThat(FaultInjectionCondition.decide(0, null, false).isDisabled()).isFalse();
    assertThat(FaultInjectionCondition.decide(0, null, true).isDisabled()).isFalse();
  }

  @Test
  void notRootIsDisabledWithTheReason() {
    ConditionEvaluationResult result = FaultInjectionCondition.decide(1000, null, false);
    assertThat(result.isDisabled()).isTrue();
    assertThat(result.getReason()).hasValue("fault injection needs root and nftables: not root (uid 1000)");
  }

  @Test
  void missingNftIsDisabledWithTheReason() {
    ConditionEvaluationResult result = FaultInjectionCondition.decide(0, NO_NFT, false);
    assertThat(result.getReason()).hasValue("fault injection needs root and nftables: " + NO_NFT);
    assertThat(FaultInjectionCondition.decide(65534, NO_NFT, false).getReason())
        .hasValue("fault injection needs root and nftables: not root (uid 65534); " + NO_NFT);
  }

  @Test
  void requiredTurnsTheSkipIntoAFailureWithTheSameReason() {
    assertThatThrownBy(() -> FaultInjectionCondition.decide(1000, null, true))
        .isInstanceOf(FaultInjectionUnavailableException.class)
        .hasMessage("fault injection needs root and nftables: not root (uid 1000)"
            + " (and lifeline.requireFaults=true forbids skipping)");
    assertThatThrownBy(() -> FaultInjectionCondition.decide(0, "`nft list tables` exited with 1: boom", true))
        .isInstanceOf(FaultInjectionUnavailableException.class)
        .hasMessageStartingWith("fault injection needs root and nftables: `nft list tables` exited with 1: boom");
  }

  @Test
  void requiredPropertyIsParsedLeniently() {
    String before = System.getProperty(FaultInjectionCondition.REQUIRE_PROPERTY);
    try {
      System.clearProperty(FaultInjectionCondition.REQUIRE_PROPERTY);
      assertThat(FaultInjectionCondition.required()).isFalse();
      System.setProperty(FaultInjectionCondition.REQUIRE_PROPERTY, "TRUE ");
      assertThat(FaultInjectionCondition.required()).isTrue();
      System.setProperty(FaultInjectionCondition.REQUIRE_PROPERTY, "false");
      assertThat(FaultInjectionCondition.required()).isFalse();
      System.setProperty(FaultInjectionCondition.REQUIRE_PROPERTY, "");
      assertThat(FaultInjectionCondition.required()).isFalse();
    } finally {
      if (before == null) {
        System.clearProperty(FaultInjectionCondition.REQUIRE_PROPERTY);
      } else {
        System.setProperty(FaultInjectionCondition.REQUIRE_PROPERTY, before);
      }
    }
  }

  @Test
  void effectiveUidIsTheSecondFieldOfTheUidLine() {
    String status = "Name:\tjava\nUmask:\t0022\nState:\tR (running)\nUid:\t1000\t0\t0\t0\nGid:\t1000\t0\t0\t0\n";
    assertThat(FaultInjection.effectiveUid(status)).isZero();
    assertThat(FaultInjection.effectiveUid("Uid:\t65534\t65534\t65534\t65534\n")).isEqualTo(65534);
    assertThatThrownBy(() -> FaultInjection.effectiveUid("Name:\tjava\n"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
