package io.github.lifeline.springboot.autoconfigure;

import com.zaxxer.hikari.HikariConfigMXBean;
import com.zaxxer.hikari.HikariDataSource;
import javax.sql.DataSource;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.PriorityOrdered;
import org.springframework.util.ClassUtils;

/**
 * Puts Lifeline on every {@link HikariDataSource} bean, however it was made: Boot's own {@code dataSource}, a
 * {@code DataSourceBuilder}, {@code new HikariDataSource()} with setters, and any number of pools.
 *
 * <p>It acts after initialization, so after configuration properties are bound ({@code spring.datasource.hikari.*})
 * and after Boot's {@code HikariJdbcConnectionDetailsBeanPostProcessor} replaced URL and credentials for a service
 * connection (both act before initialization). It is {@link PriorityOrdered}, so it sees the pool before Boot 4.1's
 * lazy connection fetching ({@code spring.datasource.connection-fetch=lazy}, an ordered post-processor) wraps it; a
 * proxy that wraps the pool anyway is unwrapped as Boot's {@code DataSourceUnwrapper} does.
 *
 * <p>A {@code HikariDataSource} bean that Lifeline protects is replaced by a class-based proxy of itself (still a
 * {@code HikariDataSource}, so every injection point, Boot's pool metadata and HikariCP's metrics work as before)
 * whose {@code getConnection()} goes through Lifeline's borrow check ({@link io.github.lifeline.LifelinePool#getConnection()},
 * what {@code LifelineDataSource} does): a connection found dead is never handed out, and a borrow made while the
 * server is shutting down waits for a fresh connection. Every other method goes straight to the pool.
 */
public class HikariLifelineBeanPostProcessor implements BeanPostProcessor, PriorityOrdered, SmartInitializingSingleton {

  private static final boolean BOOT_UNWRAPPER = ClassUtils.isPresent("org.springframework.boot.jdbc.DataSourceUnwrapper",
      HikariLifelineBeanPostProcessor.class.getClassLoader());

  private final LifelinePools pools;

  /** @param pools where each pool and its protection are recorded */
  public HikariLifelineBeanPostProcessor(LifelinePools pools) {
    this.pools = pools;
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
    if (bean instanceof DataSource) {
      HikariDataSource hikari = unwrap((DataSource) bean);
      if (hikari != null) {
        GuardedPool pool = pools.register(beanName, hikari);
        if (bean == hikari && pool.protection() == GuardedPool.Protection.PROTECTED) {
          return BorrowCheck.proxy(hikari);
        }
      }
    }
    return bean;
  }

  static HikariDataSource unwrap(DataSource ds) {
    if (ds instanceof HikariDataSource) {
      return (HikariDataSource) ds;
    }
    if (BOOT_UNWRAPPER) {
      return BootUnwrapper.unwrap(ds);
    }
    try {
      if (ds.isWrapperFor(HikariConfigMXBean.class)) {
        Object o = ds.unwrap(HikariConfigMXBean.class);
        return o instanceof HikariDataSource ? (HikariDataSource) o : null;
      }
    } catch (Exception e) {
      // not a wrapper of a pool
    }
    return null;
  }

  @Override
  public void afterSingletonsInstantiated() {
    for (String key : pools.unmatchedOverrides()) {
      org.slf4j.LoggerFactory.getLogger(HikariLifelineBeanPostProcessor.class).warn(
          "Lifeline: lifeline.pools.{}.* matches no HikariCP pool (pools: {})", key,
          pools.all().stream().map(p -> p.name() + " (bean " + p.beanName() + ")").toList());
    }
  }

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE + 20;
  }

  /** Boot's own unwrapping (delegating data sources, AOP proxies, JDBC {@code unwrap}), when Boot's JDBC is there. */
  private static final class BootUnwrapper {
    static HikariDataSource unwrap(DataSource ds) {
      return org.springframework.boot.jdbc.DataSourceUnwrapper.unwrap(ds, HikariConfigMXBean.class,
          HikariDataSource.class);
    }
  }
}
