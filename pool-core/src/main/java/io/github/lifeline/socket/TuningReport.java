package io.github.lifeline.socket;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What Lifeline requested on one socket and what the kernel holds, option by option.
 *
 * @param values one entry per {@link TcpOption}, in enum order
 */
public record TuningReport(List<OptionValue> values) {

  /** Copies the list. */
  public TuningReport {
    values = List.copyOf(values);
  }

  /** The entry for one option. */
  public OptionValue get(TcpOption option) {
    for (OptionValue v : values) {
      if (v.option() == option) {
        return v;
      }
    }
    throw new IllegalArgumentException("No entry for " + option + " in " + this);
  }

  /** Whether every option that could be read holds exactly the requested value, and none is unavailable. */
  public boolean allMatch() {
    return values.stream().allMatch(OptionValue::matches);
  }

  /**
   * Whether the kernel holds a value other than the requested one for some option it reported (an option that could
   * not be read or applied at all is {@linkplain OptionValue#unavailable() unavailable}, not mismatched).
   */
  public boolean mismatched() {
    return values.stream().anyMatch(v -> v.actual() != null && !v.matches());
  }

  /** The kernel's values by option ({@code null} for an option that could not be read). */
  public Map<TcpOption, Integer> actual() {
    Map<TcpOption, Integer> m = new EnumMap<>(TcpOption.class);
    values.forEach(v -> m.put(v.option(), v.actual()));
    return m;
  }

  @Override
  public String toString() {
    return values.stream().map(OptionValue::toString).collect(Collectors.joining(", ", "[", "]"));
  }
}
