package io.github.lifeline.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel's own record of TCP connections ending, read from a tracefs instance of this process's own: the
 * {@code sock:inet_sock_set_state} tracepoint for every TCP socket leaving {@code ESTABLISHED}, and
 * {@code sock:inet_sk_error_report} for the errors the kernel reports on a socket (a reset, or keepalive or
 * {@code TCP_USER_TIMEOUT} giving up). Each record carries the kernel's timestamp on {@code CLOCK_MONOTONIC} (the
 * instance's {@code trace_clock} is set to {@code mono}), the clock of {@link System#nanoTime()}, at microsecond
 * resolution: the time of the state change itself, not of any thread's wake-up. Nothing is lost when the socket's
 * owner closes it at once, as an epoll registration's pending event is.
 *
 * <p>Needs root. tracefs is mounted at {@code /sys/kernel/tracing} when it is not (the standard mount point, which
 * systemd mounts at boot; it is left mounted). The instance ({@code instances/lifeline-deathwatch-<pid>-<n>}) is
 * removed on {@link #close()}; instances of processes that no longer run are removed at the next start.
 */
final class KernelTrace implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KernelTrace.class);
  private static final Path TRACEFS = Path.of("/sys/kernel/tracing");
  private static final String PREFIX = "lifeline-deathwatch-";
  private static final AtomicInteger SEQ = new AtomicInteger();
  private static final Pattern LINE = Pattern.compile(
      " (\\d+)\\.(\\d{6}): (inet_sock_set_state|inet_sk_error_report): (.*)$");
  private static final Pattern FIELD = Pattern.compile("(\\w+)=(\\S*)");

  /**
   * One record: a TCP socket of this host leaving {@code ESTABLISHED} ({@code newState} set, {@code error} 0), or an
   * error reported on one ({@code newState} null).
   *
   * @param nanos the kernel's timestamp, on the clock of {@link System#nanoTime()}
   */
  record Event(long nanos, InetSocketAddress local, InetSocketAddress remote, String newState, int error) {
  }

  private final Path instance;
  private final BufferedReader pipe;
  private final Thread reader;
  private volatile boolean running = true;

  private KernelTrace(Path instance, BufferedReader pipe, Consumer<Event> sink) {
    this.instance = instance;
    this.pipe = pipe;
    this.reader = new Thread(() -> read(sink), "kernel-trace");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Opens an instance with the two events enabled and starts reading it.
   *
   * @throws IOException naming what is missing when tracefs cannot be used (not root, no tracefs in the kernel)
   */
  static KernelTrace open(Consumer<Event> sink) throws IOException {
    mountIfNeeded();
    removeStale();
    Path instance = TRACEFS.resolve("instances").resolve(PREFIX + ProcessHandle.current().pid() + "-"
        + SEQ.incrementAndGet());
    Files.createDirectory(instance);
    try {
      write(instance.resolve("trace_clock"), "mono");
      if (Files.exists(instance.resolve("buffer_percent"))) {
        write(instance.resolve("buffer_percent"), "0"); // wake the reader on every record
      }
      Path sock = instance.resolve("events/sock");
      write(sock.resolve("inet_sock_set_state/filter"), "protocol == 6 && oldstate == 1");
      write(sock.resolve("inet_sk_error_report/filter"), "protocol == 6 && error != 0");
      write(sock.resolve("inet_sock_set_state/enable"), "1");
      write(sock.resolve("inet_sk_error_report/enable"), "1");
      BufferedReader pipe = new BufferedReader(new InputStreamReader(
          Files.newInputStream(instance.resolve("trace_pipe")), StandardCharsets.US_ASCII), 1 << 16);
      return new KernelTrace(instance, pipe, sink);
    } catch (IOException | RuntimeException e) {
      remove(instance);
      throw e;
    }
  }

  private static synchronized void mountIfNeeded() throws IOException {
    if (Files.isDirectory(TRACEFS.resolve("instances"))) {
      return;
    }
    if (!Files.isDirectory(TRACEFS)) {
      throw new IOException(TRACEFS + " does not exist: the kernel has no tracefs");
    }
    Process p = new ProcessBuilder("mount", "-t", "tracefs", "tracefs", TRACEFS.toString())
        .redirectErrorStream(true).start();
    String out;
    try {
      out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("mount -t tracefs did not finish");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted while mounting tracefs", e);
    }
    if (p.exitValue() != 0 || !Files.isDirectory(TRACEFS.resolve("instances"))) {
      throw new IOException("cannot mount tracefs at " + TRACEFS + " (exit " + p.exitValue() + "): " + out);
    }
    LOG.info("Mounted tracefs at {} (its standard place) for the kernel's record of TCP state changes", TRACEFS);
  }

  /** Removes the instances of earlier processes that ended without closing theirs. */
  private static void removeStale() {
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(TRACEFS.resolve("instances"), PREFIX + "*")) {
      for (Path p : dir) {
        String rest = p.getFileName().toString().substring(PREFIX.length());
        int dash = rest.indexOf('-');
        try {
          long pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
          if (ProcessHandle.of(pid).isEmpty()) {
            remove(p);
          }
        } catch (NumberFormatException e) {
          // not ours
        }
      }
    } catch (IOException e) {
      LOG.debug("cannot list tracefs instances: {}", e.getMessage());
    }
  }

  private void read(Consumer<Event> sink) {
    try {
      String line;
      while (running && (line = pipe.readLine()) != null) {
        Event e = parse(line);
        if (e != null) {
          sink.accept(e);
        }
      }
    } catch (IOException | RuntimeException e) {
      if (running) {
        LOG.warn("The kernel trace reader stopped: {}", e.toString());
      }
    }
  }

  /** Parses one line of {@code trace_pipe}; null for any other line (a marker, a lost-events notice). */
  static Event parse(String line) {
    Matcher m = LINE.matcher(line);
    if (!m.find()) {
      return null;
    }
    long nanos = Long.parseLong(m.group(1)) * 1_000_000_000L + Long.parseLong(m.group(2)) * 1_000L;
    Map<String, String> f = new HashMap<>();
    Matcher fm = FIELD.matcher(m.group(4));
    while (fm.find()) {
      f.put(fm.group(1), fm.group(2));
    }
    boolean v6 = "AF_INET6".equals(f.get("family"));
    InetSocketAddress local = address(f.get(v6 ? "saddrv6" : "saddr"), f.get("sport"));
    InetSocketAddress remote = address(f.get(v6 ? "daddrv6" : "daddr"), f.get("dport"));
    if (local == null || remote == null) {
      return null;
    }
    if ("inet_sock_set_state".equals(m.group(3))) {
      String state = f.get("newstate");
      return state == null ? null : new Event(nanos, local, remote, state.replaceFirst("^TCP_", ""), 0);
    }
    try {
      return new Event(nanos, local, remote, null, Integer.parseInt(f.getOrDefault("error", "0")));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** An address as the trace prints it; a v4-mapped IPv6 address becomes the IPv4 one, as Java maps it. */
  private static InetSocketAddress address(String host, String port) {
    if (host == null || port == null) {
      return null;
    }
    try {
      return new InetSocketAddress(InetAddress.getByName(host), Integer.parseInt(port));
    } catch (UnknownHostException | NumberFormatException e) {
      return null;
    }
  }

  /** Stops the reader and removes the instance. */
  @Override
  public void close() {
    running = false;
    try {
      write(instance.resolve("trace_marker"), "close"); // wakes the reader's read()
    } catch (IOException e) {
      LOG.debug("cannot write the trace marker: {}", e.getMessage());
    }
    try {
      reader.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      pipe.close();
    } catch (IOException e) {
      LOG.debug("cannot close trace_pipe: {}", e.getMessage());
    }
    remove(instance);
  }

  private static void remove(Path instance) {
    try {
      write(instance.resolve("events/enable"), "0");
    } catch (IOException e) {
      LOG.debug("cannot disable the events of {}: {}", instance, e.getMessage());
    }
    try {
      Files.deleteIfExists(instance);
    } catch (IOException e) {
      LOG.warn("Cannot remove the tracefs instance {}: {}", instance, e.toString());
    }
  }

  private static void write(Path file, String value) throws IOException {
    Files.writeString(file, value + "\n", StandardCharsets.US_ASCII);
  }
}
