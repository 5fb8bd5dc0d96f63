package io.github.lifeline.drill.report;

import java.util.List;
import java.util.Locale;

/**
 * One scenario as a picture: the baseline above Lifeline on the same time axis. Each panel shows the pool's
 * connections (alive, dead but still in the pool, and the dead ones closed so far) and every borrow's latency, with
 * marks for the fault, the kernel's first verdict and the heal. Self-contained SVG: no script, no font or file from
 * elsewhere.
 */
public final class SvgTimeline {

  private static final int WIDTH = 980;
  private static final int LEFT = 150;
  private static final int RIGHT = 24;
  private static final int TOP = 58;
  private static final int CONN_H = 64;
  private static final int LAT_H = 96;
  private static final int PANEL_GAP = 46;
  private static final int PANEL_H = CONN_H + 14 + LAT_H;
  private static final int BOTTOM = 64;
  private static final double MIN_MS = 0.1;

  private static final String ALIVE = "#4caf50";
  private static final String DEAD = "#e53935";
  private static final String EVICTED = "#616161";
  private static final String OK = "#1e88e5";
  private static final String FAILED = "#d32f2f";
  private static final String INFLIGHT = "#fb8c00";
  private static final String BLOCKED = "#8e24aa";
  private static final String VERDICT = "#6a1b9a";
  private static final String HEAL = "#2e7d32";

  private SvgTimeline() {
  }

  /** The picture of one scenario that ran. */
  public static String render(ScenarioResult s) {
    ScenarioResult.Window w = s.window();
    double t0 = Math.floor(w.startSeconds() * 10) / 10;
    double t1 = w.capSeconds();
    int poolSize = ((Number) s.settings().getOrDefault("poolSize", 6)).intValue();
    double maxMs = Math.max(1000, t1 * 1000);
    Scale x = new Scale(t0, t1, LEFT, WIDTH - RIGHT);
    int height = TOP + 2 * PANEL_H + PANEL_GAP + BOTTOM;
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\""
        + " height=\"%d\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\">%n", WIDTH, height, WIDTH,
        height));
    b.append("<title>").append(esc(s.driver() + " " + s.fault() + ": baseline above, Lifeline below"))
        .append("</title>\n");
    b.append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
    b.append(String.format(Locale.ROOT, "<text x=\"8\" y=\"18\" font-size=\"14\" font-weight=\"bold\">%s</text>%n",
        esc(s.driver() + " · " + s.fault() + ": baseline above, Lifeline below, same server, same time")));
    b.append(String.format(Locale.ROOT, "<text x=\"8\" y=\"33\" fill=\"#555\">%s</text>%n",
        esc(shorten(s.description(), 160))));
    panel(b, s, s.baseline(), "baseline", "stock HikariCP + driver", TOP, x, poolSize, maxMs);
    panel(b, s, s.lifeline(), "Lifeline", "LifelineDataSource", TOP + PANEL_H + PANEL_GAP, x, poolSize, maxMs);
    int axisY = TOP + 2 * PANEL_H + PANEL_GAP + 4;
    axis(b, x, axisY);
    double[] marks = {0, w.reachableSeconds() == null ? Double.NaN : w.reachableSeconds(),
        w.healSeconds() == null ? Double.NaN : w.healSeconds()};
    mark(b, x, marks[0], TOP - 16, axisY, "#000000", "fault", "6,3");
    double back = !Double.isNaN(marks[2]) && marks[2] <= t1 ? marks[2]
        : !Double.isNaN(marks[1]) && marks[1] > 0.05 && marks[1] <= t1 ? marks[1] : Double.NaN;
    if (!Double.isNaN(back)) {
      // A label close to the fault's goes one line lower, so that the two do not overlap.
      boolean close = x.px(back) - x.px(0) < 80;
      mark(b, x, back, close ? TOP - 4 : TOP - 16, axisY, HEAL, back == marks[2] ? "heal" : "server back", "2,3");
    }
    legend(b, axisY + 30);
    b.append("</svg>\n");
    return b.toString();
  }

  private static void panel(StringBuilder b, ScenarioResult s, SideResult side, String name, String what, int y,
      Scale x, int poolSize, double maxMs) {
    int connTop = y;
    int latTop = y + CONN_H + 14;
    b.append(String.format(Locale.ROOT, "<text x=\"8\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">%s</text>%n",
        y + 14, esc(name)));
    b.append(String.format(Locale.ROOT, "<text x=\"8\" y=\"%d\" fill=\"#555\">%s</text>%n", y + 28, esc(what)));
    b.append(String.format(Locale.ROOT, "<text x=\"8\" y=\"%d\" fill=\"#555\">connections</text>%n",
        connTop + CONN_H - 4));
    b.append(String.format(Locale.ROOT, "<text x=\"8\" y=\"%d\" fill=\"#555\">borrow latency</text>%n",
        latTop + LAT_H / 2));
    summary(b, side, x.to, y);
    frame(b, x, connTop, CONN_H);
    frame(b, x, latTop, LAT_H);

    // Connections: alive (green) and dead (red) stacked, dead ones closed so far (grey line).
    double ys = (CONN_H - 6) / (double) (poolSize + 1);
    List<double[]> pool = side.timeline().pool();
    StringBuilder alive = new StringBuilder();
    StringBuilder dead = new StringBuilder();
    StringBuilder evicted = new StringBuilder();
    for (int i = 0; i < pool.size(); i++) {
      double[] p = pool.get(i);
      double xa = x.px(Math.max(p[0], x.from));
      double xb = i + 1 < pool.size() ? x.px(Math.max(pool.get(i + 1)[0], x.from)) : x.px(x.to);
      if (xb <= xa) {
        continue;
      }
      double base = connTop + CONN_H;
      double ha = p[2] * ys;
      double hd = p[3] * ys;
      if (ha > 0) {
        alive.append(rect(xa, base - ha, xb - xa, ha));
      }
      if (hd > 0) {
        dead.append(rect(xa, base - ha - hd, xb - xa, hd));
      }
      evicted.append(evicted.length() == 0 ? "M" : "L").append(f(xa)).append(',').append(f(base - p[4] * ys))
          .append(" L").append(f(xb)).append(',').append(f(base - p[4] * ys)).append(' ');
    }
    b.append("<g fill=\"").append(ALIVE).append("\" fill-opacity=\"0.55\">").append(alive).append("</g>\n");
    b.append("<g fill=\"").append(DEAD).append("\" fill-opacity=\"0.75\">").append(dead).append("</g>\n");
    if (evicted.length() > 0) {
      b.append("<path d=\"").append(evicted).append("\" fill=\"none\" stroke=\"").append(EVICTED)
          .append("\" stroke-width=\"1.5\" stroke-dasharray=\"4,2\"/>\n");
    }
    b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%s\" fill=\"#777\" text-anchor=\"end\">%d</text>%n",
        LEFT - 4, f(connTop + CONN_H - poolSize * ys + 4), poolSize));

    // Latency, log scale.
    Scale ly = new Scale(Math.log10(MIN_MS), Math.log10(maxMs), latTop + LAT_H - 2, latTop + 2);
    for (double ms : new double[] {1, 10, 100, 1000, 10000}) {
      if (ms > maxMs) {
        break;
      }
      double yy = ly.px(Math.log10(ms));
      b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%s\" y2=\"%s\" stroke=\"#eee\"/>"
          + "<text x=\"%d\" y=\"%s\" fill=\"#777\" text-anchor=\"end\">%s</text>%n", LEFT, WIDTH - RIGHT, f(yy),
          f(yy), LEFT - 4, f(yy + 4), ms >= 1000 ? (int) (ms / 1000) + " s" : (int) ms + " ms"));
    }
    // Fast borrows: the highest per pixel column, as one path; slow and failed ones one by one.
    double[] column = new double[WIDTH];
    StringBuilder spans = new StringBuilder();
    StringBuilder marks = new StringBuilder();
    for (double[] p : side.timeline().borrows()) {
      double ms = Math.max(MIN_MS, p[1]);
      double xs = x.px(Math.max(p[0], x.from));
      double yy = ly.px(Math.log10(Math.min(ms, maxMs)));
      int code = (int) p[2];
      if (ms >= 50) {
        double xe = x.px(Math.min(p[0] + ms / 1000.0, x.to));
        spans.append(String.format(Locale.ROOT, "<line x1=\"%s\" x2=\"%s\" y1=\"%s\" y2=\"%s\" stroke=\"%s\""
            + " stroke-width=\"%s\" stroke-opacity=\"0.6\"/>%n", f(xs), f(xe), f(yy), f(yy),
            code == 3 ? BLOCKED : code == 1 ? FAILED : code == 2 ? INFLIGHT : OK, code == 3 ? "3" : "1.5"));
      }
      if (code == 0 && ms < 50) {
        int col = (int) Math.round(xs);
        if (col >= 0 && col < WIDTH) {
          column[col] = Math.max(column[col], ms);
        }
      } else {
        // At the moment the caller got its answer (or the window ended).
        marks.append(marker(code, x.px(Math.min(p[0] + ms / 1000.0, x.to)), yy));
      }
    }
    StringBuilder fast = new StringBuilder();
    for (int col = 0; col < WIDTH; col++) {
      if (column[col] > 0) {
        fast.append(String.format(Locale.ROOT, "M%d,%s v-1.6 ", col, f(ly.px(Math.log10(column[col])) + 0.8)));
      }
    }
    b.append("<path d=\"").append(fast).append("\" stroke=\"").append(OK).append("\" stroke-width=\"2\"/>\n");
    b.append(spans).append(marks);

    // The statement held in flight at the fault.
    double[] held = side.timeline().held();
    if (held != null && held.length == 2) {
      double xa = x.px(Math.max(held[0], x.from));
      double xb = x.px(Math.min(held[1], x.to));
      b.append(String.format(Locale.ROOT, "<rect x=\"%s\" y=\"%d\" width=\"%s\" height=\"5\" fill=\"%s\"/>%n"
          + "<text x=\"%s\" y=\"%d\" fill=\"%s\">statement in flight: %s</text>%n", f(xa), latTop + 3,
          f(Math.max(1, xb - xa)), INFLIGHT, f(xa + 4), latTop + 18, INFLIGHT,
          esc(String.format(Locale.ROOT, "%.2f s, %s", held[1] - held[0], side.heldCaller()))));
    }

    // The kernel's first verdict on one of this pool's connections.
    if (side.kernelVerdictSeconds() != null && side.kernelVerdictSeconds() <= x.to) {
      double xv = x.px(side.kernelVerdictSeconds());
      boolean right = xv > WIDTH - RIGHT - 140;
      b.append(String.format(Locale.ROOT, "<line x1=\"%s\" x2=\"%s\" y1=\"%d\" y2=\"%d\" stroke=\"%s\""
          + " stroke-width=\"1.5\"/>%n<text x=\"%s\" y=\"%d\" fill=\"%s\" text-anchor=\"%s\">kernel verdict +%.2f s"
          + "</text>%n", f(xv), f(xv), connTop, latTop + LAT_H, VERDICT, f(right ? xv - 3 : xv + 3), connTop + 11,
          VERDICT, right ? "end" : "start", side.kernelVerdictSeconds()));
    }
  }

  private static void summary(StringBuilder b, SideResult side, double cap, int y) {
    String text = "caller blocked " + Table.num(side.callerBlockedSeconds(), side, "callerBlockedSeconds", 2)
        + " s · dead in pool " + Table.num(side.deadInPoolSeconds(), side, "deadInPoolSeconds", 2) + " s · failed "
        + Table.failed(side) + " · worst borrow " + Table.num(side.worstBorrowMs(), side, "worstBorrowMs", 0)
        + " ms";
    b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#333\">%s</text>%n",
        WIDTH - RIGHT, y - 4, esc(text)));
  }

  private static String marker(int code, double x, double y) {
    switch (code) {
      case 1:
        return String.format(Locale.ROOT, "<path d=\"M%s,%s l6,6 m0,-6 l-6,6\" stroke=\"%s\" stroke-width=\"2\"/>%n",
            f(x - 3), f(y - 3), FAILED);
      case 2:
        return String.format(Locale.ROOT, "<circle cx=\"%s\" cy=\"%s\" r=\"3.5\" fill=\"none\" stroke=\"%s\""
            + " stroke-width=\"1.5\"/>%n", f(x), f(y), INFLIGHT);
      case 3:
        return String.format(Locale.ROOT, "<path d=\"M%s,%s l6,-4 l0,8 z\" fill=\"%s\"/>%n", f(x - 6), f(y), BLOCKED);
      default:
        return String.format(Locale.ROOT, "<circle cx=\"%s\" cy=\"%s\" r=\"2.5\" fill=\"%s\"/>%n", f(x), f(y), OK);
    }
  }

  private static void frame(StringBuilder b, Scale x, int top, int h) {
    b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\""
        + " stroke=\"#ccc\"/>%n", LEFT, top, WIDTH - RIGHT - LEFT, h));
  }

  private static void axis(StringBuilder b, Scale x, int y) {
    double span = x.to - x.from;
    double step = span > 12 ? 2 : span > 5 ? 1 : 0.5;
    b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n", LEFT,
        WIDTH - RIGHT, y, y));
    for (double t = Math.ceil(x.from / step) * step; t <= x.to + 1e-9; t += step) {
      double xx = x.px(t);
      b.append(String.format(Locale.ROOT, "<line x1=\"%s\" x2=\"%s\" y1=\"%d\" y2=\"%d\" stroke=\"#333\"/>"
          + "<text x=\"%s\" y=\"%d\" text-anchor=\"middle\">%s s</text>%n", f(xx), f(xx), y, y + 4, f(xx), y + 16,
          step < 1 ? String.format(Locale.ROOT, "%.1f", t) : String.valueOf(Math.round(t))));
    }
    b.append(String.format(Locale.ROOT, "<text x=\"8\" y=\"%d\" fill=\"#555\">time since the fault</text>%n",
        y + 16));
  }

  private static void mark(StringBuilder b, Scale x, double t, int y1, int y2, String color, String label,
      String dash) {
    double xx = x.px(t);
    b.append(String.format(Locale.ROOT, "<line x1=\"%s\" x2=\"%s\" y1=\"%d\" y2=\"%d\" stroke=\"%s\""
        + " stroke-width=\"1.5\" stroke-dasharray=\"%s\"/>%n<text x=\"%s\" y=\"%d\" fill=\"%s\""
        + " font-weight=\"bold\">%s</text>%n", f(xx), f(xx), y1, y2, color, dash, f(xx + 3), y1 + 2, color,
        esc(label)));
  }

  private static void legend(StringBuilder b, int y) {
    String[][] items = {
        {"rect", ALIVE, "connection alive"}, {"rect", DEAD, "dead, still in the pool"},
        {"line", EVICTED, "dead ones closed"}, {"dot", OK, "borrow (latency)"}, {"x", FAILED, "failed borrow"},
        {"ring", INFLIGHT, "failed, in flight at the death"}, {"tri", BLOCKED, "still blocked at the end"},
        {"vline", VERDICT, "kernel verdict"}};
    int xx = LEFT;
    for (String[] it : items) {
      int needed = 16 + it[2].length() * 6 + 14;
      if (xx + needed > WIDTH - RIGHT) {
        xx = LEFT;
        y += 16;
      }
      switch (it[0]) {
        case "rect":
          b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"10\" fill=\"%s\""
              + " fill-opacity=\"0.7\"/>", xx, y - 9, it[1]));
          break;
        case "line":
          b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\""
              + " stroke-dasharray=\"4,2\" stroke-width=\"1.5\"/>", xx, xx + 12, y - 4, y - 4, it[1]));
          break;
        case "vline":
          b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\""
              + " stroke-width=\"1.5\"/>", xx + 6, xx + 6, y - 10, y + 1, it[1]));
          break;
        default:
          b.append(marker(it[0].equals("x") ? 1 : it[0].equals("ring") ? 2 : it[0].equals("tri") ? 3 : 0, xx + 6,
              y - 4));
      }
      b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", xx + 16, y, esc(it[2])));
      xx += needed;
    }
  }

  private static String rect(double x, double y, double w, double h) {
    return "<rect x=\"" + f(x) + "\" y=\"" + f(y) + "\" width=\"" + f(w) + "\" height=\"" + f(h) + "\"/>";
  }

  private static String f(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String shorten(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }

  /** Escapes text for XML. */
  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  /** A linear map from data to pixels. */
  private record Scale(double from, double to, double pxFrom, double pxTo) {
    double px(double v) {
      return pxFrom + (v - from) / (to - from) * (pxTo - pxFrom);
    }
  }
}
