package io.github.lifeline.testkit.server;

import io.github.lifeline.testkit.fault.Blackhole;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle and the faults shared by both servers. A subclass supplies the command line, the stop signal and the
 * driver settings.
 *
 * <p>On disk: {@code target/servers/<kind>-<random>/} holds {@code data/} (copied from a per-build template) and
 * scratch files, and is deleted on close; the log is {@code target/server-logs/<kind>-<random>.log} and is kept.
 *
 * <p>Readiness: a JDBC {@code select 1}; while blackholed, the line {@link #readyLogLine()} in the part of the log
 * that this start wrote, since no client can get through.
 */
abstract class AbstractDatabaseServer implements DatabaseServer {

  /** Upper bound for a start, including crash recovery. */
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  /** Upper bound for a clean stop before it turns into a kill. */
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
  /** Upper bound for orphaned processes to notice that their parent died. */
  private static final Duration ORPHAN_TIMEOUT = Duration.ofSeconds(10);
  /** First starts that lose their port to another process get a new port this many times. */
  private static final int PORT_ATTEMPTS = 3;

  /** Every server not yet closed; a shutdown hook kills what is left when the JVM exits. */
  private static final Set<AbstractDatabaseServer> OPEN = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> OPEN.forEach(AbstractDatabaseServer::killOnExit),
        "lifeline-server-reaper"));
  }

  protected final Logger log = LoggerFactory.getLogger(getClass());

  private final Kind kind;
  private final String name;
  private final Path serverDir;
  private final Path dataDir;
  private final Path logFile;
  private final List<Path> extraDirs = new ArrayList<>();

  private volatile int port;
  private boolean portConfirmed;
  private volatile Process process;
  private volatile long lastPid = -1;
  private final Set<Long> paused = new LinkedHashSet<>();
  private volatile Blackhole blackhole;
  private boolean closed;

  /**
   * Creates the server directory and copies the template data directory into it. Does not start anything.
   *
   * @param template an initialized data directory, which stays untouched
   */
  AbstractDatabaseServer(Kind kind, Path template) {
    this.kind = kind;
    try {
      Files.createDirectories(ServerBinaries.serversDir());
      Files.createDirectories(ServerBinaries.logsDir());
      this.serverDir = Files.createTempDirectory(ServerBinaries.serversDir(),
          kind.name().toLowerCase(Locale.ROOT) + "-");
      this.name = serverDir.getFileName().toString();
      this.dataDir = serverDir.resolve("data");
      this.logFile = ServerBinaries.logsDir().resolve(name + ".log");
      OPEN.add(this);
      long start = System.nanoTime();
      ServerBinaries.copyTree(template, dataDir);
      log.info("{}: data directory {} copied from the template in {} ms", name, dataDir, millisSince(start));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the directory of a " + kind + " server", e);
    }
    this.port = freePort();
  }

  /** @return the full command line that runs the server in the foreground */
  protected abstract List<String> command();

  /** @return the signal, without {@code SIG}, for a fast clean shutdown */
  protected abstract String stopSignal();

  /** @return {@link #baseProperties()} with short connect, login and read timeouts, for the readiness probe */
  protected abstract Properties probeProperties();

  /**
   * @return the text of the log line that the server writes once it accepts connections; the readiness signal
   *     while blackholed
   */
  protected abstract String readyLogLine();

  /** @return the directory for this server's own files; deleted on close */
  protected final Path serverDir() {
    return serverDir;
  }

  /** Registers a directory outside {@link #serverDir()} to delete on close. */
  protected final void deleteOnClose(Path dir) {
    extraDirs.add(dir);
  }

  @Override
  public final Kind kind() {
    return kind;
  }

  @Override
  public final String host() {
    return "127.0.0.1";
  }

  @Override
  public final int port() {
    return port;
  }

  @Override
  public final Path dataDir() {
    return dataDir;
  }

  @Override
  public final Path logFile() {
    return logFile;
  }

  @Override
  public final long pid() {
    if (lastPid < 0) {
      throw new IllegalStateException(name + " was never started");
    }
    return lastPid;
  }

  @Override
  public final boolean isRunning() {
    Process current = process;
    return current != null && current.isAlive();
  }

  @Override
  public final synchronized void start() {
    if (closed) {
      throw new IllegalStateException(name + " is closed");
    }
    if (isRunning()) {
      return;
    }
    for (int attempt = 1; ; attempt++) {
      try {
        launch();
        portConfirmed = true;
        return;
      } catch (PortTakenException e) {
        if (portConfirmed || attempt >= PORT_ATTEMPTS) {
          throw new IllegalStateException(name + ": port " + port + " is taken by another process\n"
              + Processes.tail(logFile), e);
        }
        int taken = port;
        port = freePort();
        log.warn("{}: port {} was taken before the first start; trying port {}", name, taken, port);
      }
    }
  }

  private void launch() {
    long start = System.nanoTime();
    long logOffset = logSize();
    Process started;
    try {
      started = new ProcessBuilder(command())
          .directory(serverDir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(name + ": cannot run " + command(), e);
    }
    process = started;
    lastPid = started.pid();
    log.info("{}: started {} pid {} on port {}", name, kind, lastPid, port);
    awaitReady(started, start, logOffset);
    log.info("{}: pid {} ready on port {} in {} ms", name, lastPid, port, millisSince(start));
  }

  private void awaitReady(Process started, long startNanos, long logOffset) {
    if (blackhole != null) {
      awaitReadyInLog(started, startNanos, logOffset);
      return;
    }
    long deadline = startNanos + START_TIMEOUT.toNanos();
    SQLException lastFailure = null;
    while (true) {
      if (!started.isAlive()) {
        process = null;
        if (logSince(logOffset).contains("Address already in use")) {
          throw new PortTakenException();
        }
        throw new IllegalStateException(name + ": " + kind + " exited with code " + started.exitValue()
            + " before it was ready\n" + Processes.tail(logFile));
      }
      // Only JDBC: a bare TCP probe would log a warning in the server for each try.
      try {
        selectOne();
        return;
      } catch (SQLException e) {
        lastFailure = e;
      }
      if (System.nanoTime() - deadline > 0) {
        killTree(started);
        process = null;
        IllegalStateException failure = new IllegalStateException(name + ": " + kind + " pid "
            + started.pid() + " not ready on port " + port + " within " + START_TIMEOUT + "\n"
            + Processes.tail(logFile));
        if (lastFailure != null) {
          failure.addSuppressed(lastFailure);
        }
        throw failure;
      }
      Processes.sleep(20);
    }
  }

  /**
   * Readiness while blackholed: a JDBC probe would only meet the silence, so wait for the server's own "ready" line
   * among the lines that this start wrote.
   */
  private void awaitReadyInLog(Process started, long startNanos, long logOffset) {
    long deadline = startNanos + START_TIMEOUT.toNanos();
    while (true) {
      String written = logSince(logOffset);
      if (written.contains(readyLogLine())) {
        return;
      }
      if (!started.isAlive()) {
        process = null;
        if (written.contains("Address already in use")) {
          throw new PortTakenException();
        }
        throw new IllegalStateException(name + ": " + kind + " exited with code " + started.exitValue()
            + " before it was ready (started while blackholed)\n" + Processes.tail(logFile));
      }
      if (System.nanoTime() - deadline > 0) {
        killTree(started);
        process = null;
        throw new IllegalStateException(name + ": " + kind + " pid " + started.pid() + " started while blackholed"
            + " did not log '" + readyLogLine() + "' within " + START_TIMEOUT + "\n" + Processes.tail(logFile));
      }
      Processes.sleep(20);
    }
  }

  private void selectOne() throws SQLException {
    try (Connection connection = DriverManager.getConnection(jdbcUrl(), probeProperties());
        Statement statement = connection.createStatement();
        ResultSet result = statement.executeQuery("select 1")) {
      result.next();
    }
  }

  @Override
  public final synchronized void stop() {
    Process current = process;
    if (current == null || !current.isAlive()) {
      process = null;
      paused.clear();
      return;
    }
    resumeInternal();
    long start = System.nanoTime();
    List<Long> children = Processes.descendants(current.pid());
    Processes.signal(stopSignal(), current.pid());
    boolean clean = waitFor(current, STOP_TIMEOUT);
    if (!clean) {
      log.warn("{}: pid {} ignored SIG{} for {}; killing it\n{}", name, current.pid(), stopSignal(),
          STOP_TIMEOUT, Processes.tail(logFile));
      killTree(current);
    }
    reapOrphans(children);
    process = null;
    log.info("{}: pid {} stopped with SIG{} in {} ms", name, current.pid(), stopSignal(), millisSince(start));
  }

  @Override
  public final synchronized void restart() {
    long start = System.nanoTime();
    stop();
    start();
    log.info("{}: restarted in {} ms", name, millisSince(start));
  }

  @Override
  public final synchronized void crash() {
    Process current = process;
    if (current == null || !current.isAlive()) {
      log.info("{}: crash requested, but it is not running", name);
      process = null;
      return;
    }
    long start = System.nanoTime();
    List<Long> children = Processes.descendants(current.pid());
    current.destroyForcibly();
    waitFor(current, STOP_TIMEOUT);
    if (!paused.isEmpty()) {
      // Stopped children cannot notice that their parent died: a hung server that crashes dies entirely.
      Processes.signal("KILL", children);
      paused.clear();
    }
    reapOrphans(children);
    process = null;
    log.info("{}: pid {} killed with SIGKILL ({} orphaned children gone) in {} ms", name, current.pid(),
        children.size(), millisSince(start));
  }

  /** Orphaned children (PostgreSQL backends) exit by themselves when their parent dies; make sure they did. */
  private void reapOrphans(List<Long> children) {
    if (Processes.awaitGone(children, ORPHAN_TIMEOUT)) {
      return;
    }
    log.warn("{}: children {} outlived their parent by {}; killing them", name, children, ORPHAN_TIMEOUT);
    Processes.signal("KILL", children);
    if (!Processes.awaitGone(children, ORPHAN_TIMEOUT)) {
      throw new IllegalStateException(name + ": processes " + children + " survive SIGKILL");
    }
  }

  @Override
  public final synchronized void pause() {
    Process current = process;
    if (current == null || !current.isAlive()) {
      throw new IllegalStateException(name + " is not running");
    }
    Processes.signal("STOP", current.pid());
    paused.add(current.pid());
    // The parent is stopped, so it forks no more children; repeat in case one was being forked meanwhile.
    for (int round = 0; round < 5; round++) {
      List<Long> fresh = new ArrayList<>(Processes.descendants(current.pid()));
      fresh.removeAll(paused);
      if (fresh.isEmpty()) {
        break;
      }
      Processes.signal("STOP", fresh);
      paused.addAll(fresh);
    }
    if (!Processes.awaitStopped(paused, Duration.ofSeconds(10))) {
      throw new IllegalStateException(name + ": pids " + paused + " not stopped 10 s after SIGSTOP");
    }
    log.info("{}: paused (SIGSTOP) pids {}", name, paused);
  }

  @Override
  public final synchronized void resume() {
    resumeInternal();
  }

  /** Same as {@link #pause()}. */
  @Override
  public final synchronized void freeze() {
    pause();
  }

  /** Same as {@link #resume()}. */
  @Override
  public final synchronized void thaw() {
    resumeInternal();
  }

  @Override
  public final synchronized void blackhole() {
    if (closed) {
      throw new IllegalStateException(name + " is closed");
    }
    if (blackhole == null) {
      blackhole = Blackhole.drop(port);
      log.info("{}: blackholed port {} (table inet {})", name, port, blackhole.table());
    }
  }

  @Override
  public final synchronized void heal() {
    if (blackhole != null) {
      blackhole.heal();
      blackhole = null;
      log.info("{}: healed port {}", name, port);
    }
  }

  @Override
  public final synchronized boolean isBlackholed() {
    return blackhole != null;
  }

  private void resumeInternal() {
    if (paused.isEmpty()) {
      return;
    }
    Process current = process;
    Set<Long> targets = new LinkedHashSet<>(paused);
    if (current != null && current.isAlive()) {
      targets.add(current.pid());
      targets.addAll(Processes.descendants(current.pid()));
    }
    Processes.signal("CONT", targets);
    log.info("{}: resumed (SIGCONT) pids {}", name, targets);
    paused.clear();
  }

  @Override
  public final synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      heal();
    } catch (RuntimeException e) {
      log.warn("{}: cannot heal on close", name, e);
    }
    try {
      resumeInternal();
      stop();
    } catch (RuntimeException e) {
      log.warn("{}: clean stop failed on close; killing it", name, e);
      Process current = process;
      if (current != null) {
        killTree(current);
      }
    }
    deleteDirs();
    OPEN.remove(this);
    log.info("{}: closed", name);
  }

  private void deleteDirs() {
    List<Path> dirs = new ArrayList<>(extraDirs);
    dirs.add(serverDir);
    for (Path dir : dirs) {
      try {
        ServerBinaries.deleteTree(dir);
      } catch (IOException | RuntimeException e) {
        log.warn("{}: cannot delete {}", name, dir, e);
      }
    }
  }

  /** Shutdown hook: no lock (a test thread may hold it), no clean stop, just make sure nothing outlives the JVM. */
  private void killOnExit() {
    Process current = process;
    if (current != null && current.isAlive()) {
      log.warn("{}: still running at JVM exit; killing pid {}", name, current.pid());
      killTree(current);
    }
    deleteDirs();
  }

  /** SIGKILL to the main process and all of its descendants, then waits for them. */
  private static void killTree(Process main) {
    List<Long> children = Processes.descendants(main.pid());
    main.destroyForcibly();
    Processes.signal("KILL", children);
    waitFor(main, Duration.ofSeconds(10));
    Processes.awaitGone(children, Duration.ofSeconds(10));
  }

  private static boolean waitFor(Process process, Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for pid " + process.pid(), e);
    }
  }

  private long logSize() {
    try {
      return Files.exists(logFile) ? Files.size(logFile) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  private String logSince(long offset) {
    try {
      byte[] bytes = Files.readAllBytes(logFile);
      int from = (int) Math.min(offset, bytes.length);
      return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** @return a port that was free on 127.0.0.1 a moment ago */
  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port", e);
    }
  }

  static long millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  @Override
  public String toString() {
    return name + "[" + kind + " 127.0.0.1:" + port + (isRunning() ? " pid " + lastPid : " down")
        + (blackhole != null ? " blackholed" : "") + "]";
  }

  /** The server could not bind its port: another process took it between {@link #freePort()} and the start. */
  private static final class PortTakenException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PortTakenException() {
      super(null, null, false, false);
    }
  }
}
