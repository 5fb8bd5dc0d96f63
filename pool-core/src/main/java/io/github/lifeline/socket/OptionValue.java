package io.github.lifeline.socket;

import java.util.OptionalInt;

/**
 * One socket option as Lifeline requested it and as the kernel reported it back through {@code getsockopt}.
 *
 * @param option the option
 * @param requested the value Lifeline set, in the option's unit
 * @param actual the value the kernel holds, or {@code null} if it could not be read
 * @param unavailable why the option could not be set or read (platform, JDK, native access), or {@code null}
 */
public record OptionValue(TcpOption option, int requested, Integer actual, String unavailable) {

  /** Whether the kernel holds exactly the requested value. */
  public boolean matches() {
    return actual != null && actual == requested;
  }

  /** The kernel's value, if it was read. */
  public OptionalInt actualValue() {
    return actual == null ? OptionalInt.empty() : OptionalInt.of(actual);
  }

  @Override
  public String toString() {
    String unit = option.unit();
    return option + "=" + (actual == null ? "unavailable (" + unavailable + ")" : actual + unit)
        + (matches() || actual == null ? "" : " (requested " + requested + unit + ")");
  }
}
