package io.github.lifeline.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.net.URLClassLoader;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 7 point 7: lifeline-postgres on a class path without pgjdbc. Failed before the fix (ServiceConfigurationError caused by NoClassDefFoundError). */
class WithoutDriverTest {

  @Test
  void lookupWithoutTheDriverIsNoLinkageError() throws Exception {
    List<URL> urls = new ArrayList<>();
    for (String entry : System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")).split(java.io.File.pathSeparator)) {
      if (!entry.contains("postgresql-42")) {
        urls.add(java.nio.file.Path.of(entry).toUri().toURL());
      }
    }
    try (URLClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader())) {
      Class<?> lifeline = loader.loadClass("io.github.lifeline.Lifeline");
      Connection other = (Connection) Proxy.newProxyInstance(loader, new Class<?>[] {Connection.class},
          (p, m, a) -> m.getName().equals("isClosed") || m.getName().equals("isWrapperFor") ? false : null);
      Throwable thrown = null;
      try {
        lifeline.getMethod("lookup", Connection.class).invoke(null, other);
      } catch (InvocationTargetException e) {
        thrown = e.getCause();
      }
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> loader.loadClass("org.postgresql.Driver"))
          .isInstanceOf(ClassNotFoundException.class);
      assertThat(thrown).as("what lookup threw").satisfiesAnyOf(t -> assertThat(t).isNull(),
          t -> assertThat(t).isInstanceOf(IllegalArgumentException.class));
    }
  }
}
