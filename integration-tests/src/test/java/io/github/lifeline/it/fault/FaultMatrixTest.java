package io.github.lifeline.it.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.lifeline.it.fault.FaultMatrix.Entry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Serialization and validation of the fault matrix, without any server. */
class FaultMatrixTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  /** Issue 7 point 9: container and embedded numbers never mix. Fails on the old merge, which ignored the provider. */
  @Test
  void mergeJoinsOnlyTheEntryOfTheSameProvider() throws Exception {
    FaultMatrix matrix = new FaultMatrix(dir.resolve(FaultMatrix.FILE_NAME));
    matrix.add(new Entry("postgresql", "restart", "lifeline", "detected", 0.01, 0.5, Map.of(),
        Map.of("provider", "container")));
    matrix.mergeEntry(new Entry("postgresql", "restart", "lifeline", "completed", null, 0, Map.of(),
        Map.of("provider", "embedded", "failedBorrows", 0)));
    matrix.mergeEntry(new Entry("postgresql", "restart", "lifeline", "completed", null, 0, Map.of(),
        Map.of("provider", "container", "failedBorrows", 2)));
    JsonNode entries = JSON.readTree(dir.resolve(FaultMatrix.FILE_NAME).toFile()).get("entries");
    assertThat(entries).hasSize(2);
    assertThat(entries.get(0).get("provider").asText()).isEqualTo("container");
    assertThat(entries.get(0).get("failedBorrows").asInt()).isEqualTo(2);
    assertThat(entries.get(1).get("provider").asText()).isEqualTo("embedded");
    assertThat(entries.get(1).get("failedBorrows").asInt()).isZero();
  }

  @Test
  void writesEntriesWithFlatMetricsAndExplicitNulls() throws Exception {
    Path file = dir.resolve("sub").resolve(FaultMatrix.FILE_NAME);
    FaultMatrix matrix = new FaultMatrix(file);
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("keepaliveIdle", 1);
    settings.put("keepaliveInterval", 1);
    settings.put("keepaliveCount", 2);
    settings.put("userTimeoutMs", 3000);
    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("evictionLagMs", 120);
    metrics.put("states", List.of("CLOSE", "CLOSE_WAIT"));
    metrics.put("idleVerdictSeconds", null);
    matrix.add(new Entry("postgresql", "blackhole-idle", "lifeline", "detected", 3.25, 4.5, settings, metrics));
    matrix.add(new Entry("mysql", "blackhole-inflight", "baseline", "blocked", null, 20, Map.of(), Map.of()));

    JsonNode root = JSON.readTree(file.toFile());
    assertThat(fieldNames(root)).containsExactly("entries");
    assertThat(root.get("entries")).hasSize(2);

    JsonNode first = root.get("entries").get(0);
    assertThat(fieldNames(first)).containsExactly("driver", "fault", "mode", "outcome", "verdictSeconds",
        "capSeconds", "settings", "evictionLagMs", "states", "idleVerdictSeconds");
    assertThat(first.get("driver").asText()).isEqualTo("postgresql");
    assertThat(first.get("fault").asText()).isEqualTo("blackhole-idle");
    assertThat(first.get("mode").asText()).isEqualTo("lifeline");
    assertThat(first.get("outcome").asText()).isEqualTo("detected");
    assertThat(first.get("verdictSeconds").asDouble()).isEqualTo(3.25);
    assertThat(first.get("capSeconds").asDouble()).isEqualTo(4.5);
    assertThat(first.get("settings").get("userTimeoutMs").asInt()).isEqualTo(3000);
    assertThat(fieldNames(first.get("settings")))
        .containsExactly("keepaliveIdle", "keepaliveInterval", "keepaliveCount", "userTimeoutMs");
    assertThat(first.get("evictionLagMs").asInt()).isEqualTo(120);
    assertThat(first.get("states").get(1).asText()).isEqualTo("CLOSE_WAIT");
    assertThat(first.get("idleVerdictSeconds").isNull()).isTrue();
    assertThat(first.has("metrics")).isFalse();

    JsonNode second = root.get("entries").get(1);
    assertThat(fieldNames(second)).as("no metrics: nothing extra").containsExactly("driver", "fault", "mode",
        "outcome", "verdictSeconds", "capSeconds", "settings");
    assertThat(second.has("verdictSeconds")).isTrue();
    assertThat(second.get("verdictSeconds").isNull()).as("null verdict is written as null").isTrue();
    assertThat(second.get("capSeconds").asDouble()).isEqualTo(20.0);
    assertThat(second.get("settings").isObject()).isTrue();
    assertThat(second.get("settings")).isEmpty();

    assertThat(Files.readString(file)).contains("\"verdictSeconds\" : null");
    try (var files = Files.list(file.getParent())) {
      assertThat(files).as("no temporary file left").containsExactly(file);
    }
  }

  @Test
  void resetDeletesTheFileOfAnEarlierRun() throws Exception {
    Path file = dir.resolve(FaultMatrix.FILE_NAME);
    Files.writeString(file, "{\"entries\":[{\"old\":true}]}");
    FaultMatrix matrix = new FaultMatrix(file);
    matrix.reset();
    assertThat(file).doesNotExist();
    matrix.add(entry("restart", "lifeline", "detected"));
    JsonNode root = JSON.readTree(file.toFile());
    assertThat(root.get("entries")).hasSize(1);
    assertThat(root.get("entries").get(0).has("old")).isFalse();
  }

  @Test
  void rejectsUnknownValues() {
    assertThatThrownBy(() -> new Entry("oracle", "crash", "lifeline", "detected", 1.0, 2, Map.of(), Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown driver 'oracle'; expected one of [mysql, postgresql]");
    assertThatThrownBy(() -> new Entry("mysql", "meteor", "lifeline", "detected", 1.0, 2, Map.of(), Map.of()))
        .hasMessageContaining("unknown fault 'meteor'").hasMessageContaining("silent-failover");
    assertThatThrownBy(() -> new Entry("mysql", "crash", "stock", "detected", 1.0, 2, Map.of(), Map.of()))
        .hasMessage("unknown mode 'stock'; expected one of [baseline, lifeline]");
    assertThatThrownBy(() -> new Entry("mysql", "crash", "lifeline", "timeout", 1.0, 2, Map.of(), Map.of()))
        .hasMessage("unknown outcome 'timeout'; expected one of [blocked, completed, detected, error]");
    assertThatThrownBy(() -> new Entry(null, "crash", "lifeline", "error", 1.0, 2, Map.of(), Map.of()))
        .hasMessageContaining("unknown driver null");
    assertThatThrownBy(() -> new Entry("mysql", "crash", "lifeline", "error", -1.0, 2, Map.of(), Map.of()))
        .hasMessageContaining("verdictSeconds");
    assertThatThrownBy(() -> new Entry("mysql", "crash", "lifeline", "error", Double.NaN, 2, Map.of(), Map.of()))
        .hasMessageContaining("verdictSeconds");
    assertThatThrownBy(() -> new Entry("mysql", "crash", "lifeline", "error", 1.0, Double.NaN, Map.of(), Map.of()))
        .hasMessageContaining("capSeconds");
    assertThatThrownBy(() -> new Entry("mysql", "crash", "baseline", "error", 1.0, 2,
        Map.of("userTimeoutMs", 3000), Map.of()))
        .hasMessageContaining("baseline entry has no Lifeline settings");
    assertThatThrownBy(() -> new Entry("mysql", "crash", "lifeline", "error", 1.0, 2, Map.of(),
        Map.of("outcome", "x")))
        .hasMessageContaining("metric 'outcome' would overwrite");
  }

  @Test
  void nullMapsAreEmptyAndMapsAreCopied() {
    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("failedBorrows", 0);
    Entry entry = new Entry("mysql", "freeze", "baseline", "blocked", null, 10, null, metrics);
    metrics.put("later", 1);
    assertThat(entry.settings()).isEmpty();
    assertThat(entry.metrics()).containsOnlyKeys("failedBorrows");
    assertThatThrownBy(() -> entry.metrics().put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void concurrentRecordsAllArriveInAValidFile() throws Exception {
    Path file = dir.resolve(FaultMatrix.FILE_NAME);
    FaultMatrix matrix = new FaultMatrix(file);
    int threads = 8;
    int perThread = 25;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          go.await();
          for (int i = 0; i < perThread; i++) {
            matrix.add(new Entry("postgresql", "long-query", "baseline", "completed", null, 18, Map.of(),
                Map.of("thread", thread, "i", i)));
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> future : futures) {
        future.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(JSON.readTree(file.toFile()).get("entries")).hasSize(threads * perThread);
  }

  @Test
  void fileComesFromTheTargetProperty() {
    String before = System.getProperty(FaultMatrix.TARGET_PROPERTY);
    try {
      System.setProperty(FaultMatrix.TARGET_PROPERTY, dir.toString());
      assertThat(FaultMatrix.file()).isEqualTo(dir.toAbsolutePath().resolve("fault-matrix.json"));
      System.clearProperty(FaultMatrix.TARGET_PROPERTY);
      assertThat(FaultMatrix.file()).isEqualTo(Path.of("target", "fault-matrix.json").toAbsolutePath());
    } finally {
      if (before == null) {
        System.clearProperty(FaultMatrix.TARGET_PROPERTY);
      } else {
        System.setProperty(FaultMatrix.TARGET_PROPERTY, before);
      }
    }
  }

  private static Entry entry(String fault, String mode, String outcome) {
    return new Entry("postgresql", fault, mode, outcome, 0.5, 1, Map.of(), Map.of());
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      names.add(it.next());
    }
    return names;
  }
}
