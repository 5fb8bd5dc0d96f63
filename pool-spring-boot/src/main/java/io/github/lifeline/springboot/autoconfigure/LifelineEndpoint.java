package io.github.lifeline.springboot.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * The {@code lifeline} Actuator endpoint: every HikariCP pool of the application, whether Lifeline protects it (and
 * why not), the settings in force, what was evicted, and every connection as {@code ss -tnoe} shows it (local and
 * remote address, TCP state, keepalive timer and probes, retransmits, round trip time, last ACK), with its socket
 * options read back from the kernel beside the requested values. {@code /actuator/lifeline/{pool}} shows one pool.
 * No URL, user, password or data source property is shown.
 */
@Endpoint(id = "lifeline")
public class LifelineEndpoint {

  private final LifelinePools pools;

  /** @param pools the application's pools */
  public LifelineEndpoint(LifelinePools pools) {
    this.pools = pools;
  }

  /** Every pool, by name. */
  @ReadOperation
  public Map<String, Object> pools() {
    Map<String, Object> pools = new LinkedHashMap<>();
    for (GuardedPool p : this.pools.all()) {
      pools.put(p.name(), PoolReports.detail(p));
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("pools", pools);
    return m;
  }

  /**
   * One pool.
   *
   * @param pool the pool's name or bean name
   * @return the pool, or {@code null} (404) if there is none of that name
   */
  @ReadOperation
  public Map<String, Object> pool(@Selector String pool) {
    return pools.find(pool).map(PoolReports::detail).orElse(null);
  }
}
