package io.github.lifeline.lint;

import java.util.Objects;

/**
 * One finding of the {@link Lint}.
 *
 * @param code a stable identifier, e.g. {@code KEEPALIVE_OFF}; the README's troubleshooting section lists them
 * @param level how serious it is
 * @param why one line: what goes wrong and how long it lasts, with the pool's own numbers
 * @param fix one line: what to set, and where
 */
public record LintFinding(String code, LintLevel level, String why, String fix) {

  /** Checks that no component is null. */
  public LintFinding {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(level, "level");
    Objects.requireNonNull(why, "why");
    Objects.requireNonNull(fix, "fix");
  }

  @Override
  public String toString() {
    return level + " " + code + ": " + why + " Fix: " + fix;
  }
}
