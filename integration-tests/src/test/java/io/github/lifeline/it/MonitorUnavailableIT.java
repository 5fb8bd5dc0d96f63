package io.github.lifeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.zaxxer.hikari.HikariConfig;
import io.github.lifeline.EvictionListener;
import io.github.lifeline.LifelineDataSource;
import io.github.lifeline.LifelineSettings;
import io.github.lifeline.internal.linux.DescriptorLookup;
import io.github.lifeline.it.support.SharedMonitor;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 7 point 1, with a real failure of the kernel's resources: the process's descriptor limit is lowered while the
 * pool opens its first connection ({@code EMFILE}). The pool must open its connection and run queries anyway, and say
 * why it is not monitored.
 */
class MonitorUnavailableIT {

  /**
   * One descriptor of room: the socket takes it, and the monitor's epoll instance cannot be created. The descriptor
   * lookup predicts the socket's number before the socket exists ({@link DescriptorLookup}) and then needs no
   * descriptor of its own, so the socket is fully tuned. Only when a JVM thread opened or closed a descriptor between
   * the prediction and the socket's creation does the lookup fall back to listing {@code /proc/self/fd}, which needs a
   * descriptor: then the user timeout is reported unavailable, with the reason. Either way the pool runs its queries.
   */
  @Test
  void poolRunsQueriesWithOneDescriptorOfRoom() throws Exception {
    try (DatabaseServer server = PostgresServer.start()) {
      DescriptorLookup.Counts before = DescriptorLookup.counts();
      try (LifelineDataSource ds = openWithRoomFor(server, 1)) {
        DescriptorLookup.Counts lookups = DescriptorLookup.counts().since(before);
        assertThat(ds.pool().monitoringProblem()).isPresent().get().asString().contains("Too many open files");
        runQueries(ds);
        assertThat(lookups.lookups()).as("lookups while the pool opened: %s", lookups).isEqualTo(1);
        String tuning = ds.pool().sockets().get(0).tuning().toString();
        assertThat(ds.pool().sockets()).hasSize(1);
        assertThat(tuning).contains("TCP_KEEPIDLE=30s");
        if (lookups.scans() == 0) {
          assertThat(tuning).as("predicted: no descriptor needed").contains("TCP_USER_TIMEOUT=45000ms");
        } else {
          assertThat(tuning).as("the fallback scan had no descriptor").contains("TCP_USER_TIMEOUT=unavailable");
        }
      }
    }
  }

  /**
   * A little more room: the socket and its descriptor lookup fit, the monitor's epoll instance (or its eventfd, or its
   * netlink channel) does not. How many descriptors the lookup needs depends on the JDK; the room grows one by one
   * until the lookup succeeds, and then the monitor must be the one that failed.
   */
  @Test
  void poolRunsQueriesWhenTheEpollInstanceCannotBeCreated() throws Exception {
    try (DatabaseServer server = PostgresServer.start()) {
      for (int room = 2; room <= 8; room++) {
        try (LifelineDataSource ds = openWithRoomFor(server, room)) {
          String problem = ds.pool().monitoringProblem().orElse("");
          if (problem.contains("could not be looked up")) {
            continue; // the lookup itself still lacked descriptors
          }
          assertThat(problem).as("why the pool is not monitored (room %d)", room).contains("EMFILE");
          runQueries(ds);
          assertThat(ds.pool().sockets()).as("the connection is tuned all the same").hasSize(1)
              .allSatisfy(r -> assertThat(r.tuning().allMatch()).isTrue());
          return;
        }
      }
      throw new AssertionError("the descriptor lookup never fitted in 8 descriptors of room");
    }
  }

  private static void runQueries(LifelineDataSource ds) throws Exception {
    for (int i = 0; i < 10; i++) {
      try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
        assertThat(st.execute("select 1")).isTrue();
      }
    }
  }

  /**
   * Opens a pool of one connection while the process has exactly {@code descriptors} free descriptors: the limit is
   * lowered, the table is filled with /dev/null up to it, and that many are freed again.
   */
  private static LifelineDataSource openWithRoomFor(DatabaseServer server, int descriptors) throws Exception {
    SharedMonitor.awaitIdle(); // the JVM's monitor, idle after earlier tests, releases its descriptors
    Properties p = Driver.POSTGRESQL.hikariProperties(server, "emfile-" + descriptors, 1, null);
    p.setProperty("minimumIdle", "1");
    HikariConfig config = new HikariConfig(p);
    Rlimit.Limit saved = Rlimit.get();
    List<SeekableByteChannel> filler = new ArrayList<>();
    try {
      Rlimit.set(openDescriptors() + 64, saved.max());
      while (true) {
        try {
          filler.add(Files.newByteChannel(Path.of("/dev/null")));
        } catch (IOException e) { // EMFILE: the table is full
          break;
        }
      }
      for (int i = 0; i < descriptors; i++) {
        filler.remove(filler.size() - 1).close();
      }
      return new LifelineDataSource(config, LifelineSettings.defaults(), EvictionListener.NONE);
    } finally {
      for (SeekableByteChannel c : filler) {
        c.close();
      }
      Rlimit.set(saved.cur(), saved.max());
    }
  }

  private static long openDescriptors() throws Exception {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count() - 1; // the listing's own descriptor
    }
  }

  /** getrlimit/setrlimit(RLIMIT_NOFILE) through JNA. */
  static final class Rlimit {
    private static final int RLIMIT_NOFILE = 7;

    record Limit(long cur, long max) {
    }

    interface C extends Library {
      C INSTANCE = Native.load("c", C.class);

      int getrlimit(int resource, long[] limit);

      int setrlimit(int resource, long[] limit);
    }

    static Limit get() {
      long[] l = new long[2];
      assertThat(C.INSTANCE.getrlimit(RLIMIT_NOFILE, l)).isZero();
      return new Limit(l[0], l[1]);
    }

    static void set(long cur, long max) {
      assertThat(C.INSTANCE.setrlimit(RLIMIT_NOFILE, new long[] {cur, max})).as("setrlimit").isZero();
    }
  }
}
