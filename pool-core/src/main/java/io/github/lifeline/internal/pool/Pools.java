package io.github.lifeline.internal.pool;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Every guarded pool of the JVM, for {@code Lifeline.pools()} and for host events, which concern every pool that
 * connects to the server. Held weakly: a pool that was configured but never started, then dropped, leaves nothing.
 */
public final class Pools {

  private static final Map<PoolGuard, Boolean> LIVE = Collections.synchronizedMap(new WeakHashMap<>());

  private Pools() {
  }

  static void add(PoolGuard guard) {
    LIVE.put(guard, Boolean.TRUE);
  }

  static void remove(PoolGuard guard) {
    LIVE.remove(guard);
  }

  /** The live guards, in no particular order. */
  public static List<PoolGuard> live() {
    synchronized (LIVE) {
      return new ArrayList<>(LIVE.keySet());
    }
  }
}
