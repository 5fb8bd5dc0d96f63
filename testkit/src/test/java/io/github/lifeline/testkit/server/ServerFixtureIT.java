package io.github.lifeline.testkit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.github.lifeline.testkit.server.DatabaseServer.Kind;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server fixture itself, against both real servers: start, restart, stop, crash, pause and resume, close, and
 * PostgreSQL over TLS. Times each step and logs the numbers.
 */
class ServerFixtureIT {

  private static final Logger LOG = LoggerFactory.getLogger(ServerFixtureIT.class);

  @ParameterizedTest(name = "{0}")
  @EnumSource(Kind.class)
  void lifecycleAndFaults(Kind kind) throws Exception {
    Map<String, Long> millis = new LinkedHashMap<>();
    long t = System.nanoTime();
    DatabaseServer server = create(kind);
    millis.put("create+start", since(t));
    Path dataDir = server.dataDir();
    List<Long> processes = new ArrayList<>();
    try {
      assertThat(server.isRunning()).isTrue();
      assertThat(server.host()).isEqualTo("127.0.0.1");
      assertThat(server.jdbcUrl()).isEqualTo(expectedUrl(kind, server.port()));
      int port = server.port();
      assertThat(selectOne(server)).isEqualTo(1);

      // restart: same port, new process, the old session is gone, a new one works
      long firstPid = server.pid();
      try (Connection before = connect(server, new Properties())) {
        t = System.nanoTime();
        server.restart();
        millis.put("restart", since(t));
        assertThat(before.isValid(2)).isFalse();
      }
      assertThat(server.port()).isEqualTo(port);
      assertThat(server.pid()).isNotEqualTo(firstPid);
      assertThat(Path.of("/proc", Long.toString(firstPid))).doesNotExist();
      assertThat(selectOne(server)).isEqualTo(1);

      // stop and start as separate steps
      t = System.nanoTime();
      server.stop();
      millis.put("stop", since(t));
      assertThat(server.isRunning()).isFalse();
      assertRefused(port);
      server.stop(); // idempotent
      t = System.nanoTime();
      server.start();
      millis.put("start", since(t));
      server.start(); // idempotent
      assertThat(selectOne(server)).isEqualTo(1);

      // crash: the port refuses, no process of the server is left, and it stays down
      try (Connection victim = connect(server, new Properties())) {
        long pid = server.pid();
        List<Long> children = Processes.descendants(pid);
        if (kind == Kind.POSTGRESQL) {
          assertThat(children).as("postgres backends and helpers").isNotEmpty();
        }
        t = System.nanoTime();
        server.crash();
        millis.put("crash", since(t));
        assertThat(server.isRunning()).isFalse();
        assertThat(Path.of("/proc", Long.toString(pid))).doesNotExist();
        assertThat(children).noneMatch(Processes::isAlive);
        assertRefused(port);
        assertThat(victim.isValid(2)).isFalse();
      }
      t = System.nanoTime();
      server.start();
      millis.put("start after crash", since(t));
      assertThat(server.port()).isEqualTo(port);
      assertThat(selectOne(server)).isEqualTo(1);

      // pause: new connections time out, established sessions hang too; resume: all works again
      Properties shortRead = new Properties();
      shortRead.setProperty("socketTimeout", kind == Kind.POSTGRESQL ? "1" : "1000");
      try (Connection established = connect(server, shortRead)) {
        server.pause();
        try {
          long attempt = System.nanoTime();
          Throwable failure = catchThrowable(() -> connect(server, shortTimeouts(kind)));
          long attemptMillis = since(attempt);
          millis.put("connect attempt while paused", attemptMillis);
          assertThat(failure).isInstanceOf(SQLException.class);
          assertThat(attemptMillis).isBetween(500L, 6_000L);

          long query = System.nanoTime();
          assertThatThrownBy(() -> query(established, "select 1")).isInstanceOf(SQLException.class);
          assertThat(since(query)).isBetween(500L, 6_000L);
          assertThat(server.isRunning()).isTrue();
        } finally {
          server.resume();
        }
      }
      assertThat(selectOne(server)).isEqualTo(1);

      // close while paused: resumes, stops, deletes
      processes.add(server.pid());
      processes.addAll(Processes.descendants(server.pid()));
      server.pause();
      t = System.nanoTime();
    } finally {
      server.close();
    }
    millis.put("close (paused)", since(t));
    server.close(); // idempotent
    assertThat(dataDir).doesNotExist();
    assertThat(processes).isNotEmpty().allSatisfy(pid -> {
      assertThat(Processes.isAlive(pid)).as("pid %d alive", pid).isFalse();
    });
    assertThat(Path.of("/proc", Long.toString(processes.get(0)))).doesNotExist();
    assertThat(server.isRunning()).isFalse();
    assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class);
    LOG.info("TIMINGS {}: {}", kind, millis);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Kind.class)
  void closeAfterCrashDoesNotThrow(Kind kind) {
    DatabaseServer server = create(kind);
    long pid = server.pid();
    server.crash();
    server.crash(); // already down: nothing to do
    server.close();
    server.close();
    assertThat(server.dataDir()).doesNotExist();
    assertThat(Path.of("/proc", Long.toString(pid))).doesNotExist();
  }

  @Test
  void postgresOverTls() throws SQLException {
    try (DatabaseServer server = PostgresServer.builder().tls(true).build()) {
      assertThat(server.dataDir().resolve("server.key")).exists();
      Properties tls = new Properties();
      tls.setProperty("sslmode", "require");
      for (int round = 0; round < 2; round++) {
        try (Connection connection = connect(server, tls);
            Statement statement = connection.createStatement();
            ResultSet result = statement.executeQuery(
                "select ssl from pg_stat_ssl where pid = pg_backend_pid()")) {
          assertThat(result.next()).isTrue();
          assertThat(result.getBoolean(1)).isTrue();
        }
        server.restart(); // TLS survives a restart
      }
    }
  }

  private static DatabaseServer create(Kind kind) {
    return kind == Kind.POSTGRESQL ? PostgresServer.start() : MariaDbServer.start();
  }

  private static String expectedUrl(Kind kind, int port) {
    return kind == Kind.POSTGRESQL
        ? "jdbc:postgresql://127.0.0.1:" + port + "/postgres"
        : "jdbc:mysql://127.0.0.1:" + port + "/test";
  }

  /** Connect and login timeouts of about one second, in each driver's unit. */
  private static Properties shortTimeouts(Kind kind) {
    Properties properties = new Properties();
    if (kind == Kind.POSTGRESQL) {
      properties.setProperty("connectTimeout", "1");
      properties.setProperty("loginTimeout", "1");
    } else {
      properties.setProperty("connectTimeout", "1000");
      // Connector/J's connectTimeout covers only the TCP connect, which a stopped server's kernel completes;
      // the handshake read is bounded by socketTimeout.
      properties.setProperty("socketTimeout", "1000");
    }
    return properties;
  }

  private static Connection connect(DatabaseServer server, Properties extra) throws SQLException {
    Properties properties = server.baseProperties();
    properties.putAll(extra);
    return DriverManager.getConnection(server.jdbcUrl(), properties);
  }

  private static int selectOne(DatabaseServer server) throws SQLException {
    try (Connection connection = connect(server, new Properties())) {
      return query(connection, "select 1");
    }
  }

  private static int query(Connection connection, String sql) throws SQLException {
    try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(sql)) {
      assertThat(result.next()).isTrue();
      return result.getInt(1);
    }
  }

  private static void assertRefused(int port) {
    assertThatThrownBy(() -> {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
      }
    }).isInstanceOf(ConnectException.class);
  }

  private static long since(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }
}
