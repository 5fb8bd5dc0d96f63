package io.github.lifeline.testkit.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.github.lifeline.testkit.junit.RequiresFaultInjection;
import io.github.lifeline.testkit.server.DatabaseServer.Kind;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.MariaDbServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The blackhole against a plain TCP echo server and against real servers: before, during and after; a server that
 * crashes and starts again behind the blackhole (silent failover); the sweep of stale tables; nothing left behind.
 */
@RequiresFaultInjection
class BlackholeIT {

  private static final Logger LOG = LoggerFactory.getLogger(BlackholeIT.class);
  private static final Pattern UNACKED = Pattern.compile("\\bunacked:(\\d+)");
  private static final Pattern RETRANS = Pattern.compile("\\bretrans:\\d+/(\\d+)");

  @AfterEach
  void noTableOfThisJvmIsLeft() {
    assertThat(Blackhole.tablesOfThisJvm()).as("nft tables of this JVM after the test").isEmpty();
  }

  @AfterAll
  static void nftListsNoTableOfThisJvm() {
    String tables = Nft.run(null, "list", "tables");
    assertThat(tables).doesNotContain("lifeline_" + ProcessHandle.current().pid() + "_");
  }

  @Test
  void plainSocketGoesSilentAndRecovers() throws Exception {
    try (EchoServer echo = new EchoServer();
        Socket client = connect(echo.port(), 2_000)) {
      BufferedReader in = reader(client);
      OutputStream out = client.getOutputStream();
      assertThat(echo(out, in, "before")).isEqualTo("before");
      long receivedBefore = echo.bytesReceived();

      Blackhole blackhole = Blackhole.drop(echo.port());
      try {
        assertThat(blackhole.isActive()).isTrue();
        assertThat(blackhole.port()).isEqualTo(echo.port());
        assertThat(Blackhole.tablesOfThisJvm()).containsExactly(blackhole.table());
        String ruleset = Nft.run(null, "list", "table", "inet", blackhole.table());
        // nft prints priority -10 as "filter - 10"
        assertThat(ruleset).containsPattern("hook input priority (filter - 10|-10);")
            .contains("iif \"lo\" tcp dport " + echo.port() + " drop", "iif \"lo\" tcp sport " + echo.port() + " drop");

        // An established connection: the write is never acknowledged, nothing comes back, the server gets nothing.
        out.write("lost\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
        client.setSoTimeout(1_500);
        assertThatThrownBy(in::readLine).isInstanceOf(SocketTimeoutException.class);
        assertThat(echo.bytesReceived()).isEqualTo(receivedBefore);
        String ss = ss(client);
        LOG.info("client socket while blackholed: {}", ss);
        assertThat(number(UNACKED, ss)).as("unacked segments in %s", ss).isPositive();
        assertThat(number(RETRANS, ss)).as("total retransmissions in %s", ss).isPositive();

        // A new connection: the SYN goes unanswered.
        long start = System.nanoTime();
        assertThatThrownBy(() -> connect(echo.port(), 1_000).close()).isInstanceOf(SocketTimeoutException.class);
        assertThat(millisSince(start)).isGreaterThanOrEqualTo(900);
      } finally {
        blackhole.heal();
      }
      assertThat(blackhole.isActive()).isFalse();
      blackhole.heal(); // idempotent
      blackhole.close();

      // The retransmission gets through: the established connection recovers, and new ones connect.
      client.setSoTimeout(15_000);
      assertThat(in.readLine()).isEqualTo("lost");
      assertThat(echo(out, in, "after")).isEqualTo("after");
      try (Socket fresh = connect(echo.port(), 2_000)) {
        assertThat(echo(fresh.getOutputStream(), reader(fresh), "fresh")).isEqualTo("fresh");
      }
    }
    assertThat(Blackhole.tablesOfThisJvm()).isEmpty();
  }

  @Test
  void onlyTheNamedConnectionsGoSilent() throws Exception {
    try (EchoServer echo = new EchoServer();
        Socket silenced = connect(echo.port(), 2_000);
        Socket spared = connect(echo.port(), 2_000)) {
      BufferedReader silencedIn = reader(silenced);
      BufferedReader sparedIn = reader(spared);
      assertThat(echo(silenced.getOutputStream(), silencedIn, "a")).isEqualTo("a");
      assertThat(echo(spared.getOutputStream(), sparedIn, "b")).isEqualTo("b");

      Blackhole blackhole = Blackhole.dropConnections(echo.port(), List.of(silenced.getLocalPort()));
      try {
        String ruleset = Nft.run(null, "list", "table", "inet", blackhole.table());
        // nft prints the source port first
        assertThat(ruleset).contains("tcp sport " + silenced.getLocalPort() + " tcp dport " + echo.port() + " drop",
            "tcp sport " + echo.port() + " tcp dport " + silenced.getLocalPort() + " drop");
        silenced.setSoTimeout(1_500);
        silenced.getOutputStream().write("lost\n".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(silencedIn::readLine).isInstanceOf(SocketTimeoutException.class);
        assertThat(echo(spared.getOutputStream(), sparedIn, "still")).isEqualTo("still");
        try (Socket fresh = connect(echo.port(), 2_000)) {
          assertThat(echo(fresh.getOutputStream(), reader(fresh), "new")).isEqualTo("new");
        }
      } finally {
        blackhole.heal();
      }
      silenced.setSoTimeout(15_000);
      assertThat(silencedIn.readLine()).as("the retransmission gets through after the heal").isEqualTo("lost");
    }
    assertThatThrownBy(() -> Blackhole.dropConnections(5432, List.of())).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void postgresGoesSilentAndRecovers() throws Exception {
    try (DatabaseServer server = PostgresServer.start()) {
      Properties shortRead = new Properties();
      shortRead.setProperty("socketTimeout", "2");
      try (Connection established = connect(server, shortRead)) {
        assertThat(selectOne(established)).isEqualTo(1);
        server.blackhole();
        try {
          server.blackhole(); // idempotent: still one table
          assertThat(server.isBlackholed()).isTrue();
          assertThat(Blackhole.tablesOfThisJvm()).hasSize(1);

          long start = System.nanoTime();
          assertThatThrownBy(() -> selectOne(established)).isInstanceOf(SQLException.class);
          assertThat(millisSince(start)).isBetween(1_500L, 6_000L);

          Properties shortConnect = new Properties();
          shortConnect.setProperty("connectTimeout", "1");
          shortConnect.setProperty("loginTimeout", "2");
          start = System.nanoTime();
          Throwable refused = catchThrowable(() -> connect(server, shortConnect).close());
          assertThat(refused).isInstanceOf(SQLException.class);
          assertThat(millisSince(start)).isBetween(800L, 6_000L);
          assertThat(server.isRunning()).isTrue();
        } finally {
          server.heal();
        }
      }
      assertThat(server.isBlackholed()).isFalse();
      server.heal(); // idempotent
      try (Connection fresh = connect(server, new Properties())) {
        assertThat(selectOne(fresh)).isEqualTo(1);
      }
    }
  }

  /** Silent failover: the server dies behind the blackhole, a new one starts on the same port, then the path heals. */
  @ParameterizedTest(name = "{0}")
  @EnumSource(Kind.class)
  void startWhileBlackholed(Kind kind) throws Exception {
    DatabaseServer server = kind == Kind.POSTGRESQL ? PostgresServer.start() : MariaDbServer.start();
    List<Long> pids = new ArrayList<>();
    try {
      int port = server.port();
      Connection victim = connect(server, new Properties());
      assertThat(selectOne(victim)).isEqualTo(1);
      long firstPid = server.pid();
      pids.add(firstPid);
      server.blackhole();
      try {
        server.crash();
        assertThat(server.isRunning()).isFalse();
        long start = System.nanoTime();
        server.start();
        long startMillis = millisSince(start);
        LOG.info("{}: start while blackholed took {} ms", kind, startMillis);
        assertThat(startMillis).as("start while blackholed").isLessThan(30_000);
        assertThat(server.isRunning()).isTrue();
        assertThat(server.isBlackholed()).isTrue();
        assertThat(server.port()).isEqualTo(port);
        assertThat(server.pid()).isNotEqualTo(firstPid);
        pids.add(server.pid());
        assertThatThrownBy(() -> connect(port, 1_000).close()).as("still silent")
            .isInstanceOf(SocketTimeoutException.class);
      } finally {
        server.heal();
      }
      try (Connection fresh = connect(server, new Properties())) {
        assertThat(selectOne(fresh)).isEqualTo(1);
      }
      // The old session is gone for good: the new server's kernel answers it with RST.
      victim.setNetworkTimeout(Runnable::run, 5_000);
      assertThatThrownBy(() -> selectOne(victim)).isInstanceOf(SQLException.class);
      victim.close();

      // close() heals and thaws first, then stops: nothing is left.
      server.blackhole();
      server.freeze();
      pids.add(server.pid());
      long start = System.nanoTime();
      server.close();
      LOG.info("{}: close while blackholed and frozen took {} ms", kind, millisSince(start));
      assertThat(server.isBlackholed()).isFalse();
      assertThat(Blackhole.tablesOfThisJvm()).isEmpty();
      assertThat(server.isRunning()).isFalse();
      assertThat(pids).allSatisfy(pid -> assertThat(Path.of("/proc", Long.toString(pid))).doesNotExist());
    } finally {
      server.close();
    }
  }

  @Test
  void freezeAndThawAreTheSameAsPauseAndResume() throws Exception {
    try (DatabaseServer server = MariaDbServer.start()) {
      Properties shortRead = new Properties();
      shortRead.setProperty("socketTimeout", "1000");
      try (Connection connection = connect(server, shortRead)) {
        server.freeze();
        try {
          assertThat(procState(server.pid())).isEqualTo('T');
          assertThatThrownBy(() -> selectOne(connection)).isInstanceOf(SQLException.class);
        } finally {
          server.thaw();
        }
        assertThat(procState(server.pid())).isNotEqualTo('T');
      }
      try (Connection fresh = connect(server, new Properties())) {
        assertThat(selectOne(fresh)).isEqualTo(1);
      }
    }
  }

  @Test
  void sweepDeletesOnlyTablesOfDeadProcesses() throws Exception {
    Process exited = new ProcessBuilder("true").start();
    exited.waitFor(10, TimeUnit.SECONDS);
    long deadPid = exited.pid();
    Process sleeper = new ProcessBuilder("sleep", "120").start();
    String dead = "lifeline_" + deadPid + "_1";
    String live = "lifeline_" + sleeper.pid() + "_1";
    String foreign = "lifeline_other";
    try {
      assertThat(Path.of("/proc", Long.toString(deadPid))).doesNotExist();
      Nft.run("add table inet " + dead + "\nadd table inet " + live + "\nadd table inet " + foreign + "\n",
          "-f", "-");
      assertThat(Blackhole.sweepStale()).containsExactly(dead);
      String tables = Nft.run(null, "list", "tables");
      assertThat(tables).doesNotContain(dead).contains("table inet " + live, "table inet " + foreign);
    } finally {
      sleeper.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      Nft.exec(null, "delete", "table", "inet", dead);
      Nft.exec(null, "delete", "table", "inet", live);
      Nft.exec(null, "delete", "table", "inet", foreign);
    }
    assertThat(Nft.run(null, "list", "tables")).doesNotContain(live).doesNotContain(foreign);
  }

  @Test
  void errorsNameTheCommandAndItsStderr() {
    assertThatThrownBy(() -> Nft.run("table inet lifeline_bad {\n  chain in {\n    bogus\n  }\n}\n", "-f", "-"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("nft -f -` exited with 1: ")
        .hasMessageContaining("Error:")
        .hasMessageContaining("bogus");
    assertThatThrownBy(() -> Blackhole.drop(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Blackhole.drop(65536)).isInstanceOf(IllegalArgumentException.class);
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** A TCP echo server on 127.0.0.1 that echoes lines, one thread per connection, and counts the bytes it reads. */
  private static final class EchoServer implements AutoCloseable {
    private final ServerSocket listener;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final AtomicLong received = new AtomicLong();
    private final List<Socket> accepted = new ArrayList<>();

    EchoServer() throws IOException {
      listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
      threads.execute(this::acceptLoop);
    }

    int port() {
      return listener.getLocalPort();
    }

    long bytesReceived() {
      return received.get();
    }

    private void acceptLoop() {
      while (!listener.isClosed()) {
        try {
          Socket socket = listener.accept();
          synchronized (accepted) {
            accepted.add(socket);
          }
          threads.execute(() -> serve(socket));
        } catch (IOException e) {
          return; // closed
        }
      }
    }

    private void serve(Socket socket) {
      try (socket) {
        BufferedReader in = reader(socket);
        OutputStream out = socket.getOutputStream();
        String line;
        while ((line = in.readLine()) != null) {
          received.addAndGet(line.length() + 1);
          out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
          out.flush();
        }
      } catch (IOException e) {
        // the client went away
      }
    }

    @Override
    public void close() throws IOException, InterruptedException {
      listener.close();
      synchronized (accepted) {
        for (Socket socket : accepted) {
          socket.close();
        }
      }
      threads.shutdownNow();
      assertThat(threads.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  private static Socket connect(int port, int timeoutMillis) throws IOException {
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
      return socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  private static BufferedReader reader(Socket socket) throws IOException {
    return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
  }

  private static String echo(OutputStream out, BufferedReader in, String text) throws IOException {
    out.write((text + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
    return in.readLine();
  }

  /** @return {@code ss -tni} for exactly this client socket: the state line and the TCP_INFO line */
  private static String ss(Socket client) throws IOException, InterruptedException {
    Process process = new ProcessBuilder("ss", "-tni", "src", "127.0.0.1:" + client.getLocalPort(),
        "dst", "127.0.0.1:" + client.getPort()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as("ss: %s", output).isZero();
    return output.replaceAll("\\s+", " ").strip();
  }

  private static long number(Pattern pattern, String text) {
    Matcher matcher = pattern.matcher(text);
    return matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
  }

  private static Connection connect(DatabaseServer server, Properties extra) throws SQLException {
    Properties properties = server.baseProperties();
    properties.putAll(extra);
    return DriverManager.getConnection(server.jdbcUrl(), properties);
  }

  private static int selectOne(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery("select 1")) {
      assertThat(result.next()).isTrue();
      return result.getInt(1);
    }
  }

  /** @return the state letter of a process from {@code /proc/PID/stat}, e.g. {@code S}, {@code T} (stopped) */
  private static char procState(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }
}
