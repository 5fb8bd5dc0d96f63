package io.github.lifeline;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Immutable Lifeline settings: the kernel keepalive timing and TCP_USER_TIMEOUT to put on every socket a driver opens.
 *
 * <p>Build them with {@link #builder()}, take {@link #defaults()}, or read them from connection properties with
 * {@link #from(Properties)} (keys of {@link LifelineProperty}) or from a compact spec with {@link #fromSpec(String)}.
 * Every invalid value is rejected with a {@link LifelineConfigException} that names the key and the value; nothing is
 * rounded or clamped silently.
 */
public final class LifelineSettings {

  /** Default idle time before the first keepalive probe. */
  public static final Duration DEFAULT_KEEPALIVE_IDLE = Duration.ofSeconds(30);
  /** Default time between keepalive probes. */
  public static final Duration DEFAULT_KEEPALIVE_INTERVAL = Duration.ofSeconds(5);
  /** Default number of unanswered probes. */
  public static final int DEFAULT_KEEPALIVE_COUNT = 3;

  /** Kernel limit for TCP_KEEPIDLE and TCP_KEEPINTVL, in seconds (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL). */
  public static final int MAX_KEEPALIVE_SECONDS = 32767;
  /** Kernel limit for TCP_KEEPCNT (MAX_TCP_KEEPCNT). */
  public static final int MAX_KEEPALIVE_COUNT = 127;
  /** Largest TCP_USER_TIMEOUT the kernel takes, in milliseconds (a C int; about 24.8 days). */
  public static final long MAX_USER_TIMEOUT_MILLIS = Integer.MAX_VALUE;

  private static final Pattern DURATION = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h)?");
  private static final LifelineSettings DEFAULTS = builder().build();

  private final boolean enabled;
  private final Duration keepaliveIdle;
  private final Duration keepaliveInterval;
  private final int keepaliveCount;
  private final Duration userTimeout;
  private final boolean userTimeoutDerived;

  private LifelineSettings(Builder b) {
    this.enabled = b.enabled;
    this.keepaliveIdle = b.keepaliveIdle;
    this.keepaliveInterval = b.keepaliveInterval;
    this.keepaliveCount = b.keepaliveCount;
    this.userTimeoutDerived = b.userTimeout == null;
    this.userTimeout = userTimeoutDerived
        ? keepaliveIdle.plus(keepaliveInterval.multipliedBy(keepaliveCount))
        : b.userTimeout;
    if (userTimeoutDerived && userTimeout.getSeconds() > MAX_USER_TIMEOUT_MILLIS / 1000) {
      String key = LifelineProperty.USER_TIMEOUT.key();
      throw new LifelineConfigException(key, "Invalid value for " + key + ": derived from keepaliveIdle + "
          + "keepaliveInterval x keepaliveCount it would be " + format(userTimeout) + " ("
          + keepaliveIdle.getSeconds() + "s + " + keepaliveInterval.getSeconds() + "s x " + keepaliveCount
          + "), more than the kernel's limit of " + MAX_USER_TIMEOUT_MILLIS + "ms; set " + key
          + " explicitly, or lower the keepalive settings");
    }
  }

  /** A new builder, starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The defaults: keepalive 30s/5s/3, user timeout 45s, enabled. */
  public static LifelineSettings defaults() {
    return DEFAULTS;
  }

  /**
   * Reads the {@code lifeline.*} keys of a driver's connection properties. Other keys are ignored; an unknown
   * {@code lifeline.*} key is rejected.
   *
   * @param props connection properties (values may be strings or numbers)
   * @return the settings, defaults for every key that is absent
   * @throws LifelineConfigException if a key is unknown or a value invalid
   */
  public static LifelineSettings from(Properties props) {
    Builder b = builder();
    for (Map.Entry<String, String> e : lifelineEntries(props).entrySet()) {
      String key = e.getKey();
      LifelineProperty p = LifelineProperty.forKey(key).orElseThrow(() -> unknownKey(key));
      b.set(p, e.getValue());
    }
    return b.build();
  }

  /**
   * Parses a compact spec such as {@code keepaliveIdle=30s,keepaliveInterval=5s,keepaliveCount=3,userTimeout=45s}, the
   * form pgjdbc's {@code socketFactoryArg} carries. Names may be written with or without the {@code lifeline.} prefix.
   *
   * @param spec comma-separated {@code name=value} pairs; blank means the defaults
   * @return the settings
   * @throws LifelineConfigException if a name is unknown, a pair malformed or a value invalid
   */
  public static LifelineSettings fromSpec(String spec) {
    return from(specToProperties(spec));
  }

  /**
   * Converts a compact spec (see {@link #fromSpec(String)}) to properties with full keys, validating names but not
   * values.
   *
   * @param spec comma-separated {@code name=value} pairs
   * @return properties keyed by full {@code lifeline.*} keys
   */
  public static Properties specToProperties(String spec) {
    Properties props = new Properties();
    if (spec == null || spec.isBlank()) {
      return props;
    }
    for (String pair : spec.split(",")) {
      String trimmed = pair.trim();
      if (trimmed.isEmpty()) {
        continue;
      }
      int eq = trimmed.indexOf('=');
      if (eq <= 0) {
        throw new LifelineConfigException("socketFactoryArg",
            "Invalid Lifeline spec entry '" + trimmed + "' in '" + spec + "': expected name=value, for example "
                + "keepaliveIdle=30s");
      }
      String name = trimmed.substring(0, eq).trim();
      String value = trimmed.substring(eq + 1).trim();
      String key = name.startsWith(LifelineProperty.PREFIX) ? name : LifelineProperty.PREFIX + name;
      LifelineProperty.forKey(key).orElseThrow(() -> unknownKey(key));
      props.setProperty(key, value);
    }
    return props;
  }

  /** The {@code lifeline.*} entries of a property set, as strings, including inherited defaults. */
  static Map<String, String> lifelineEntries(Properties props) {
    Map<String, String> out = new LinkedHashMap<>();
    if (props == null) {
      return out;
    }
    for (String name : props.stringPropertyNames()) {
      if (name.startsWith(LifelineProperty.PREFIX)) {
        out.put(name, props.getProperty(name));
      }
    }
    for (Map.Entry<Object, Object> e : props.entrySet()) {
      if (e.getKey() instanceof String && ((String) e.getKey()).startsWith(LifelineProperty.PREFIX)
          && !(e.getValue() instanceof String)) {
        out.put((String) e.getKey(), String.valueOf(e.getValue()));
      }
    }
    return out;
  }

  private static LifelineConfigException unknownKey(String key) {
    return new LifelineConfigException(key,
        "Unknown Lifeline property '" + key + "'. Valid keys: " + String.join(", ", LifelineProperty.keys()));
  }

  /** Whether Lifeline tunes sockets at all. */
  public boolean enabled() {
    return enabled;
  }

  /** TCP_KEEPIDLE, whole seconds. */
  public Duration keepaliveIdle() {
    return keepaliveIdle;
  }

  /** TCP_KEEPINTVL, whole seconds. */
  public Duration keepaliveInterval() {
    return keepaliveInterval;
  }

  /** TCP_KEEPCNT. */
  public int keepaliveCount() {
    return keepaliveCount;
  }

  /** TCP_USER_TIMEOUT; {@link Duration#ZERO} means disabled. */
  public Duration userTimeout() {
    return userTimeout;
  }

  /** Whether the user timeout was derived (idle + interval × count) rather than set. */
  public boolean userTimeoutDerived() {
    return userTimeoutDerived;
  }

  /**
   * The settings as connection properties with full keys; {@link #from(Properties)} reads them back to equal settings.
   * A derived user timeout is left out, so that it stays derived.
   */
  public Properties toProperties() {
    Properties p = new Properties();
    p.setProperty(LifelineProperty.ENABLED.key(), Boolean.toString(enabled));
    p.setProperty(LifelineProperty.KEEPALIVE_IDLE.key(), format(keepaliveIdle));
    p.setProperty(LifelineProperty.KEEPALIVE_INTERVAL.key(), format(keepaliveInterval));
    p.setProperty(LifelineProperty.KEEPALIVE_COUNT.key(), Integer.toString(keepaliveCount));
    if (!userTimeoutDerived) {
      p.setProperty(LifelineProperty.USER_TIMEOUT.key(), format(userTimeout));
    }
    return p;
  }

  /** Formats a duration the way the keys accept it: {@code 30s} for whole seconds, else {@code 1500ms}. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
  }

  /** Like {@link #format} for any duration, however long. */
  private static String formatAny(Duration d) {
    return Math.abs(d.getSeconds()) < Long.MAX_VALUE / 1000 - 1 ? format(d) : d.getSeconds() + "s";
  }

  /**
   * Parses a duration written {@code 500ms}, {@code 30s}, {@code 2m} or {@code 1h}; a bare number means milliseconds.
   *
   * @param key the key being parsed, for the error message
   * @param value the text
   * @return the duration
   * @throws LifelineConfigException naming key and value if the text is not a duration
   */
  public static Duration parseDuration(String key, String value) {
    Matcher m = DURATION.matcher(value == null ? "" : value.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new LifelineConfigException(key, "Invalid value for " + key + ": '" + value
          + "' is not a duration; write it like 500ms, 30s or 2m (a bare number means milliseconds)");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "ms" : m.group(2);
    switch (unit) {
      case "ms": return Duration.ofMillis(n);
      case "s": return Duration.ofSeconds(n);
      case "m": return Duration.ofMinutes(n);
      default: return Duration.ofHours(n);
    }
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof LifelineSettings)) {
      return false;
    }
    LifelineSettings s = (LifelineSettings) o;
    return enabled == s.enabled && keepaliveCount == s.keepaliveCount && userTimeoutDerived == s.userTimeoutDerived
        && keepaliveIdle.equals(s.keepaliveIdle) && keepaliveInterval.equals(s.keepaliveInterval)
        && userTimeout.equals(s.userTimeout);
  }

  @Override
  public int hashCode() {
    return Objects.hash(enabled, keepaliveIdle, keepaliveInterval, keepaliveCount, userTimeout, userTimeoutDerived);
  }

  @Override
  public String toString() {
    return "LifelineSettings{enabled=" + enabled + ", keepaliveIdle=" + format(keepaliveIdle)
        + ", keepaliveInterval=" + format(keepaliveInterval) + ", keepaliveCount=" + keepaliveCount
        + ", userTimeout=" + format(userTimeout) + (userTimeoutDerived ? " (derived)" : "") + "}";
  }

  /** Builder for {@link LifelineSettings}; each setter validates its value at once. */
  public static final class Builder {
    private boolean enabled = true;
    private Duration keepaliveIdle = DEFAULT_KEEPALIVE_IDLE;
    private Duration keepaliveInterval = DEFAULT_KEEPALIVE_INTERVAL;
    private int keepaliveCount = DEFAULT_KEEPALIVE_COUNT;
    private Duration userTimeout;

    private Builder() {
    }

    /** Whether Lifeline tunes sockets ({@code lifeline.enabled}). */
    public Builder enabled(boolean enabled) {
      this.enabled = enabled;
      return this;
    }

    /**
     * TCP_KEEPIDLE ({@code lifeline.keepaliveIdle}).
     *
     * @throws LifelineConfigException unless whole seconds from 1s to 32767s
     */
    public Builder keepaliveIdle(Duration idle) {
      this.keepaliveIdle = keepaliveSeconds(LifelineProperty.KEEPALIVE_IDLE, idle);
      return this;
    }

    /**
     * TCP_KEEPINTVL ({@code lifeline.keepaliveInterval}).
     *
     * @throws LifelineConfigException unless whole seconds from 1s to 32767s
     */
    public Builder keepaliveInterval(Duration interval) {
      this.keepaliveInterval = keepaliveSeconds(LifelineProperty.KEEPALIVE_INTERVAL, interval);
      return this;
    }

    /**
     * TCP_KEEPCNT ({@code lifeline.keepaliveCount}).
     *
     * @throws LifelineConfigException unless from 1 to 127
     */
    public Builder keepaliveCount(int count) {
      if (count < 1 || count > MAX_KEEPALIVE_COUNT) {
        throw new LifelineConfigException(LifelineProperty.KEEPALIVE_COUNT.key(), "Invalid value for "
            + LifelineProperty.KEEPALIVE_COUNT.key() + ": '" + count + "'; it must be from 1 to " + MAX_KEEPALIVE_COUNT);
      }
      this.keepaliveCount = count;
      return this;
    }

    /**
     * TCP_USER_TIMEOUT ({@code lifeline.userTimeout}); {@link Duration#ZERO} disables it, {@code null} derives it as
     * idle + interval × count.
     *
     * @throws LifelineConfigException if negative, finer than a millisecond, or over {@link Integer#MAX_VALUE} ms
     */
    public Builder userTimeout(Duration timeout) {
      if (timeout != null) {
        String key = LifelineProperty.USER_TIMEOUT.key();
        if (timeout.isNegative() || timeout.getNano() % 1_000_000 != 0
            || timeout.getSeconds() > MAX_USER_TIMEOUT_MILLIS / 1000 || timeout.toMillis() > MAX_USER_TIMEOUT_MILLIS) {
          throw new LifelineConfigException(key, "Invalid value for " + key + ": '" + timeout
              + "'; it must be whole milliseconds from 0 (disabled) to " + MAX_USER_TIMEOUT_MILLIS + "ms");
        }
      }
      this.userTimeout = timeout;
      return this;
    }

    /**
     * Sets one property from its text form.
     *
     * @throws LifelineConfigException naming key and value if the text is invalid
     */
    public Builder set(LifelineProperty property, String value) {
      String key = property.key();
      switch (property) {
        case ENABLED:
          String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
          if (!v.equals("true") && !v.equals("false")) {
            throw new LifelineConfigException(key, "Invalid value for " + key + ": '" + value
                + "'; it must be true or false");
          }
          return enabled(Boolean.parseBoolean(v));
        case KEEPALIVE_COUNT:
          int n;
          try {
            n = Integer.parseInt(value == null ? "" : value.trim());
          } catch (NumberFormatException e) {
            throw new LifelineConfigException(key, "Invalid value for " + key + ": '" + value
                + "'; it must be a whole number from 1 to " + MAX_KEEPALIVE_COUNT);
          }
          return keepaliveCount(n);
        case KEEPALIVE_IDLE:
          return keepaliveIdle(parseDuration(key, value));
        case KEEPALIVE_INTERVAL:
          return keepaliveInterval(parseDuration(key, value));
        case USER_TIMEOUT:
          return userTimeout(parseDuration(key, value));
        default:
          throw new AssertionError(property);
      }
    }

    /** The settings. */
    public LifelineSettings build() {
      return new LifelineSettings(this);
    }

    private static Duration keepaliveSeconds(LifelineProperty p, Duration d) {
      Objects.requireNonNull(d, p.key());
      if (d.getNano() != 0 || d.getSeconds() < 1 || d.getSeconds() > MAX_KEEPALIVE_SECONDS) {
        throw new LifelineConfigException(p.key(), "Invalid value for " + p.key() + ": '" + formatAny(d)
            + "'; keepalive times are whole seconds from 1s to " + MAX_KEEPALIVE_SECONDS + "s");
      }
      return d;
    }
  }
}
