package io.github.lifeline.springboot.autoconfigure;

import io.github.lifeline.LifelineConfigException;

/**
 * A {@code lifeline.*} Spring property holds a value the core rejects. {@link #key()} is the Spring key (for example
 * {@code lifeline.pools.orders.keepalive-idle}); the message names it, the value, and the core's reason.
 */
public class InvalidLifelinePropertyException extends LifelineConfigException {

  private static final long serialVersionUID = 1L;

  private final String value;
  private final String reason;

  /**
   * @param springKey the Spring key
   * @param value the value as bound
   * @param cause the core's rejection
   */
  public InvalidLifelinePropertyException(String springKey, Object value, LifelineConfigException cause) {
    super(springKey, "Invalid value for " + springKey + ": '" + display(value) + "'. " + cause.getMessage());
    this.value = display(value);
    this.reason = cause.getMessage();
    initCause(cause);
  }

  /** The value as written ({@code 1500ms} for a duration that is not whole seconds). */
  public String value() {
    return value;
  }

  /** The core's reason, which names its own key ({@code lifeline.keepaliveIdle}). */
  public String reason() {
    return reason;
  }

  static String display(Object value) {
    if (value instanceof java.time.Duration) {
      java.time.Duration d = (java.time.Duration) value;
      return d.toNanos() % 1_000_000 == 0 ? io.github.lifeline.LifelineSettings.format(d) : d.toString();
    }
    return String.valueOf(value);
  }
}
