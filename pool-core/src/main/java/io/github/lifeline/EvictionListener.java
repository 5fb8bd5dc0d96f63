package io.github.lifeline;

/**
 * Receives every eviction Lifeline performs. Called on Lifeline's event thread ({@code lifeline-events}), one event
 * at a time, in the order of the verdicts; a slow listener delays other listeners' events but never detection.
 */
@FunctionalInterface
public interface EvictionListener {

  /** Does nothing. */
  EvictionListener NONE = e -> { };

  /** One connection left the pool, or was condemned so that it is not lent again. */
  void onEviction(EvictionEvent event);
}
