package io.github.lifeline.drill.report;

import java.util.List;

/**
 * {@code drill-report.json}: one run of the drill.
 *
 * @param drill when, where and how the drill ran
 * @param scenarios one entry per driver and fault, in the order they ran (skipped ones included)
 */
public record DrillReport(Meta drill, List<ScenarioResult> scenarios) {

  /**
   * When, where and how the drill ran.
   *
   * @param version Lifeline's version
   * @param date the start, ISO-8601 with offset
   * @param mode {@code full} or {@code quick}
   * @param command the command line's arguments
   * @param totalSeconds wall time of the run
   * @param machine the host
   * @param load the borrow load and pool, the same for both sides
   */
  public record Meta(String version, String date, String mode, List<String> command, double totalSeconds,
      Machine machine, Load load) {
  }

  /**
   * The host.
   *
   * @param os operating system and architecture
   * @param kernel kernel release
   * @param cpus available processors
   * @param memoryMb physical memory, or 0 if unknown
   * @param jdk Java runtime version and vendor
   * @param loadAverage the one-minute load average at the start (others' work on the same cores)
   * @param uid the effective uid
   * @param faultInjection {@code null} when nftables faults can be injected, else why not
   */
  public record Machine(String os, String kernel, int cpus, long memoryMb, String jdk, double loadAverage, int uid,
      String faultInjection) {
  }

  /**
   * The load on each pool.
   *
   * @param poolSize connections per pool (minimumIdle = maximumPoolSize)
   * @param borrowPeriodMs pause between two borrows of the one borrower thread per pool
   * @param statement what each borrow runs
   * @param connectionTimeoutMs HikariCP {@code connectionTimeout}, both pools
   * @param validationTimeoutMs HikariCP {@code validationTimeout}, both pools
   */
  public record Load(int poolSize, long borrowPeriodMs, String statement, long connectionTimeoutMs,
      long validationTimeoutMs) {
  }
}
