package io.github.lifeline.hikari;

/**
 * Receives every eviction Lifeline performs. Called on the pool's monitor thread: return quickly.
 */
@FunctionalInterface
public interface EvictionListener {

  /** Does nothing. */
  EvictionListener NONE = e -> { };

  /** One dead connection left the pool. */
  void onEviction(EvictionEvent event);
}
