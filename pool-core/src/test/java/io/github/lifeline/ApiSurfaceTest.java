package io.github.lifeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 7 point 10: what a user sees is small and deliberate. The module exports four packages (issue 9 added the
 * lint), and every public
 * type in them is listed here: a new one must be added on purpose. Internals are not exported, and the guard's
 * classes cannot be constructed from outside their package.
 */
class ApiSurfaceTest {

  private static final Path CLASSES = Path.of("target", "classes");

  @Test
  void theModuleExportsOnlyTheApiPackages() {
    ModuleDescriptor d = ModuleFinder.of(CLASSES).findAll().iterator().next().descriptor();
    assertThat(d.name()).isEqualTo("io.github.lifeline");
    assertThat(d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()))
        .containsExactlyInAnyOrder("io.github.lifeline", "io.github.lifeline.lint", "io.github.lifeline.socket",
            "io.github.lifeline.spi");
    assertThat(d.exports()).allSatisfy(e -> assertThat(e.isQualified()).isFalse());
    assertThat(d.opens()).isEmpty();
    assertThat(d.uses()).containsExactly("io.github.lifeline.spi.DriverAdapter");
  }

  @Test
  void everyPublicTypeOfTheApiIsListed() throws Exception {
    assertThat(publicTypes("io/github/lifeline")).containsExactly(
        "io.github.lifeline.EvictionEvent",
        "io.github.lifeline.EvictionListener",
        "io.github.lifeline.EvictionReason",
        "io.github.lifeline.Lifeline",
        "io.github.lifeline.LifelineConfigException",
        "io.github.lifeline.LifelineDataSource",
        "io.github.lifeline.LifelinePool",
        "io.github.lifeline.LifelineProperty",
        "io.github.lifeline.LifelineSettings",
        "io.github.lifeline.LifelineSettings$Builder");
    assertThat(publicTypes("io/github/lifeline/socket")).containsExactly(
        "io.github.lifeline.socket.KernelState",
        "io.github.lifeline.socket.OptionValue",
        "io.github.lifeline.socket.SocketCapabilities",
        "io.github.lifeline.socket.SocketRecord",
        "io.github.lifeline.socket.TcpOption",
        "io.github.lifeline.socket.TcpState",
        "io.github.lifeline.socket.TcpTimer",
        "io.github.lifeline.socket.TuningReport");
    assertThat(publicTypes("io/github/lifeline/lint")).containsExactly(
        "io.github.lifeline.lint.KernelTcp",
        "io.github.lifeline.lint.Lint",
        "io.github.lifeline.lint.LintFinding",
        "io.github.lifeline.lint.LintInput",
        "io.github.lifeline.lint.LintLevel",
        "io.github.lifeline.lint.PoolSettings",
        "io.github.lifeline.lint.Protection",
        "io.github.lifeline.lint.SocketOptions");
    assertThat(publicTypes("io/github/lifeline/spi")).containsExactly(
        "io.github.lifeline.spi.ConnectionSocketResolver",
        "io.github.lifeline.spi.DriverAdapter",
        "io.github.lifeline.spi.LifelineSocket");
  }

  @Test
  void theGuardCannotBeBuiltFromOutside() throws Exception {
    for (String name : new String[] {"io.github.lifeline.internal.pool.PoolGuard",
        "io.github.lifeline.internal.pool.PhysicalDataSource", "io.github.lifeline.internal.pool.GuardedConnection",
        "io.github.lifeline.internal.pool.HikariLevers", "io.github.lifeline.internal.pool.DeathPolicy"}) {
      for (Constructor<?> c : Class.forName(name).getDeclaredConstructors()) {
        assertThat(Modifier.isPublic(c.getModifiers())).as("public constructor of %s", name).isFalse();
      }
    }
  }

  /** Public top-level and nested types of one package, from the compiled classes. */
  private static Set<String> publicTypes(String dir) throws IOException, ClassNotFoundException {
    Set<String> out = new TreeSet<>();
    try (Stream<Path> files = Files.list(CLASSES.resolve(dir))) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String file = f.getFileName().toString();
        if (!file.endsWith(".class") || file.equals("package-info.class") || file.equals("module-info.class")) {
          continue;
        }
        String name = dir.replace('/', '.') + "." + file.substring(0, file.length() - 6);
        Class<?> c = Class.forName(name, false, ApiSurfaceTest.class.getClassLoader());
        if (Modifier.isPublic(c.getModifiers()) && !c.isAnonymousClass() && !c.isSynthetic()
            && (c.getEnclosingClass() == null || Modifier.isPublic(c.getEnclosingClass().getModifiers()))) {
          out.add(name);
        }
      }
    }
    return out;
  }
}
