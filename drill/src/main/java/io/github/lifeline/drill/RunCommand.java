package io.github.lifeline.drill;

import io.github.lifeline.drill.report.DrillReport;
import io.github.lifeline.drill.report.ReportWriter;
import io.github.lifeline.drill.report.ScenarioResult;
import io.github.lifeline.drill.report.SideResult;
import io.github.lifeline.drill.report.Table;
import io.github.lifeline.drill.run.DrillPlan;
import io.github.lifeline.drill.run.Scenario;
import io.github.lifeline.drill.run.ScenarioRun;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.fault.FaultInjection;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.MariaDbServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code run}: every scenario for both drivers, baseline and Lifeline side by side. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Runs the fault scenarios against embedded PostgreSQL and MariaDB servers, a stock HikariCP pool "
        + "and a LifelineDataSource side by side, and writes DIR/drill-report.json, DIR/report.html, "
        + "DIR/drill-table.md and DIR/timelines/*.svg.",
        "Blackhole scenarios need root and nftables; without them they are reported as skipped."})
final class RunCommand implements Callable<Integer> {

  @Option(names = "--out", paramLabel = "DIR", defaultValue = "target/drill",
      description = "Where the reports go (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--quick", description = "A representative subset with short windows (about a minute).")
  boolean quick;

  @Option(names = "--scenario", split = ",", paramLabel = "NAME",
      description = "Only these scenarios: restart, crash, blackhole-idle, blackhole-inflight, freeze, "
          + "silent-failover, long-query.")
  List<String> scenarios;

  @Option(names = "--driver", split = ",", paramLabel = "NAME", description = "Only these drivers: postgresql, mysql.")
  List<String> drivers;

  @Option(names = "--work-dir", paramLabel = "DIR",
      description = "Where the server binaries are unpacked and the servers run (default: testkit/ beside the jar, "
          + "i.e. drill/target/testkit; or the system property lifeline.testkit.dir).")
  Path workDir;

  @Override
  public Integer call() throws Exception {
    List<Driver> selectedDrivers = selectDrivers();
    List<Scenario> selected = selectScenarios();
    Path outDir = out.toAbsolutePath().normalize();
    Files.createDirectories(outDir);
    Path work = workDir();
    configureLogging(outDir);
    System.setProperty("lifeline.testkit.dir", work.toString());
    if (System.getProperty("jna.tmpdir") == null) {
      System.setProperty("jna.tmpdir", work.resolve("jna").toString());
    }
    Console console = new Console(System.out, System.console() != null);
    String unavailable = FaultInjection.unavailableReason();
    DrillPlan plan = new DrillPlan(quick);
    OffsetDateTime started = OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS);
    long t0 = System.nanoTime();
    DrillReport.Meta meta = meta(started, 0, unavailable);
    console.line("Lifeline drill " + meta.version() + " · " + (quick ? "quick" : "full") + " run · "
        + io.github.lifeline.drill.report.HtmlReport.machine(meta.machine()));
    console.line("Reports: " + outDir + " · server logs and binaries: " + work + " · log: "
        + outDir.resolve("drill.log"));
    if (unavailable != null) {
      console.line("Blackhole scenarios are skipped: " + unavailable);
    }

    List<ScenarioResult> results = new ArrayList<>();
    int total = selectedDrivers.size() * selected.size();
    int index = 0;
    boolean errors = false;
    for (Driver driver : selectedDrivers) {
      List<Scenario> runnable = new ArrayList<>();
      for (Scenario s : selected) {
        if (s.needsFaultInjection() && unavailable != null) {
          index++;
          console.scenario(index, total, ScenarioRun.driverId(driver) + " " + s.id(), "skipped: " + unavailable);
          results.add(skipped(driver, s, plan, unavailable));
        } else {
          runnable.add(s);
        }
      }
      if (runnable.isEmpty()) {
        continue;
      }
      console.line("Starting " + (driver == Driver.POSTGRESQL ? "PostgreSQL" : "MariaDB") + " (embedded, "
          + "binaries from Maven; the first start unpacks them)...");
      DatabaseServer server;
      try {
        server = driver == Driver.POSTGRESQL ? PostgresServer.start() : MariaDbServer.start();
      } catch (RuntimeException e) {
        errors = true;
        for (Scenario s : runnable) {
          index++;
          results.add(error(driver, s, plan, "the server did not start: " + e.getMessage()));
        }
        continue;
      }
      try (server) {
        for (Scenario s : runnable) {
          index++;
          console.scenario(index, total, ScenarioRun.driverId(driver) + " " + s.id(), s.description());
          ScenarioResult r;
          try {
            r = new ScenarioRun(driver, server, s, plan, console).run();
            console.line("      → baseline: " + brief(r.baseline()) + "\n      → Lifeline: " + brief(r.lifeline()));
          } catch (Exception | AssertionError e) {
            errors = true;
            org.slf4j.LoggerFactory.getLogger(RunCommand.class).error("{} {} failed", driver, s.id(), e);
            console.line("      ✗ " + e);
            r = error(driver, s, plan, e.toString());
          }
          results.add(r);
          ReportWriter.write(new DrillReport(meta(started, (System.nanoTime() - t0) / 1e9, unavailable),
              List.copyOf(results)), outDir);
        }
      }
    }
    DrillReport report = new DrillReport(meta(started, (System.nanoTime() - t0) / 1e9, unavailable), results);
    ReportWriter.write(report, outDir);
    console.line("");
    console.line(Table.text(report));
    console.line("≥: reached the scenario's window (a lower bound). (n): failed statements that were in flight at "
        + "their connection's death, counted apart. *: some started after the kernel's verdict but before "
        + "Lifeline's monitor thread had run (the scheduler's delay). -: does not apply.");
    console.line("Report: " + outDir.resolve(ReportWriter.HTML) + "  JSON: " + outDir.resolve(ReportWriter.JSON));
    console.line(String.format(Locale.ROOT, "Done in %.0f s.", report.drill().totalSeconds()));
    return errors ? 1 : 0;
  }

  private static String brief(SideResult s) {
    return "blocked " + num(s.callerBlockedSeconds(), s, "callerBlockedSeconds") + " s, dead in pool "
        + num(s.deadInPoolSeconds(), s, "deadInPoolSeconds") + " s, failed " + s.failedBorrows()
        + (s.inflightFailures() > 0 ? " (+" + s.inflightFailures() + " in flight)" : "") + ", worst "
        + num(s.worstBorrowMs() == null ? null : s.worstBorrowMs() / 1000, s, "worstBorrowMs") + " s"
        + (s.heldCaller() != null ? ", statement " + s.heldCaller() : "");
  }

  private static String num(Double v, SideResult s, String field) {
    if (v == null) {
      return "-";
    }
    return (s.cappedFields().contains(field) ? "≥" : "") + String.format(Locale.ROOT, "%.2f", v);
  }

  private ScenarioResult skipped(Driver d, Scenario s, DrillPlan plan, String reason) {
    return new ScenarioResult(ScenarioRun.driverId(d), s.id(), "skipped", reason, s.description(),
        plan.settings(s), null, null, null);
  }

  private ScenarioResult error(Driver d, Scenario s, DrillPlan plan, String reason) {
    return new ScenarioResult(ScenarioRun.driverId(d), s.id(), "error", reason, s.description(), plan.settings(s),
        null, null, null);
  }

  private List<Driver> selectDrivers() {
    if (drivers == null || drivers.isEmpty()) {
      return List.of(Driver.POSTGRESQL, Driver.MYSQL);
    }
    Set<Driver> out = new LinkedHashSet<>();
    for (String d : drivers) {
      switch (d.strip().toLowerCase(Locale.ROOT)) {
        case "postgresql":
        case "postgres":
        case "pgjdbc":
          out.add(Driver.POSTGRESQL);
          break;
        case "mysql":
        case "mariadb":
          out.add(Driver.MYSQL);
          break;
        default:
          throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
              "unknown driver '" + d + "'; valid: postgresql, mysql");
      }
    }
    return List.copyOf(out);
  }

  private List<Scenario> selectScenarios() {
    Set<Scenario> out = new LinkedHashSet<>();
    if (scenarios == null || scenarios.isEmpty()) {
      for (Scenario s : Scenario.values()) {
        if (!quick || s.quick()) {
          out.add(s);
        }
      }
      return List.copyOf(out);
    }
    for (String id : scenarios) {
      try {
        out.add(Scenario.of(id));
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), e.getMessage());
      }
    }
    List<Scenario> ordered = new ArrayList<>();
    for (Scenario s : Scenario.values()) {
      if (out.contains(s)) {
        ordered.add(s);
      }
    }
    return ordered;
  }

  /** The testkit's directory: the option, the system property, or {@code testkit/} beside the jar. */
  private Path workDir() {
    if (workDir != null) {
      return workDir.toAbsolutePath().normalize();
    }
    String property = System.getProperty("lifeline.testkit.dir");
    if (property != null && !property.isBlank()) {
      return Path.of(property).toAbsolutePath().normalize();
    }
    try {
      Path code = Path.of(RunCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isRegularFile(code)) {
        return code.getParent().resolve("testkit");
      }
    } catch (URISyntaxException | RuntimeException e) {
      // not from a jar
    }
    return out.toAbsolutePath().normalize().resolve("testkit");
  }

  /** The servers' and pools' logs go to DIR/drill.log, so that the console shows the drill alone. */
  private static void configureLogging(Path outDir) {
    setIfAbsent("org.slf4j.simpleLogger.logFile", outDir.resolve("drill.log").toString());
    setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "info");
    setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
    setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  private DrillReport.Meta meta(OffsetDateTime started, double seconds, String unavailable) {
    List<String> command = new ArrayList<>(List.of("run"));
    if (quick) {
      command.add("--quick");
    }
    if (scenarios != null) {
      command.add("--scenario=" + String.join(",", scenarios));
    }
    if (drivers != null) {
      command.add("--driver=" + String.join(",", drivers));
    }
    return new DrillReport.Meta(Main.version(), started.toString(), quick ? "quick" : "full", command,
        Math.round(seconds * 10) / 10.0, machine(unavailable), new DrillReport.Load(DrillPlan.POOL_SIZE,
        DrillPlan.BORROW_PERIOD_MS, "select 1", DrillPlan.CONNECTION_TIMEOUT_MS, DrillPlan.VALIDATION_TIMEOUT_MS));
  }

  static DrillReport.Machine machine(String unavailable) {
    long memoryMb = 0;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"), StandardCharsets.US_ASCII)) {
        if (line.startsWith("MemTotal:")) {
          memoryMb = Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    int uid;
    try {
      uid = FaultInjection.effectiveUid(Files.readString(Path.of("/proc/self/status"), StandardCharsets.US_ASCII));
    } catch (IOException | RuntimeException e) {
      uid = -1;
    }
    return new DrillReport.Machine(System.getProperty("os.name") + " " + System.getProperty("os.arch"),
        System.getProperty("os.version"), Runtime.getRuntime().availableProcessors(), memoryMb,
        System.getProperty("java.runtime.version", System.getProperty("java.version")) + " ("
            + System.getProperty("java.vendor") + ")",
        Math.round(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage() * 100) / 100.0, uid,
        unavailable);
  }
}
