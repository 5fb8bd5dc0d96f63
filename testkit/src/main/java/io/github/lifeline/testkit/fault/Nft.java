package io.github.lifeline.testkit.fault;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the {@code nft} command directly (no shell), optionally with a ruleset on its standard input. Every failure
 * names the command line, its exit code and its stderr.
 */
final class Nft {

  private static final long TIMEOUT_SECONDS = 15;

  private Nft() {
  }

  /** The result of one {@code nft} run. */
  record Result(List<String> command, int exitCode, String stdout, String stderr) {

    boolean ok() {
      return exitCode == 0;
    }

    /** @return a description for error messages: the command, the exit code and the stderr */
    String describe() {
      return "`" + String.join(" ", command) + "` exited with " + exitCode + ": "
          + (stderr.isBlank() ? "(no stderr)" : stderr.strip());
    }
  }

  /**
   * Runs {@code nft ARGS} and fails unless it exits 0.
   *
   * @param stdin text for the standard input (for {@code -f -}), or {@code null} for none
   * @return the standard output
   * @throws IllegalStateException naming the command and its stderr (and the input, if any)
   */
  public static String run(String stdin, String... args) {
    Result result = exec(stdin, args);
    if (!result.ok()) {
      throw new IllegalStateException(result.describe() + (stdin == null ? "" : "\n--- input ---\n" + stdin));
    }
    return result.stdout();
  }

  /**
   * Runs {@code nft ARGS} and returns whatever happened.
   *
   * @param stdin text for the standard input, or {@code null}
   * @throws IllegalStateException if nft is not installed, cannot be started, or hangs
   */
  static Result exec(String stdin, String... args) {
    List<String> command = new ArrayList<>();
    command.add(executable());
    command.addAll(List.of(args));
    Process process;
    try {
      process = new ProcessBuilder(command)
          .redirectInput(stdin == null ? ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())
              : ProcessBuilder.Redirect.PIPE)
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run `" + String.join(" ", command) + "`", e);
    }
    CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream()));
    try {
      if (stdin != null) {
        try (OutputStream in = process.getOutputStream()) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      String stdout = drain(process.getInputStream());
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("`" + String.join(" ", command) + "` did not finish within "
            + TIMEOUT_SECONDS + " s");
      }
      return new Result(command, process.exitValue(), stdout, stderr.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    } catch (IOException e) {
      process.destroyForcibly();
      throw new UncheckedIOException("cannot talk to `" + String.join(" ", command) + "`", e);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running `" + String.join(" ", command) + "`", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot read the stderr of `" + String.join(" ", command) + "`", e);
    }
  }

  /**
   * @return the path of the {@code nft} executable, looked up in {@code PATH}, then in {@code /usr/sbin} and
   *     {@code /sbin} (often missing from a non-root {@code PATH})
   * @throws IllegalStateException if there is none
   */
  public static String executable() {
    Set<String> dirs = new LinkedHashSet<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(":")));
    }
    dirs.addAll(List.of("/usr/sbin", "/sbin"));
    for (String dir : dirs) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, "nft");
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    throw new IllegalStateException("nft is not installed (apt-get install -y nftables)");
  }

  private static String drain(InputStream stream) {
    try (stream) {
      return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
