package io.github.lifeline.springboot.autoconfigure;

import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.LifelineSettings;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * One HikariCP pool of the application as Lifeline sees it: the bean, the pool, whether Lifeline protects it and, if
 * not, why, and what it evicted.
 */
public final class GuardedPool {

  /** Whether and how Lifeline protects a pool. */
  public enum Protection {
    /** Lifeline tunes every socket of the pool, watches it and evicts dead connections. */
    PROTECTED,
    /** Lifeline was already installed on the pool by the application itself. */
    INSTALLED_BY_APPLICATION,
    /** {@code lifeline.enabled=false} or {@code lifeline.pools.<name>.enabled=false}. */
    DISABLED,
    /** No Lifeline driver module understands the pool's driver. */
    UNSUPPORTED_DRIVER,
    /** A data source property the application set contradicts Lifeline; the pool is left as configured. */
    CONFLICT,
    /** The pool had started before Lifeline could see it: its sockets were opened without Lifeline. */
    STARTED_BEFORE_LIFELINE
  }

  private final String beanName;
  private final HikariDataSource dataSource;
  private final LifelineSettings settings;
  private final Protection protection;
  private final String detail;
  private final CopyOnWriteArrayList<Consumer<CoreAccess.Eviction>> listeners = new CopyOnWriteArrayList<>();

  GuardedPool(String beanName, HikariDataSource dataSource, LifelineSettings settings, Protection protection,
      String detail) {
    this.beanName = beanName;
    this.dataSource = dataSource;
    this.settings = settings;
    this.protection = protection;
    this.detail = detail;
  }

  /** The bean's name. */
  public String beanName() {
    return beanName;
  }

  /** The pool's name: HikariCP's, which Lifeline sets to the bean name when the application set none. */
  public String name() {
    String n = dataSource.getPoolName();
    return n != null ? n : beanName;
  }

  /** The pool. */
  public HikariDataSource dataSource() {
    return dataSource;
  }

  /** The settings in force, or {@code null} for a pool Lifeline did not install on. */
  public LifelineSettings settings() {
    return settings;
  }

  /** Whether and how Lifeline protects the pool. */
  public Protection protection() {
    return protection;
  }

  /** Whether Lifeline's monitor and evictor are attached to the pool. */
  public boolean isProtected() {
    return protection == Protection.PROTECTED || protection == Protection.INSTALLED_BY_APPLICATION;
  }

  /** Why the pool is not protected, and how to fix it; empty when it is protected. */
  public Optional<String> detail() {
    return Optional.ofNullable(detail);
  }

  /** Evictions so far, by reason tag ({@code peer-closed}, {@code timeout}, ...), as the core counts them. */
  public Map<String, Long> evictionCounts() {
    return view().map(CoreAccess.PoolView::evictions).orElse(Map.of());
  }

  long evictionCount(String reason) {
    return evictionCounts().getOrDefault(reason, 0L);
  }

  void onEviction(CoreAccess.Eviction e) {
    for (Consumer<CoreAccess.Eviction> l : listeners) {
      l.accept(e);
    }
  }

  void addListener(Consumer<CoreAccess.Eviction> listener) {
    listeners.add(listener);
  }

  /** The core's view of the pool now, when Lifeline guards it. */
  Optional<CoreAccess.PoolView> view() {
    return CoreAccess.view(dataSource);
  }
}
