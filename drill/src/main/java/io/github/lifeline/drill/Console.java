package io.github.lifeline.drill;

import io.github.lifeline.drill.run.Progress;
import java.io.PrintStream;
import java.util.Locale;

/**
 * The drill's console: what runs now and a time bar for the scenario's window, redrawn in place on a terminal, one
 * line per second otherwise.
 */
final class Console implements Progress {

  private static final int BAR = 24;

  private final PrintStream out;
  private final boolean terminal;
  private String prefix = "";
  private int lastSecond = -1;
  private boolean open;

  Console(PrintStream out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  /** Starts a scenario's block. */
  void scenario(int index, int total, String name, String description) {
    endLine();
    out.printf(Locale.ROOT, "[%d/%d] %s%n      %s%n", index, total, name, description);
    prefix = "      ";
    lastSecond = -1;
  }

  void line(String text) {
    endLine();
    out.println(text);
  }

  @Override
  public void phase(String what) {
    endLine();
    out.println(prefix + "· " + what);
  }

  @Override
  public void tick(double elapsed, double cap, String now) {
    int filled = (int) Math.round(Math.min(1, Math.max(0, elapsed / cap)) * BAR);
    String text = String.format(Locale.ROOT, "%s[%s%s] %5.1f s / %.1f s  %s", prefix, "█".repeat(filled),
        "░".repeat(BAR - filled), elapsed, cap, now);
    if (terminal) {
      out.print("\r" + text + "\u001b[K");
      open = true;
    } else if ((int) elapsed != lastSecond) {
      lastSecond = (int) elapsed;
      out.println(text);
    }
  }

  private void endLine() {
    if (open) {
      out.println();
      open = false;
    }
  }
}
