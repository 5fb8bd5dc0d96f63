package io.github.lifeline.lint;

/** How serious a {@link LintFinding} is. */
public enum LintLevel {
  /** Worth knowing; nothing to change. */
  INFO,
  /** A weakness: the pool works, but some failure is handled late or not at all. */
  WARN,
  /** The pool is exposed: some dead peer will hold a caller or a connection for minutes to hours. */
  ERROR
}
