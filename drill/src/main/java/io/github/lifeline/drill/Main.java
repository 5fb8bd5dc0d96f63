package io.github.lifeline.drill;

import io.github.lifeline.drill.doctor.DoctorCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar lifeline-drill.jar run|doctor}: the drill runs real faults against stock HikariCP and Lifeline side
 * by side; the doctor inspects a live pool against your own database.
 */
@Command(name = "lifeline-drill", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    subcommands = {RunCommand.class, DoctorCommand.class},
    description = "Lifeline's drill (side-by-side fault scenarios) and doctor (a live pool's sockets and lint).")
public final class Main implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Runs the command line and exits with its code. */
  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns its exit code (for tests). */
  public static int execute(String... args) {
    return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: run or doctor");
  }

  /** Lifeline's version, from the jar's manifest. */
  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /** For {@code --version}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"lifeline-drill " + version()};
    }
  }
}
