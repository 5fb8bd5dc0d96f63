package io.github.lifeline.it.container;

import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.server.DatabaseServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.JdbcDatabaseContainer;
import org.testcontainers.mysql.MySQLContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * A {@link DatabaseServer} in a Docker container, started with Testcontainers: PostgreSQL ({@code postgres:17}) or
 * MySQL ({@code mysql:8.4}). The images are overridable with the system properties {@value #POSTGRES_IMAGE} and
 * {@value #MYSQL_IMAGE}, for example with a locally built image; it must stay a derivative of the official one
 * (its {@code docker-entrypoint.sh}, {@code bash}, and {@code pg_isready} or {@code mysqladmin}).
 *
 * <p>The container runs a derived image (see {@link FaultImage}) with {@code --init}, the {@code NET_ADMIN}
 * capability and its server port bound to a host port chosen up front (on every host address, as Testcontainers
 * does: its own readiness check may connect through the Docker host's gateway address). Every fault acts on the
 * server inside the container, never on the container, so the container, its address and its port binding survive
 * {@link #restart()}, {@link #crash()} and a later {@link #start()}:
 *
 * <ul>
 *   <li>{@link #stop()}: SIGINT to the postmaster (PostgreSQL fast shutdown; SIGTERM would be a smart shutdown,
 *       which waits for idle clients) or SIGTERM to mysqld (its normal shutdown, which closes client connections);
 *   <li>{@link #crash()}: SIGKILL to the server's main process, then waits until its orphans (PostgreSQL backends)
 *       are gone;
 *   <li>{@link #start()}: the image's {@code docker-entrypoint.sh} again, then readiness by exec'ing
 *       {@code pg_isready} or {@code mysqladmin ping} inside the container, over its loopback interface, so that a
 *       start while {@linkplain #blackhole() blackholed} does not hang;
 *   <li>{@link #blackhole()}: iptables DROP of every TCP packet to or from the server port inside the container,
 *       except on loopback: the peer goes silent, no FIN, no RST, no ACK;
 *   <li>{@link #freeze()} and {@link #pause()}: {@code docker pause} (cgroup freezer); the kernel still ACKs.
 * </ul>
 *
 * <p>Addresses. By default ({@value #ADDRESS}{@code =direct}) the tests connect to the container's own IP address
 * and the server's port, so that the test JVM's TCP peer is the container's kernel. The bound host port on
 * {@code 127.0.0.1} ({@code =mapped}) is direct TCP only on an engine with {@code "userland-proxy": false}: with the
 * default userland proxy, connections from the host's loopback end in {@code docker-proxy}, which ACKs for the
 * container, so a blackholed server is never seen as a dead peer (the blackhole scenarios fail). {@code direct}
 * needs an engine on the same Linux host, whose bridge network the host routes to (not Docker Desktop).
 *
 * <p>{@link #pid()} is the server's pid in the container's PID namespace. {@link #dataDir()} is a path inside the
 * container. {@link #logFile()} is a host file under {@code target/server-logs/} that receives the container's
 * output. The user, password and database are Testcontainers' ({@code test}); {@link #kind()} is
 * {@link Kind#MARIADB} for MySQL, the kind that {@code Driver.MYSQL} speaks to.
 *
 * <pre>{@code
 * try (DatabaseServer pg = ContainerDatabaseServer.postgres()) { ... }
 * }</pre>
 */
public final class ContainerDatabaseServer implements DatabaseServer {

  /** System property that names the PostgreSQL base image; default {@code postgres:17}. */
  public static final String POSTGRES_IMAGE = "lifeline.it.postgresImage";
  /** System property that names the MySQL base image; default {@code mysql:8.4}. */
  public static final String MYSQL_IMAGE = "lifeline.it.mysqlImage";
  /** System property: {@code direct} (default: the container's IP address) or {@code mapped} (127.0.0.1). */
  public static final String ADDRESS = "lifeline.it.containerAddress";

  private static final long READY_TIMEOUT_MS = 60_000;
  private static final Logger LOG = LoggerFactory.getLogger(ContainerDatabaseServer.class);

  private final Kind kind;
  private final JdbcDatabaseContainer<?> container;
  private final int serverPort;
  private final int hostPort;
  private final Path logFile;
  private final Object logLock = new Object();
  private String host;
  private int port;
  private volatile long pid = -1;
  private boolean frozen;
  private boolean blackholed;
  private boolean closed;

  private ContainerDatabaseServer(Kind kind, JdbcDatabaseContainer<?> container, int serverPort) {
    this.kind = kind;
    this.container = container;
    this.serverPort = serverPort;
    this.hostPort = freePort();
    this.logFile = newLogFile(kind);
    container
        .withLogConsumer(frame -> appendLog(frame.getUtf8String()))
        .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
            .withInit(true)
            .withCapAdd(Capability.NET_ADMIN)
            .withPortBindings(new PortBinding(Ports.Binding.bindPort(hostPort),
                ExposedPort.tcp(serverPort))));
  }

  /**
   * Starts a PostgreSQL container ({@code fsync=off}, {@code max_connections=200}) and waits until it is ready.
   *
   * @return a running server; close it
   */
  public static DatabaseServer postgres() {
    PostgreSQLContainer container = new PostgreSQLContainer(
        FaultImage.derivedFrom(System.getProperty(POSTGRES_IMAGE, "postgres:17"), "postgres"))
        .withCommand("postgres", "-c", "fsync=off", "-c", "max_connections=200");
    return start(new ContainerDatabaseServer(Kind.POSTGRESQL, container, PostgreSQLContainer.POSTGRESQL_PORT));
  }

  /**
   * Starts a MySQL container ({@code max_connections=200}) and waits until it is ready.
   *
   * @return a running server; close it
   */
  public static DatabaseServer mysql() {
    MySQLContainer container = new MySQLContainer(
        FaultImage.derivedFrom(System.getProperty(MYSQL_IMAGE, "mysql:8.4"), "mysql"))
        .withCommand("mysqld", "--max-connections=200");
    return start(new ContainerDatabaseServer(Kind.MARIADB, container, MySQLContainer.MYSQL_PORT));
  }

  private static DatabaseServer start(ContainerDatabaseServer server) {
    try {
      server.container.start(); // waits for the server with Testcontainers' own strategy
      server.useAddress(System.getProperty(ADDRESS, "direct"));
      server.pid = Long.parseLong(server.ctl("pid").trim());
      server.awaitReady();
      LOG.info("{}: ready", server);
      return server;
    } catch (RuntimeException | Error e) {
      server.close();
      throw e;
    }
  }

  private void useAddress(String address) {
    if (address.equals("direct")) {
      host = container.getContainerInfo().getNetworkSettings().getNetworks().values().iterator().next()
          .getIpAddress();
      port = serverPort;
    } else if (address.equals("mapped")) {
      host = "127.0.0.1";
      port = hostPort;
    } else {
      throw new IllegalArgumentException(ADDRESS + " must be direct or mapped, not " + address);
    }
  }

  @Override
  public Kind kind() {
    return kind;
  }

  /** @return the container's IP address, or {@code 127.0.0.1} with {@value #ADDRESS}{@code =mapped} */
  @Override
  public String host() {
    return host;
  }

  /** @return the server's port in the container, or the bound host port with {@value #ADDRESS}{@code =mapped} */
  @Override
  public int port() {
    return port;
  }

  @Override
  public String database() {
    return container.getDatabaseName();
  }

  @Override
  public String user() {
    return container.getUsername();
  }

  @Override
  public String password() {
    return container.getPassword();
  }

  @Override
  public String jdbcUrl() {
    String scheme = kind == Kind.POSTGRESQL ? "jdbc:postgresql://" : "jdbc:mysql://";
    return scheme + host() + ":" + port() + "/" + database();
  }

  /**
   * @return user, password and, for pgjdbc, {@code connectTimeout=5} and {@code loginTimeout=10} (seconds); for
   *     Connector/J {@code connectTimeout=5000}, {@code sslMode=DISABLED} and {@code allowPublicKeyRetrieval=true}
   *     (MySQL 8.4 authenticates with {@code caching_sha2_password}, which needs the server's RSA key without TLS)
   */
  @Override
  public Properties baseProperties() {
    Properties properties = new Properties();
    properties.setProperty("user", user());
    properties.setProperty("password", password());
    if (kind == Kind.POSTGRESQL) {
      properties.setProperty("connectTimeout", "5");
      properties.setProperty("loginTimeout", "10");
    } else {
      properties.setProperty("connectTimeout", "5000");
      properties.setProperty("sslMode", "DISABLED");
      properties.setProperty("allowPublicKeyRetrieval", "true");
    }
    return properties;
  }

  /** @return the pid of the server's main process in the container's PID namespace */
  @Override
  public long pid() {
    if (pid < 0) {
      throw new IllegalStateException(this + " was never started");
    }
    return pid;
  }

  @Override
  public synchronized void start() {
    if (closed) {
      throw new IllegalStateException(this + " is closed");
    }
    thaw();
    pid = Long.parseLong(ctl("start").trim()); // the running server's pid if it is up
    awaitReady();
    LOG.info("{}: started", this);
  }

  /** Thaws the container if frozen, stops the server with a fast shutdown and waits until its processes are gone. */
  @Override
  public synchronized void stop() {
    thaw();
    ctl("stop", kind == Kind.POSTGRESQL ? "INT" : "TERM");
    LOG.info("{}: stopped", this);
  }

  @Override
  public synchronized void restart() {
    stop();
    start();
  }

  /** Thaws the container if frozen, kills the server's main process with SIGKILL and waits for its orphans. */
  @Override
  public synchronized void crash() {
    thaw();
    ctl("stop", "KILL");
    LOG.info("{}: killed", this);
  }

  /** Same as {@link #freeze()}: the whole container is frozen. */
  @Override
  public void pause() {
    freeze();
  }

  /** Same as {@link #thaw()}. */
  @Override
  public void resume() {
    thaw();
  }

  /** Freezes every process of the container ({@code docker pause}); its kernel still ACKs. Idempotent. */
  @Override
  public synchronized void freeze() {
    if (!frozen) {
      container.getDockerClient().pauseContainerCmd(container.getContainerId()).exec();
      frozen = true;
      LOG.info("{}: frozen", this);
    }
  }

  /** Undoes {@link #freeze()} ({@code docker unpause}). Idempotent. */
  @Override
  public synchronized void thaw() {
    if (frozen) {
      container.getDockerClient().unpauseContainerCmd(container.getContainerId()).exec();
      frozen = false;
      LOG.info("{}: thawed", this);
    }
  }

  /** Drops every TCP packet to or from the server port inside the container, both ways. Idempotent. */
  @Override
  public synchronized void blackhole() {
    thaw();
    ctl("blackhole", Integer.toString(serverPort));
    blackholed = true;
    LOG.info("{}: blackholed", this);
  }

  /** Undoes {@link #blackhole()}. Idempotent. */
  @Override
  public synchronized void heal() {
    if (blackholed) {
      thaw();
      ctl("heal", Integer.toString(serverPort));
      blackholed = false;
      LOG.info("{}: healed", this);
    }
  }

  /** @return whether {@link #blackhole()} is in force */
  @Override
  public synchronized boolean isBlackholed() {
    return blackholed;
  }

  /** @return whether the server's main process is alive; a frozen server counts as running */
  @Override
  public synchronized boolean isRunning() {
    if (closed || pid < 0 || !container.isRunning()) {
      return false;
    }
    return frozen || exec(FaultImage.CTL, "alive").getExitCode() == 0;
  }

  /** @return the data directory inside the container */
  @Override
  public Path dataDir() {
    return Path.of(kind == Kind.POSTGRESQL ? "/var/lib/postgresql/data" : "/var/lib/mysql");
  }

  @Override
  public Path logFile() {
    return logFile;
  }

  /** Heals, thaws and removes the container. Idempotent; never throws. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (container.isRunning()) {
        heal();
        thaw();
      }
    } catch (RuntimeException e) {
      LOG.warn("{}: cannot heal or thaw before removal", this, e);
    }
    try {
      container.stop();
    } catch (RuntimeException e) {
      LOG.warn("{}: cannot remove the container", this, e);
    }
    LOG.info("{}: closed", this);
  }

  @Override
  public String toString() {
    String id = container.getContainerId();
    return "container-" + kind.name().toLowerCase(Locale.ROOT) + "["
        + (id == null ? "not created" : id.substring(0, Math.min(12, id.length())))
        + " " + host + ":" + port + " pid " + pid + "]";
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** Polls the server's own client tool inside the container, which does not cross a blackholed port. */
  private void awaitReady() {
    // With the real account, so that the probes leave no authentication errors in the server log.
    String[] probe = kind == Kind.POSTGRESQL
        ? new String[] {"pg_isready", "-q", "-h", "127.0.0.1", "-p", Integer.toString(serverPort),
            "-U", user(), "-d", database()}
        : new String[] {"mysqladmin", "ping", "--silent", "--connect-timeout=2", "-h", "127.0.0.1",
            "-P", Integer.toString(serverPort), "-u", user(), "--password=" + password()};
    long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
    while (exec(probe).getExitCode() != 0) {
      if (exec(FaultImage.CTL, "alive").getExitCode() != 0) {
        throw new IllegalStateException(this + ": the server exited before it was ready\n" + logTail());
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException(this + ": not ready within " + READY_TIMEOUT_MS + " ms\n" + logTail());
      }
      sleep(100);
    }
  }

  /** Runs {@code lifeline-ctl ARGS} in the container; fails with its stderr unless it exits 0. */
  private String ctl(String... args) {
    List<String> command = new ArrayList<>(List.of(FaultImage.CTL));
    command.addAll(Arrays.asList(args));
    ExecResult result = exec(command.toArray(String[]::new));
    if (result.getExitCode() != 0) {
      throw new IllegalStateException(this + ": " + command + " exited with " + result.getExitCode() + ": "
          + result.getStderr() + "\n" + logTail());
    }
    return result.getStdout();
  }

  private ExecResult exec(String... command) {
    try {
      return container.execInContainer(command);
    } catch (IOException e) {
      throw new UncheckedIOException(this + ": cannot exec " + Arrays.toString(command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(this + ": interrupted in " + Arrays.toString(command), e);
    }
  }

  /** Called by Testcontainers' log thread; not under the server's lock, so that a failing start sees the log. */
  private void appendLog(String text) {
    synchronized (logLock) {
      try {
        Files.writeString(logFile, text, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
      } catch (IOException e) {
        LOG.debug("cannot append to {}", logFile, e);
      }
    }
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static Path newLogFile(Kind kind) {
    Path dir = Path.of(System.getProperty("basedir", "."), "target", "server-logs").toAbsolutePath().normalize();
    try {
      Files.createDirectories(dir);
      return Files.createTempFile(dir, "container-" + kind.name().toLowerCase(Locale.ROOT) + "-", ".log");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a log file in " + dir, e);
    }
  }

  /** @return a port that was free on every host address a moment ago */
  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port", e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
