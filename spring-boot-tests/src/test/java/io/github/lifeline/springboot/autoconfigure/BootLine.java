package io.github.lifeline.springboot.autoconfigure;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.SpringBootVersion;
import org.springframework.boot.autoconfigure.AutoConfigurations;

/**
 * What differs between the Boot lines the shared tests run on: where Boot keeps an auto-configuration or an
 * interface (Boot 4 moved JDBC to {@code org.springframework.boot.jdbc.autoconfigure}).
 */
final class BootLine {

  private BootLine() {
  }

  /** The Boot version on the class path, e.g. {@code 4.0.7}. */
  static String version() {
    return SpringBootVersion.getVersion();
  }

  /** Whether this is Boot 4 or later. */
  static boolean boot4() {
    return !version().startsWith("3.");
  }

  /** The first of these classes that exists. */
  static Class<?> firstPresent(String... names) {
    for (String n : names) {
      try {
        return Class.forName(n, false, BootLine.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        // next
      }
    }
    throw new IllegalStateException("none of " + List.of(names) + " on Boot " + version());
  }

  /** Boot's DataSourceAutoConfiguration of this line. */
  static Class<?> dataSourceAutoConfiguration() {
    return firstPresent("org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration");
  }

  /** Boot's JDBC auto-configuration, with Lifeline's. */
  static AutoConfigurations jdbcWithLifeline() {
    List<Class<?>> classes = new ArrayList<>();
    classes.add(dataSourceAutoConfiguration());
    classes.add(LifelineAutoConfiguration.class);
    classes.add(LifelineMetricsAutoConfiguration.class);
    return AutoConfigurations.of(classes.toArray(new Class<?>[0]));
  }

  /** Boot's JdbcConnectionDetails interface of this line (what a Testcontainers or Docker Compose service gives). */
  static Class<?> jdbcConnectionDetails() {
    return firstPresent("org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails",
        "org.springframework.boot.autoconfigure.jdbc.JdbcConnectionDetails");
  }

  /** A JdbcConnectionDetails bean, as a service connection provides one. */
  @SuppressWarnings("unchecked")
  static <T> T connectionDetails(Class<T> type, String url, String user, String password) {
    InvocationHandler h = (proxy, method, args) -> {
      switch (method.getName()) {
        case "getJdbcUrl": return url;
        case "getUsername": return user;
        case "getPassword": return password;
        case "toString": return "ServiceConnection(" + url + ")";
        case "hashCode": return System.identityHashCode(proxy);
        case "equals": return proxy == args[0];
        default:
          if (method.isDefault()) {
            return InvocationHandler.invokeDefault(proxy, method, args);
          }
          return null;
      }
    };
    return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, h);
  }
}
