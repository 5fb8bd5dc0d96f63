package io.github.lifeline;

/**
 * A Lifeline setting is invalid. The message names the key and the offending value, and is stable: tests and users
 * may rely on it.
 */
public class LifelineConfigException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final String key;

  /**
   * @param key the full key ({@code lifeline.keepaliveIdle}) the problem is about
   * @param message the complete message, naming the key and the value
   */
  public LifelineConfigException(String key, String message) {
    super(message);
    this.key = key;
  }

  /** The full key the problem is about. */
  public String key() {
    return key;
  }
}
