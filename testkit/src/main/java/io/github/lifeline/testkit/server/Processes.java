package io.github.lifeline.testkit.server;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Small process helpers, all by PID: signals through the {@code kill} command, liveness and process trees from
 * {@code /proc}, and running a command to completion with its output in a log file. Never acts on process names.
 */
final class Processes {

  private Processes() {
  }

  /** @return the effective uid of this JVM (the owner of {@code /proc/self}) */
  static int currentUid() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the uid of this process", e);
    }
  }

  /**
   * @return whether the process exists and is not a zombie. A zombie holds no port, file or memory; it only waits
   *     for its parent to reap it.
   */
  static boolean isAlive(long pid) {
    char state = state(pid);
    return state != 0 && state != 'Z' && state != 'X' && state != 'x';
  }

  /** @return the process's state letter from {@code /proc/<pid>/stat} ('R', 'S', 'T', ...), or 0 if it is gone */
  static char state(long pid) {
    String stat;
    try {
      stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return 0; // gone (NoSuchFileException) or not readable
    }
    // "pid (comm) S ...": comm may hold spaces and parentheses, so take the state after the last ')'.
    int close = stat.lastIndexOf(')');
    if (close < 0 || close + 2 >= stat.length()) {
      return 0;
    }
    return stat.charAt(close + 2);
  }

  /**
   * Waits until each of {@code pids} is stopped ('T') or gone: {@code kill -STOP} returns when the signal is sent, and
   * a running process stops only when the kernel next schedules it.
   *
   * @return whether they all stopped within the timeout
   */
  static boolean awaitStopped(Collection<Long> pids, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (pids.stream().map(Processes::state).anyMatch(s -> s != 0 && s != 'T' && s != 'Z' && s != 'X')) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      sleep(1);
    }
    return true;
  }

  /** @return the PIDs of all live descendants of {@code pid}, children before grandchildren; empty if it is gone */
  static List<Long> descendants(long pid) {
    List<Long> result = new ArrayList<>();
    ProcessHandle.of(pid).ifPresent(handle -> handle.descendants()
        .filter(ProcessHandle::isAlive)
        .forEach(child -> result.add(child.pid())));
    return result;
  }

  /**
   * Sends a signal with the {@code kill} command. Processes that are already gone are not an error.
   *
   * @param signal a signal name without the {@code SIG} prefix, e.g. {@code INT}, {@code STOP}
   * @param pids the exact processes to signal
   */
  static void signal(String signal, Collection<Long> pids) {
    if (pids.isEmpty()) {
      return;
    }
    List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
    pids.forEach(pid -> command.add(Long.toString(pid)));
    try {
      Process kill = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      if (!kill.waitFor(10, TimeUnit.SECONDS)) {
        kill.destroyForcibly();
        throw new IllegalStateException("kill -" + signal + " " + pids + " did not finish");
      }
      // A non-zero exit only means that some of the processes were already gone.
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command, e);
    }
  }

  /** {@link #signal(String, Collection)} for one process. */
  static void signal(String signal, long pid) {
    signal(signal, List.of(pid));
  }

  /**
   * Waits until none of {@code pids} is alive.
   *
   * @return whether they all went within the timeout
   */
  static boolean awaitGone(Collection<Long> pids, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (pids.stream().anyMatch(Processes::isAlive)) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      sleep(10);
    }
    return true;
  }

  /**
   * Runs a command to completion, appending its stdout and stderr to {@code log}.
   *
   * @throws IllegalStateException if it fails or times out; the message holds the tail of the log
   */
  static void run(List<String> command, Path workDir, Path log, Duration timeout) {
    try {
      Files.createDirectories(log.getParent());
      Process process = new ProcessBuilder(command)
          .directory(workDir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor();
        throw new IllegalStateException("timed out after " + timeout + ": " + command + "\n" + tail(log));
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            "exit code " + process.exitValue() + ": " + command + "\n" + tail(log));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command, e);
    }
  }

  /** @return the last lines of a log file, for error messages; never throws */
  static String tail(Path log) {
    try {
      List<String> lines = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines().toList();
      int from = Math.max(0, lines.size() - 40);
      return "--- last lines of " + log + " ---\n" + String.join("\n", lines.subList(from, lines.size()));
    } catch (IOException e) {
      return "(no log at " + log + ": " + e + ")";
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
