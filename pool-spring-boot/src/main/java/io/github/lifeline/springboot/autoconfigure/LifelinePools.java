package io.github.lifeline.springboot.autoconfigure;

import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.LifelineConfigException;
import io.github.lifeline.LifelineProperty;
import io.github.lifeline.LifelineSettings;
import io.github.lifeline.springboot.autoconfigure.GuardedPool.Protection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HikariCP pools of one application context, each with Lifeline's protection (or why not). Filled by
 * {@link HikariLifelineBeanPostProcessor}; read by the meters, the endpoint and the health contributor.
 */
public final class LifelinePools {

  private static final Logger LOG = LoggerFactory.getLogger(LifelinePools.class);

  private final Supplier<LifelineProperties> properties;
  private final Map<String, GuardedPool> byBean = Collections.synchronizedMap(new LinkedHashMap<>());
  private final Map<HikariDataSource, GuardedPool> byPool = Collections.synchronizedMap(new IdentityHashMap<>());
  private final List<java.util.function.Consumer<GuardedPool>> onAdd = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** @param properties the bound {@code lifeline.*} properties (bound on first use) */
  public LifelinePools(Supplier<LifelineProperties> properties) {
    this.properties = properties;
  }

  /** Every pool seen so far, in the order the beans were created. */
  public List<GuardedPool> all() {
    synchronized (byBean) {
      return new ArrayList<>(byBean.values());
    }
  }

  /** The pool with this name (HikariCP's) or bean name. */
  public Optional<GuardedPool> find(String name) {
    for (GuardedPool p : all()) {
      if (p.name().equals(name)) {
        return Optional.of(p);
      }
    }
    return Optional.ofNullable(byBean.get(name));
  }

  /** Runs {@code listener} for every pool already known and every pool added later. */
  void onAdd(java.util.function.Consumer<GuardedPool> listener) {
    synchronized (byBean) {
      onAdd.add(listener);
      byBean.values().forEach(listener);
    }
  }

  /**
   * Puts Lifeline on a pool bean, or records why not. Never fails the application for a pool it cannot protect; only
   * an invalid {@code lifeline.*} value does.
   *
   * @throws InvalidLifelinePropertyException if a {@code lifeline.*} value is invalid
   */
  GuardedPool register(String beanName, HikariDataSource ds) {
    GuardedPool existing = byPool.get(ds);
    if (existing != null) {
      return existing;
    }
    GuardedPool pool = decide(beanName, ds);
    synchronized (byBean) {
      byBean.put(beanName, pool);
      byPool.put(ds, pool);
      onAdd.forEach(l -> l.accept(pool));
    }
    return pool;
  }

  private GuardedPool decide(String beanName, HikariDataSource ds) {
    if (CoreAccess.installed(ds)) {
      LOG.debug("{} - Lifeline is already installed on bean '{}' by the application", ds.getPoolName(), beanName);
      return new GuardedPool(beanName, ds, null, Protection.INSTALLED_BY_APPLICATION, null);
    }
    String name = ds.getPoolName() != null ? ds.getPoolName() : beanName;
    LifelineSettings settings = properties.get().settingsFor(ds.getPoolName(), beanName);
    if (!settings.enabled()) {
      LOG.info("{} - Lifeline is disabled for bean '{}' (lifeline.enabled=false)", name, beanName);
      return new GuardedPool(beanName, ds, settings, Protection.DISABLED, "disabled by configuration");
    }
    if (ds.getHikariPoolMXBean() != null || ds.isClosed()) {
      String why = "the pool had started before Lifeline could see bean '" + beanName + "', so its connections were "
          + "opened without Lifeline. Fix: do not start the pool inside its @Bean method: build it with "
          + "DataSourceBuilder, or new HikariDataSource() and setters, or new HikariDataSource(Lifeline.install("
          + "config)) (a HikariDataSource(HikariConfig) constructor starts the pool at once)";
      LOG.warn("{} - Lifeline cannot protect bean '{}': {}", name, beanName, why);
      return new GuardedPool(beanName, ds, settings, Protection.STARTED_BEFORE_LIFELINE, why);
    }
    boolean named = ds.getPoolName() != null;
    if (!named) {
      ds.setPoolName(beanName);
    }
    try {
      CoreAccess.install(ds, settings, e -> forward(ds, e));
    } catch (IllegalStateException e) {
      if (!named) {
        ds.setPoolName(null);
      }
      LOG.warn("{} - Lifeline cannot protect bean '{}': {}", name, beanName, e.getMessage());
      return new GuardedPool(beanName, ds, settings, Protection.STARTED_BEFORE_LIFELINE, e.getMessage());
    } catch (LifelineConfigException e) {
      if (!named) {
        ds.setPoolName(null);
      }
      if (e.key() != null && e.key().startsWith(LifelineProperty.PREFIX)) {
        throw e;
      }
      if ("jdbcUrl".equals(e.key())) {
        LOG.info("{} - Lifeline leaves bean '{}' alone: {}", name, beanName, e.getMessage());
        return new GuardedPool(beanName, ds, settings, Protection.UNSUPPORTED_DRIVER, e.getMessage());
      }
      String why = e.getMessage() + ". Fix: remove data source property '" + e.key() + "' from bean '" + beanName
          + "'" + ("dataSource".equals(beanName) ? " (spring.datasource.hikari.data-source-properties." + e.key()
          + ")" : "") + ", or set lifeline.pools." + name + ".enabled=false to keep the pool unprotected without "
          + "this warning";
      LOG.warn("{} - Lifeline left bean '{}' unprotected: {}", name, beanName, why);
      return new GuardedPool(beanName, ds, settings, Protection.CONFLICT, why);
    }
    if (!named) {
      LOG.info("{} - Lifeline: pool of bean '{}' had no name; HikariCP and Lifeline now call it '{}'", beanName,
          beanName, beanName);
    }
    return new GuardedPool(beanName, ds, settings, Protection.PROTECTED, null);
  }

  private void forward(HikariDataSource ds, CoreAccess.Eviction e) {
    GuardedPool p = byPool.get(ds);
    if (p != null) {
      p.onEviction(e);
    }
  }

  /** The names under {@code lifeline.pools} that match no pool, for a warning once the context is ready. */
  List<String> unmatchedOverrides() {
    List<String> out = new ArrayList<>();
    for (String key : properties.get().getPools().keySet()) {
      boolean matched = false;
      for (GuardedPool p : all()) {
        if (key.equals(p.name()) || key.equals(p.beanName())) {
          matched = true;
        }
      }
      if (!matched) {
        out.add(key);
      }
    }
    return out;
  }
}
