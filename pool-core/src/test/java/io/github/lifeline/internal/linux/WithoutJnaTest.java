package io.github.lifeline.internal.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.URL;
import java.net.URLClassLoader;
import org.junit.jupiter.api.Test;

/** Loads this package's classes in a class loader without JNA: they must load and report why native access is off. */
class WithoutJnaTest {

  @Test
  void reportsJnaMissingInsteadOfThrowing() throws Exception {
    URL classes = LinuxSockets.class.getProtectionDomain().getCodeSource().getLocation();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes}, ClassLoader.getPlatformClassLoader())) {
      Class<?> sockets = loader.loadClass(LinuxSockets.class.getName());
      assertThat(sockets).isNotSameAs(LinuxSockets.class);
      assertThat(sockets.getMethod("isAvailable").invoke(null)).isEqualTo(false);
      assertThat(sockets.getMethod("unavailableReason").invoke(null))
          .isEqualTo("JNA is not on the classpath (NoClassDefFoundError: com/sun/jna/Native)");

      Method findFd = sockets.getMethod("findFd", InetSocketAddress.class, InetSocketAddress.class);
      InetSocketAddress a = new InetSocketAddress("127.0.0.1", 1);
      assertThatThrownBy(() -> invoke(findFd, a, a))
          .hasMessage("native socket access is unavailable: JNA is not on the classpath "
              + "(NoClassDefFoundError: com/sun/jna/Native)");
      Method isSocket = sockets.getMethod("isSocket", int.class, InetSocketAddress.class, InetSocketAddress.class);
      assertThat(isSocket.invoke(null, 0, a, a)).isEqualTo(false);
      Method open = loader.loadClass(SockDiag.class.getName()).getMethod("open");
      assertThatThrownBy(() -> invoke(open)).hasMessageContaining("JNA is not on the classpath");
    }
  }

  private static Object invoke(Method m, Object... args) throws Throwable {
    try {
      return m.invoke(null, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
