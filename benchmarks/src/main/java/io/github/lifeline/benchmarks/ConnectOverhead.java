package io.github.lifeline.benchmarks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.util.Statistics;

/**
 * Runs {@link ConnectOverheadBenchmark} (both benchmarks, every {@code otherSockets}) in one JMH run and prints what
 * Lifeline adds to a connect at each descriptor count: the difference of the means (with the two 99.9 % confidence
 * half-widths added) and of the medians. Then it checks the scale target: the overhead with the most descriptors is
 * within {@value #LIMIT_MICROS} µs (either way) of the overhead with the fewest.
 *
 * <p>Run it from the benchmarks jar:
 * {@code java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar io.github.lifeline.benchmarks.ConnectOverhead}.
 * Arguments are JMH's own command-line options (for example {@code -rf json -rff target/connect.json}, or
 * {@code -p otherSockets=10,10000}); the benchmark class is always {@link ConnectOverheadBenchmark}.
 */
public final class ConnectOverhead {

  /** The scale target: overhead at the most descriptors minus overhead at the fewest, in µs. */
  static final double LIMIT_MICROS = 200;

  private ConnectOverhead() {
  }

  /**
   * Runs the benchmark and prints the overhead table.
   *
   * @param args JMH command-line options
   */
  public static void main(String[] args) throws Exception {
    Options options = new OptionsBuilder().parent(new CommandLineOptions(args))
        .include(ConnectOverheadBenchmark.class.getName() + "\\.").build();
    Collection<RunResult> results = new Runner(options).run();

    Map<Integer, Statistics> plain = new TreeMap<>();
    Map<Integer, Statistics> lifeline = new TreeMap<>();
    Map<Integer, Result<?>> plainResult = new TreeMap<>();
    Map<Integer, Result<?>> lifelineResult = new TreeMap<>();
    for (RunResult r : results) {
      int others = Integer.parseInt(r.getParams().getParam("otherSockets"));
      String method = r.getParams().getBenchmark().substring(r.getParams().getBenchmark().lastIndexOf('.') + 1);
      Statistics stats = r.getPrimaryResult().getStatistics();
      if (method.equals("plainSocket")) {
        plain.put(others, stats);
        plainResult.put(others, r.getPrimaryResult());
      } else if (method.equals("lifelineSocket")) {
        lifeline.put(others, stats);
        lifelineResult.put(others, r.getPrimaryResult());
      }
    }

    List<String> lines = new ArrayList<>();
    lines.add("| other sockets | plain mean (µs) | Lifeline mean (µs) | overhead of the means (µs) "
        + "| plain p50 | Lifeline p50 | overhead of the medians (µs) |");
    lines.add("|---|---|---|---|---|---|---|");
    Map<Integer, double[]> overhead = new TreeMap<>();
    for (int others : lifeline.keySet()) {
      Statistics p = plain.get(others);
      Statistics l = lifeline.get(others);
      if (p == null) {
        continue;
      }
      double mean = l.getMean() - p.getMean();
      double error = plainResult.get(others).getScoreError() + lifelineResult.get(others).getScoreError();
      double median = l.getPercentile(50) - p.getPercentile(50);
      overhead.put(others, new double[] {mean, error, median});
      lines.add(String.format(Locale.ROOT, "| %d | %.1f ± %.1f | %.1f ± %.1f | **%.1f ± %.1f** | %.1f | %.1f | %.1f |",
          others, p.getMean(), plainResult.get(others).getScoreError(), l.getMean(),
          lifelineResult.get(others).getScoreError(), mean, error, p.getPercentile(50), l.getPercentile(50), median));
    }
    System.out.println();
    System.out.println("Lifeline's overhead per connect (means ± 99.9 % confidence half-widths):");
    lines.forEach(System.out::println);
    if (overhead.size() >= 2) {
      int fewest = ((TreeMap<Integer, double[]>) overhead).firstKey();
      int most = ((TreeMap<Integer, double[]>) overhead).lastKey();
      double growthMean = overhead.get(most)[0] - overhead.get(fewest)[0];
      double growthMedian = overhead.get(most)[2] - overhead.get(fewest)[2];
      boolean met = Math.abs(growthMean) <= LIMIT_MICROS;
      System.out.printf(Locale.ROOT, "overhead at otherSockets=%d minus overhead at otherSockets=%d: %.1f µs (means), "
          + "%.1f µs (medians); target: within ±%.0f µs: %s%n", most, fewest, growthMean, growthMedian, LIMIT_MICROS,
          met ? "met" : "NOT met");
    }
  }
}
