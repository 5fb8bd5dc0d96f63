package io.github.lifeline.springboot.autoconfigure;

import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.Lifeline;
import io.github.lifeline.LifelinePool;
import java.lang.reflect.Method;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.springframework.aop.framework.ProxyFactory;

/**
 * A class-based proxy of a protected {@link HikariDataSource} bean: {@code getConnection()} borrows through
 * Lifeline's borrow check, every other method goes to the pool itself.
 */
final class BorrowCheck implements MethodInterceptor {

  private final LifelinePool pool;

  private BorrowCheck(LifelinePool pool) {
    this.pool = pool;
  }

  /** The proxy, a {@code HikariDataSource} itself; the pool when Lifeline has no view of it. */
  static HikariDataSource proxy(HikariDataSource hikari) {
    LifelinePool pool = Lifeline.pool(hikari).orElse(null);
    if (pool == null) {
      return hikari;
    }
    ProxyFactory factory = new ProxyFactory(hikari);
    factory.setProxyTargetClass(true);
    factory.addAdvice(new BorrowCheck(pool));
    return (HikariDataSource) factory.getProxy(HikariDataSource.class.getClassLoader());
  }

  @Override
  public Object invoke(MethodInvocation invocation) throws Throwable {
    Method m = invocation.getMethod();
    if (m.getParameterCount() == 0 && m.getName().equals("getConnection")) {
      return pool.getConnection();
    }
    return invocation.proceed();
  }
}
