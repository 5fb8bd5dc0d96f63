package io.github.lifeline.drill.run;

/** Where a scenario is: for the console. */
public interface Progress {

  /** A new phase of the scenario, e.g. {@code "opening both pools"}. */
  void phase(String what);

  /**
   * The clock of the measurement window.
   *
   * @param elapsedSeconds since the fault
   * @param capSeconds the window's end
   * @param now what is happening now
   */
  void tick(double elapsedSeconds, double capSeconds, String now);

  /** Does nothing. */
  Progress NONE = new Progress() {
    @Override
    public void phase(String what) {
    }

    @Override
    public void tick(double elapsedSeconds, double capSeconds, String now) {
    }
  };
}
