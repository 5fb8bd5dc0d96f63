package io.github.lifeline.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;

/**
 * Logs a warning once per JVM and key, and at debug level afterwards, so that a condition that affects every
 * connection is said once, not once per connection. Keys are few (one per kind of condition).
 */
public final class Once {

  private static final int MAX_KEYS = 1024;
  private static final Set<String> SAID = ConcurrentHashMap.newKeySet();

  private Once() {
  }

  /**
   * Logs {@code message} at WARN the first time {@code key} is seen, else at DEBUG.
   *
   * @return whether it was logged at WARN
   */
  public static boolean warn(Logger log, String key, String message, Object... args) {
    if (SAID.size() < MAX_KEYS && SAID.add(key)) {
      log.warn(message, args);
      return true;
    }
    if (log.isDebugEnabled()) {
      log.debug(message, args);
    }
    return false;
  }
}
