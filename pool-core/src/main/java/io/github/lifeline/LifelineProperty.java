package io.github.lifeline;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Every configuration key Lifeline understands, defined once: key, default and description.
 *
 * <p>The same keys are read from a driver's connection properties (HikariCP {@code dataSourceProperties}, a JDBC URL
 * query, or a {@link java.util.Properties}), and, without the {@code lifeline.} prefix, from pgjdbc's
 * {@code socketFactoryArg} ({@code keepaliveIdle=30s,keepaliveCount=3}). The README's property table is generated from
 * this enum and a test fails when they disagree.
 *
 * <p>Durations are written {@code 500ms}, {@code 30s} or {@code 2m}; a bare number means milliseconds. Constants are
 * kept in alphabetical order of their keys.
 */
public enum LifelineProperty {

  /** Master switch. */
  ENABLED("lifeline.enabled", "true",
      "Whether Lifeline tunes the sockets the driver opens. With `false` the socket factory behaves like the "
          + "driver's own and registers nothing."),

  /** TCP_KEEPCNT. */
  KEEPALIVE_COUNT("lifeline.keepaliveCount", "3",
      "Unanswered keepalive probes before the kernel declares an idle connection dead (TCP_KEEPCNT), 1 to 127."),

  /** TCP_KEEPIDLE. */
  KEEPALIVE_IDLE("lifeline.keepaliveIdle", "30s",
      "Idle time before the first keepalive probe (TCP_KEEPIDLE). Whole seconds, 1s to 32767s. SO_KEEPALIVE is "
          + "always switched on, whatever the driver's own `tcpKeepAlive` says."),

  /** TCP_KEEPINTVL. */
  KEEPALIVE_INTERVAL("lifeline.keepaliveInterval", "5s",
      "Time between unanswered keepalive probes (TCP_KEEPINTVL). Whole seconds, 1s to 32767s."),

  /** TCP_USER_TIMEOUT. */
  USER_TIMEOUT("lifeline.userTimeout", "keepaliveIdle + keepaliveInterval × keepaliveCount (45s)",
      "Longest time sent data may stay unacknowledged before the kernel drops the connection (TCP_USER_TIMEOUT, "
          + "milliseconds precision). It bounds a query in flight to a silent peer, which keepalive cannot. "
          + "The kernel lets it override keepaliveCount on an idle socket, hence the derived default. `0` disables it.");

  /** The prefix every key carries. */
  public static final String PREFIX = "lifeline.";

  private static final Map<String, LifelineProperty> BY_KEY;
  private static final Map<String, LifelineProperty> BY_SHORT_NAME;

  static {
    Map<String, LifelineProperty> byKey = new LinkedHashMap<>();
    Map<String, LifelineProperty> byShort = new LinkedHashMap<>();
    for (LifelineProperty p : values()) {
      if (byKey.put(p.key, p) != null || byShort.put(p.shortName(), p) != null) {
        throw new ExceptionInInitializerError("Duplicate Lifeline property key: " + p.key);
      }
    }
    BY_KEY = Collections.unmodifiableMap(byKey);
    BY_SHORT_NAME = Collections.unmodifiableMap(byShort);
  }

  private final String key;
  private final String defaultValue;
  private final String description;

  LifelineProperty(String key, String defaultValue, String description) {
    this.key = key;
    this.defaultValue = defaultValue;
    this.description = description;
  }

  /** The full key, for example {@code lifeline.keepaliveIdle}. */
  public String key() {
    return key;
  }

  /** The key without the {@code lifeline.} prefix, as used in pgjdbc's {@code socketFactoryArg}. */
  public String shortName() {
    return key.substring(PREFIX.length());
  }

  /** The default, as documented (a value, or how it is derived). */
  public String defaultValue() {
    return defaultValue;
  }

  /** One paragraph of documentation (Markdown). */
  public String description() {
    return description;
  }

  /** The property with this full key. */
  public static Optional<LifelineProperty> forKey(String key) {
    return Optional.ofNullable(BY_KEY.get(key));
  }

  /** The property with this key without prefix. */
  public static Optional<LifelineProperty> forShortName(String shortName) {
    return Optional.ofNullable(BY_SHORT_NAME.get(shortName));
  }

  /** All full keys, in declaration order. */
  public static List<String> keys() {
    return Arrays.stream(values()).map(LifelineProperty::key).collect(Collectors.toUnmodifiableList());
  }

  /**
   * The Markdown table of all properties (key, default, description), as it stands in the README.
   *
   * @return the table, one row per property, with a header
   */
  public static String markdownTable() {
    StringBuilder sb = new StringBuilder();
    sb.append("| key | default | description |\n");
    sb.append("|---|---|---|\n");
    for (LifelineProperty p : values()) {
      sb.append("| `").append(p.key).append("` | ").append(p.defaultValue).append(" | ")
          .append(p.description).append(" |\n");
    }
    return sb.toString();
  }
}
