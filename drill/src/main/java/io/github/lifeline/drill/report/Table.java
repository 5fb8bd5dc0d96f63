package io.github.lifeline.drill.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The comparison table: one row per scenario, baseline against Lifeline for each number. Rendered for the console,
 * as Markdown (for the README) and as HTML cells.
 */
public final class Table {

  /** The column groups, each a baseline and a Lifeline value. */
  public static final List<String> COLUMNS = List.of("caller blocked (s)", "dead in pool (s)",
      "failed borrows (in flight)", "worst borrow (ms)", "refill (ms)");

  private Table() {
  }

  /** One row: the scenario's label and, per column, the baseline's and Lifeline's text. */
  public record Row(String label, List<String[]> cells, String note) {
  }

  /** The rows of a report, skipped scenarios included with their reason. */
  public static List<Row> rows(DrillReport report) {
    List<Row> rows = new ArrayList<>();
    for (ScenarioResult s : report.scenarios()) {
      String label = s.driver() + " " + s.fault();
      if (!s.ran()) {
        rows.add(new Row(label, List.of(), s.status() + ": " + s.reason()));
        continue;
      }
      SideResult b = s.baseline();
      SideResult l = s.lifeline();
      List<String[]> cells = new ArrayList<>();
      cells.add(new String[] {num(b.callerBlockedSeconds(), b, "callerBlockedSeconds", 2),
          num(l.callerBlockedSeconds(), l, "callerBlockedSeconds", 2)});
      cells.add(new String[] {num(b.deadInPoolSeconds(), b, "deadInPoolSeconds", 2),
          num(l.deadInPoolSeconds(), l, "deadInPoolSeconds", 2)});
      cells.add(new String[] {failed(b), failed(l)});
      cells.add(new String[] {num(b.worstBorrowMs(), b, "worstBorrowMs", 0), num(l.worstBorrowMs(), l,
          "worstBorrowMs", 0)});
      cells.add(new String[] {num(b.refillMs(), b, "refillMs", 0), num(l.refillMs(), l, "refillMs", 0)});
      String note = s.baseline().heldCaller() != null ? "in flight: baseline " + b.heldCaller() + ", lifeline "
          + l.heldCaller() : null;
      rows.add(new Row(label, cells, note));
    }
    return rows;
  }

  static String failed(SideResult s) {
    return s.failedBorrows() + (s.failedBeforeLifelineKnew() > 0 ? "*" : "")
        + (s.inflightFailures() > 0 ? " (" + s.inflightFailures() + ")" : "");
  }

  /** A number, {@code ≥} before it when it reached the cap, {@code -} when it does not apply. */
  static String num(Double v, SideResult side, String field, int decimals) {
    if (v == null) {
      return "-";
    }
    String text = String.format(Locale.ROOT, "%." + decimals + "f", v);
    return side.cappedFields().contains(field) ? "≥" + text : text;
  }

  /** The table as fixed-width text for the console. */
  public static String text(DrillReport report) {
    List<Row> rows = rows(report);
    int labelWidth = Math.max(8, rows.stream().mapToInt(r -> r.label().length()).max().orElse(8));
    int[] widths = new int[COLUMNS.size()];
    for (int i = 0; i < COLUMNS.size(); i++) {
      widths[i] = Math.max(COLUMNS.get(i).length(), 15);
      for (Row r : rows) {
        if (!r.cells().isEmpty()) {
          widths[i] = Math.max(widths[i], r.cells().get(i)[0].length() + r.cells().get(i)[1].length() + 3);
        }
      }
    }
    StringBuilder b = new StringBuilder();
    b.append(pad("", labelWidth));
    for (int i = 0; i < COLUMNS.size(); i++) {
      b.append(" | ").append(pad(COLUMNS.get(i), widths[i]));
    }
    b.append('\n').append(pad("scenario", labelWidth));
    for (int i = 0; i < COLUMNS.size(); i++) {
      b.append(" | ").append(pad("base / lifeline", widths[i]));
    }
    b.append('\n').append("-".repeat(labelWidth));
    for (int w : widths) {
      b.append("-+-").append("-".repeat(w));
    }
    b.append('\n');
    for (Row r : rows) {
      b.append(pad(r.label(), labelWidth));
      if (r.cells().isEmpty()) {
        b.append(" | ").append(r.note()).append('\n');
        continue;
      }
      for (int i = 0; i < COLUMNS.size(); i++) {
        b.append(" | ").append(pad(r.cells().get(i)[0] + " / " + r.cells().get(i)[1], widths[i]));
      }
      b.append('\n');
    }
    return b.toString();
  }

  /** The table in Markdown. */
  public static String markdown(DrillReport report) {
    StringBuilder b = new StringBuilder("| scenario |");
    for (String c : COLUMNS) {
      b.append(" ").append(c).append(": baseline | Lifeline |");
    }
    b.append("\n|---|");
    b.append("---:|---:|".repeat(COLUMNS.size()));
    b.append('\n');
    for (Row r : rows(report)) {
      b.append("| ").append(r.label()).append(" |");
      if (r.cells().isEmpty()) {
        b.append(" ").append(r.note()).append(" |".repeat(COLUMNS.size() * 2)).append('\n');
        continue;
      }
      for (String[] c : r.cells()) {
        b.append(" ").append(c[0]).append(" | **").append(c[1]).append("** |");
      }
      b.append('\n');
    }
    return b.toString();
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s : s + " ".repeat(width - s.length());
  }
}
