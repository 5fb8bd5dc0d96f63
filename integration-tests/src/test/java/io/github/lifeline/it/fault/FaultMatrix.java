package io.github.lifeline.it.fault;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The fault matrix: one {@link Entry} per driver, fault and mode, written to {@code target/fault-matrix.json} of the
 * integration-tests module as {@code {"entries":[...]}}. The schema is documented in
 * {@code integration-tests/README.md}.
 *
 * <p>The file is rewritten whole and atomically (temporary file, then rename) after every {@link #record}, so a
 * reader never sees half a file and a JVM that dies keeps what it recorded. The first record of a JVM deletes the
 * file of an earlier run: the file holds the entries of one test JVM. Thread-safe.
 */
public final class FaultMatrix {

  /** System property with the module's build directory; failsafe sets it to {@code ${project.build.directory}}. */
  public static final String TARGET_PROPERTY = "lifeline.it.target";
  /** The name of the file in the build directory. */
  public static final String FILE_NAME = "fault-matrix.json";

  /** Values of {@link Entry#driver()}. */
  public static final Set<String> DRIVERS = Set.of("postgresql", "mysql");
  /** Values of {@link Entry#fault()}. */
  public static final Set<String> FAULTS = Set.of("restart", "crash", "blackhole-idle", "blackhole-inflight",
      "silent-failover", "long-query", "freeze");
  /** Values of {@link Entry#mode()}. */
  public static final Set<String> MODES = Set.of("baseline", "lifeline");
  /** Values of {@link Entry#outcome()}. */
  public static final Set<String> OUTCOMES = Set.of("detected", "error", "blocked", "completed");

  /** The fixed fields of an entry, in the order written; a metric may not reuse one of these names. */
  static final List<String> FIELDS = List.of("driver", "fault", "mode", "outcome", "verdictSeconds", "capSeconds",
      "settings");

  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private static FaultMatrix shared;

  private final Path file;
  private final List<Entry> entries = new ArrayList<>();

  /** @param file the file to (re)write; its directory is created when needed */
  FaultMatrix(Path file) {
    this.file = file;
  }

  /**
   * One measurement: how one driver, in one mode, fared against one fault.
   *
   * @param driver {@code postgresql} or {@code mysql}
   * @param fault {@code restart}, {@code crash}, {@code blackhole-idle}, {@code blackhole-inflight},
   *     {@code silent-failover}, {@code long-query} or {@code freeze}
   * @param mode {@code baseline} (stock driver and pool) or {@code lifeline}
   * @param outcome {@code detected} (the dead peer was noticed), {@code error} (the caller got an error),
   *     {@code blocked} (nothing happened within the cap) or {@code completed} (the statement succeeded)
   * @param verdictSeconds seconds from the fault to the outcome, or {@code null} when there was none within the cap
   * @param capSeconds how long the test waited for a verdict, in seconds
   * @param settings the Lifeline settings in force ({@code keepaliveIdle}, {@code keepaliveInterval} in seconds,
   *     {@code keepaliveCount}, {@code userTimeoutMs}); empty for {@code baseline}; {@code null} means empty
   * @param metrics further measurements, written flat into the entry; {@code null} means empty; values may be
   *     {@code null}, numbers, strings, booleans, lists or maps
   */
  public record Entry(String driver, String fault, String mode, String outcome, Double verdictSeconds,
      double capSeconds, Map<String, Object> settings, Map<String, Object> metrics) {

    /** Validates every field; the maps are copied (insertion order kept, {@code null} values allowed). */
    public Entry {
      oneOf("driver", driver, DRIVERS);
      oneOf("fault", fault, FAULTS);
      oneOf("mode", mode, MODES);
      oneOf("outcome", outcome, OUTCOMES);
      if (verdictSeconds != null && (verdictSeconds.isNaN() || verdictSeconds.isInfinite() || verdictSeconds < 0)) {
        throw new IllegalArgumentException("verdictSeconds must be null or a finite number >= 0, not "
            + verdictSeconds);
      }
      if (Double.isNaN(capSeconds) || Double.isInfinite(capSeconds) || capSeconds < 0) {
        throw new IllegalArgumentException("capSeconds must be a finite number >= 0, not " + capSeconds);
      }
      settings = copy(settings);
      metrics = copy(metrics);
      if (mode.equals("baseline") && !settings.isEmpty()) {
        throw new IllegalArgumentException("a baseline entry has no Lifeline settings, but got " + settings);
      }
      for (String key : metrics.keySet()) {
        if (key == null || key.isBlank()) {
          throw new IllegalArgumentException("a metric needs a name: " + metrics);
        }
        if (FIELDS.contains(key)) {
          throw new IllegalArgumentException("metric '" + key + "' would overwrite the entry field of that name; "
              + "the fields are " + FIELDS);
        }
      }
    }

    private static void oneOf(String field, String value, Set<String> allowed) {
      if (value == null || !allowed.contains(value)) {
        throw new IllegalArgumentException("unknown " + field + " " + (value == null ? "null" : "'" + value + "'")
            + "; expected one of " + new TreeSet<>(allowed));
      }
    }

    private static Map<String, Object> copy(Map<String, Object> map) {
      return map == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }

    /** @return the JSON object of this entry: the fixed fields in order, then the metrics, flat */
    Map<String, Object> toJsonObject() {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("driver", driver);
      json.put("fault", fault);
      json.put("mode", mode);
      json.put("outcome", outcome);
      json.put("verdictSeconds", verdictSeconds);
      json.put("capSeconds", capSeconds);
      json.put("settings", settings);
      json.putAll(metrics);
      return json;
    }
  }

  /**
   * Adds an entry and rewrites {@code fault-matrix.json} in the build directory ({@value #TARGET_PROPERTY}, or
   * {@code ./target} without it). The first call in a JVM deletes the file of an earlier run.
   *
   * @param entry the measurement
   * @throws UncheckedIOException if the file cannot be written
   */
  public static void record(Entry entry) {
    synchronized (FaultMatrix.class) {
      if (shared == null) {
        shared = new FaultMatrix(file());
        shared.reset();
      }
      shared.add(entry);
    }
  }

  /**
   * Adds measurements of a later layer (for example the pool's, beside the kernel's) to the entry of the same driver,
   * fault, mode and provider (the {@code provider} metric: embedded servers and containers never mix), keeping that
   * entry's other fields; records {@code entry} whole when there is none yet.
   *
   * @param entry the measurement; its metrics are added to the existing entry, replacing those of the same name
   */
  public static void merge(Entry entry) {
    synchronized (FaultMatrix.class) {
      if (shared == null) {
        shared = new FaultMatrix(file());
        shared.reset();
      }
      shared.mergeEntry(entry);
    }
  }

  synchronized void mergeEntry(Entry entry) {
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      if (e.driver().equals(entry.driver()) && e.fault().equals(entry.fault()) && e.mode().equals(entry.mode())
          && java.util.Objects.equals(e.metrics().get("provider"), entry.metrics().get("provider"))) {
        Map<String, Object> metrics = new LinkedHashMap<>(e.metrics());
        metrics.putAll(entry.metrics());
        entries.set(i, new Entry(e.driver(), e.fault(), e.mode(), e.outcome(), e.verdictSeconds(), e.capSeconds(),
            e.settings(), metrics));
        write();
        return;
      }
    }
    add(entry);
  }

  /** @return where {@link #record} writes: {@code <build directory>/fault-matrix.json} */
  public static Path file() {
    String target = System.getProperty(TARGET_PROPERTY);
    Path dir = target == null || target.isBlank() ? Path.of("target") : Path.of(target);
    return dir.toAbsolutePath().normalize().resolve(FILE_NAME);
  }

  /** Deletes the file of an earlier run. */
  synchronized void reset() {
    entries.clear();
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the fault matrix of an earlier run: " + file, e);
    }
  }

  /** Adds an entry and rewrites the file atomically. */
  synchronized void add(Entry entry) {
    if (entry == null) {
      throw new IllegalArgumentException("entry is null");
    }
    entries.add(entry);
    write();
  }

  /** @return the JSON text of the entries so far */
  synchronized String toJson() {
    List<Map<String, Object>> objects = new ArrayList<>();
    entries.forEach(entry -> objects.add(entry.toJsonObject()));
    try {
      return MAPPER.writeValueAsString(Map.of("entries", objects)) + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serialize the fault matrix", e);
    }
  }

  private void write() {
    String json = toJson();
    Path dir = file.toAbsolutePath().getParent();
    try {
      Files.createDirectories(dir);
      Path temp = Files.createTempFile(dir, FILE_NAME + ".", ".tmp");
      try {
        Files.writeString(temp, json);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(temp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the fault matrix " + file, e);
    }
  }
}
