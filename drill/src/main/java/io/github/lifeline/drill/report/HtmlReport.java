package io.github.lifeline.drill.report;

import static io.github.lifeline.drill.report.SvgTimeline.esc;

import java.util.List;
import java.util.Locale;

/** {@code report.html}: the comparison table and one timeline per scenario, in one file with nothing to fetch. */
public final class HtmlReport {

  private HtmlReport() {
  }

  /** The page. */
  public static String render(DrillReport r) {
    DrillReport.Meta m = r.drill();
    StringBuilder b = new StringBuilder();
    b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Lifeline drill ")
        .append(esc(m.date())).append("</title>\n<style>\n")
        .append("body{font-family:sans-serif;margin:24px;color:#222;max-width:1040px}")
        .append("table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 8px;")
        .append("text-align:right}th{background:#f2f2f2}td.l,th.l{text-align:left}td.life{font-weight:bold;")
        .append("background:#f1f8e9}td.note{text-align:left;color:#666}section{margin:28px 0}")
        .append("svg{max-width:100%;height:auto;border:1px solid #eee}code{background:#f4f4f4;padding:1px 3px}")
        .append("\n</style></head><body>\n");
    b.append("<h1>Lifeline drill</h1>\n<p>").append(esc(m.date())).append(" · ").append(esc(m.mode()))
        .append(" run, ").append(String.format(Locale.ROOT, "%.0f s", m.totalSeconds())).append(" · ")
        .append(esc(machine(m.machine()))).append("</p>\n");
    DrillReport.Load l = m.load();
    b.append("<p>Each scenario opens two pools of ").append(l.poolSize()).append(" connections against the same ")
        .append("server at the same time: the <b>baseline</b> (stock HikariCP and driver settings) and the same ")
        .append("properties as a <b>LifelineDataSource</b>. One borrower per pool borrows, runs <code>")
        .append(esc(l.statement())).append("</code> and returns the connection every ").append(l.borrowPeriodMs())
        .append(" ms (connectionTimeout ").append(l.connectionTimeoutMs()).append(" ms). Both are judged by the ")
        .append("same rule and by the kernel's clock: a connection dies at its socket's own kernel event (FIN, ")
        .append("reset, keepalive or user timeout), or at the fault for a blackhole; a failed statement on a ")
        .append("connection handed out before its own death was in flight and is counted apart, in brackets. ")
        .append("<b>≥</b> marks a number that reached the scenario's window: a lower bound.</p>\n");
    b.append(table(r));
    for (ScenarioResult s : r.scenarios()) {
      b.append("<section id=\"").append(esc(s.driver() + "-" + s.fault())).append("\">\n<h2>")
          .append(esc(s.driver() + " · " + s.fault())).append("</h2>\n<p>").append(esc(s.description()))
          .append("</p>\n");
      if (!s.ran()) {
        b.append("<p><b>").append(esc(s.status())).append(":</b> ").append(esc(s.reason())).append("</p>\n")
            .append("</section>\n");
        continue;
      }
      b.append("<p>Caller: ").append(esc(s.window().caller())).append(". Settings: <code>")
          .append(esc(String.valueOf(s.settings()))).append("</code></p>\n");
      b.append(SvgTimeline.render(s));
      b.append("</section>\n");
    }
    b.append("</body></html>\n");
    return b.toString();
  }

  private static String table(DrillReport r) {
    StringBuilder b = new StringBuilder("<table>\n<tr><th class=\"l\" rowspan=\"2\">scenario</th>");
    for (String c : Table.COLUMNS) {
      b.append("<th colspan=\"2\">").append(esc(c)).append("</th>");
    }
    b.append("</tr>\n<tr>");
    b.append("<th>baseline</th><th>Lifeline</th>".repeat(Table.COLUMNS.size()));
    b.append("</tr>\n");
    List<Table.Row> rows = Table.rows(r);
    for (Table.Row row : rows) {
      String id = row.label().replace(' ', '-');
      b.append("<tr><td class=\"l\"><a href=\"#").append(esc(id)).append("\">").append(esc(row.label()))
          .append("</a></td>");
      if (row.cells().isEmpty()) {
        b.append("<td class=\"note\" colspan=\"").append(Table.COLUMNS.size() * 2).append("\">")
            .append(esc(row.note())).append("</td></tr>\n");
        continue;
      }
      for (String[] c : row.cells()) {
        b.append("<td>").append(esc(c[0])).append("</td><td class=\"life\">").append(esc(c[1])).append("</td>");
      }
      b.append("</tr>\n");
    }
    b.append("</table>\n");
    return b.toString();
  }

  /** One line about the host. */
  public static String machine(DrillReport.Machine m) {
    return m.os() + ", kernel " + m.kernel() + ", " + m.cpus() + " CPUs" + (m.memoryMb() > 0 ? ", "
        + (m.memoryMb() / 1024) + " GiB" : "") + ", JDK " + m.jdk() + String.format(Locale.ROOT,
        ", load average %.2f at the start", m.loadAverage()) + (m.uid() == 0 ? ", root" : ", uid " + m.uid());
  }
}
