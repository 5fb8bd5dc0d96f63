package io.github.lifeline.internal.socket;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One instance per distinct immutable value that many sockets hold alike (their settings, their server's address,
 * their tuning report): the sockets of a pool share them instead of each keeping a copy. Bounded: past
 * {@value #MAX} distinct values, new ones are simply not shared.
 */
final class Shared {

  private static final int MAX = 1024;
  private static final Map<Object, Object> VALUES = new ConcurrentHashMap<>();

  private Shared() {
  }

  @SuppressWarnings("unchecked")
  static <T> T of(T value) {
    if (value == null) {
      return null;
    }
    Object shared = VALUES.get(value);
    if (shared != null) {
      return (T) shared;
    }
    if (VALUES.size() >= MAX) {
      return value;
    }
    Object previous = VALUES.putIfAbsent(value, value);
    return previous == null ? value : (T) previous;
  }
}
