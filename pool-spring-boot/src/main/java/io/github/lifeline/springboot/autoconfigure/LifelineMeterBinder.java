package io.github.lifeline.springboot.autoconfigure;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Lifeline's meters, per pool; the {@code pool} tag is the pool's name, the same as HikariCP's {@code hikaricp.*}
 * meters carry, so that the two series join.
 *
 * <ul>
 *   <li>{@code lifeline.evictions} (counter, tags {@code pool}, {@code reason}): connections Lifeline took out of the
 *       pool;</li>
 *   <li>{@code lifeline.verdict.lag} (timer, tag {@code pool}): from Lifeline's verdict taking effect (no borrow
 *       receives the connection from then on) to the connection's removal;</li>
 *   <li>{@code lifeline.sockets} (gauge, tag {@code pool}): sockets of the pool Lifeline watches;</li>
 *   <li>{@code lifeline.sockets.mismatched} (gauge, tag {@code pool}): sockets whose options, read back from the
 *       kernel, differ from the settings.</li>
 * </ul>
 * Pools Lifeline does not protect get no meters.
 */
public class LifelineMeterBinder implements MeterBinder {

  /** Counter of evictions. */
  public static final String EVICTIONS = "lifeline.evictions";
  /** Timer from verdict to removal. */
  public static final String VERDICT_LAG = "lifeline.verdict.lag";
  /** Gauge of watched sockets. */
  public static final String SOCKETS = "lifeline.sockets";
  /** Gauge of sockets whose read-back options differ from the settings. */
  public static final String MISMATCHED = "lifeline.sockets.mismatched";

  private final LifelinePools pools;

  /** @param pools the application's pools */
  public LifelineMeterBinder(LifelinePools pools) {
    this.pools = pools;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    pools.onAdd(pool -> {
      if (pool.isProtected()) {
        bind(registry, pool);
      }
    });
  }

  private static void bind(MeterRegistry registry, GuardedPool pool) {
    Tags tags = Tags.of("pool", pool.name());
    for (String reason : CoreAccess.reasons()) {
      counter(registry, pool, tags, reason);
    }
    Timer lag = Timer.builder(VERDICT_LAG).description("Time from the kernel's verdict on a connection to its removal "
        + "from the pool").tags(tags).register(registry);
    pool.addListener(e -> lag.record(e.lagAfterVerdict()));
    Gauge.builder(SOCKETS, pool, p -> p.view().map(v -> v.watched()).orElse(0))
        .description("Sockets of the pool Lifeline watches").tags(tags).register(registry);
    Gauge.builder(MISMATCHED, pool, p -> p.view().map(v -> v.mismatched()).orElse(0))
        .description("Sockets whose options read back from the kernel differ from the settings").tags(tags)
        .register(registry);
  }

  private static void counter(MeterRegistry registry, GuardedPool pool, Tags tags, String reason) {
    FunctionCounter.builder(EVICTIONS, pool, p -> p.evictionCount(reason))
        .description("Connections Lifeline took out of the pool").tags(tags.and("reason", reason))
        .register(registry);
  }
}
