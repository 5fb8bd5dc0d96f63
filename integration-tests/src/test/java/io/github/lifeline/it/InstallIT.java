package io.github.lifeline.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.EvictionEvent;
import io.github.lifeline.EvictionReason;
import io.github.lifeline.Lifeline;
import io.github.lifeline.LifelinePool;
import io.github.lifeline.LifelineSettings;
import io.github.lifeline.it.support.Sessions;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.testkit.Borrower;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.Timed;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * An installed pool, which Lifeline never sees borrow from, on a connection that dies alone: the connection leaves
 * HikariCP at its verdict, without waiting for a borrow to find it (HikariCP's bag, {@code HikariBag}), and the
 * other connections, held while the server was in doubt, go back to the borrowers.
 *
 * <p>Issue 7 point 6: {@code Lifeline.install(HikariConfig)} never changes the user's configuration and never touches
 * another pool: it knows its own pool through {@code HikariConfig.copyStateTo} (called by
 * {@code new HikariDataSource(config)}), not by name through JMX. Each test failed on the JMX-based install: the
 * whole-pool eviction went to the pool registered first under the name, a name with {@code :} could not be looked
 * up, and a configuration was refused for reuse after a failed start.
 */
class InstallIT {

  private static HikariConfig config(DatabaseServer server, String poolName, int size) {
    Properties p = Driver.POSTGRESQL.hikariProperties(server, poolName, size, null);
    p.setProperty("connectionTimeout", "3000");
    return new HikariConfig(p);
  }

  @Test
  void twoPoolsWithTheSameNameEachKeepToTheirOwn() throws Exception {
    try (DatabaseServer a = PostgresServer.start();
         DatabaseServer b = PostgresServer.start();
         HikariDataSource poolA = new HikariDataSource(Lifeline.install(config(a, "orders", 3)));
         HikariDataSource poolB = new HikariDataSource(Lifeline.install(config(b, "orders", 3)))) {
      LifelinePool viewA = Lifeline.pool(poolA).orElseThrow();
      LifelinePool viewB = Lifeline.pool(poolB).orElseThrow();
      assertThat(viewA).isNotSameAs(viewB);
      awaitSockets(viewA, 3);
      awaitSockets(viewB, 3);
      Set<Integer> bPorts = ports(viewB);

      a.crash(); // every connection of pool A dies: A is evicted as a whole, B must not notice
      assertThat(Timed.awaitAll(() -> List.of(viewA.evictionCounts()), c -> c.values().stream()
          .mapToLong(Long::longValue).sum() >= 3, System.nanoTime(), 5)).as("pool A's connections evicted").isNotNull();
      Thread.sleep(300);
      assertThat(viewB.evictionCounts().values()).as("pool B evicted nothing").allMatch(n -> n == 0);
      assertThat(ports(viewB)).as("pool B kept its connections").isEqualTo(bPorts);
      assertThat(viewB.sockets()).noneMatch(SocketRecord::isClosed);
      try (Connection c = poolB.getConnection(); Statement st = c.createStatement()) {
        assertThat(st.execute("select 1")).isTrue();
      }
    }
  }

  @Test
  void aPoolNameThatJmxCannotTakeWorks() throws Exception {
    try (DatabaseServer server = PostgresServer.start();
         HikariDataSource pool = new HikariDataSource(Lifeline.install(config(server, "shop:orders,id=7", 3)))) {
      LifelinePool view = Lifeline.pool(pool).orElseThrow();
      awaitSockets(view, 3);
      server.restart();
      assertThat(Timed.awaitAll(() -> List.of(view.evictionCounts()), c -> c.get(EvictionReason.PEER_CLOSED)
          + c.get(EvictionReason.HOST_DOWN) >= 3, System.nanoTime(), 5)).as("evicted").isNotNull();
      assertThat(Timed.awaitAll(() -> List.of(view.sockets().size()), n -> n >= 3, System.nanoTime(), 5))
          .as("refilled from the restarted server").isNotNull();
      try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
        assertThat(st.execute("select 1")).isTrue();
      }
    }
  }

  @Test
  void theConfigurationCanBeUsedAgainAfterAFailedStart() throws Exception {
    try (DatabaseServer server = PostgresServer.start()) {
      HikariConfig config = config(server, "retry", 2);
      config.setInitializationFailTimeout(1);
      server.stop();
      assertThatThrownBy(() -> new HikariDataSource(Lifeline.install(config)))
          .hasMessageContaining("Failed to initialize pool");
      assertThat(config.getDataSource()).as("the configuration passed in is unchanged").isNull();
      server.start();
      try (HikariDataSource pool = new HikariDataSource(Lifeline.install(config));
           Connection c = pool.getConnection(); Statement st = c.createStatement()) {
        assertThat(st.execute("select 1")).isTrue();
        assertThat(Lifeline.pool(pool)).isPresent();
      }
    }
  }

  @Test
  void oneInstalledConfigurationServesOnePool() throws Exception {
    try (DatabaseServer server = PostgresServer.start()) {
      HikariConfig installed = Lifeline.install(config(server, "once", 1));
      try (HikariDataSource first = new HikariDataSource(installed)) {
        assertThatThrownBy(() -> new HikariDataSource(installed)).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("already belongs to pool once");
      }
    }
  }

  /**
   * Before the bag lever, an installed pool had no way to evict one connection that was never borrowed through
   * Lifeline: its socket was closed and HikariCP kept the entry until a borrow validated it (after 500 ms idle) or its
   * keepalive ran (120 s), so the pool stayed a connection short meanwhile.
   */
  @Test
  void aConnectionThatDiesAloneLeavesTheInstalledPoolWithoutABorrow() throws Exception {
    try (DatabaseServer server = PostgresServer.start();
         HikariDataSource pool = new HikariDataSource(Lifeline.install(config(server, "alone", 3)))) {
      LifelinePool view = Lifeline.pool(pool).orElseThrow();
      awaitSockets(view, 3);
      Set<Integer> before = ports(view);
      int victim = before.iterator().next();
      Sessions.terminate(Driver.POSTGRESQL, server, victim);
      assertThat(Timed.awaitAll(() -> List.of(ports(view)), p -> p.size() == 3 && !p.contains(victim),
          System.nanoTime(), 3)).as("the victim replaced without a borrow (ports before %s, now %s)", before,
          ports(view)).isNotNull();
      assertThat(Timed.awaitAll(() -> List.of(pool.getHikariPoolMXBean().getIdleConnections()), n -> n == 3,
          System.nanoTime(), 3)).as("every connection idle again, none left held (idle %d, total %d)",
          pool.getHikariPoolMXBean().getIdleConnections(), pool.getHikariPoolMXBean().getTotalConnections())
          .isNotNull();
      Set<Integer> siblings = before.stream().filter(p -> p != victim).collect(Collectors.toSet());
      assertThat(ports(view)).as("the siblings kept").containsAll(siblings);
      assertThat(view.evictionCounts().get(EvictionReason.HOST_DOWN)).isZero();
    }
  }

  /**
   * While the server is in doubt (a backend ended, the settle window open), the installed pool's older idle
   * connections are held out of reach; one backend dying alone must cost no statement on the others, and a pool
   * closed meanwhile closes at once (HikariCP waits up to 10 s for connections it cannot take back).
   */
  @Test
  void aLoneDeathCostsTheOthersNothingAndThePoolStillClosesAtOnce() throws Exception {
    try (DatabaseServer server = PostgresServer.start()) {
      HikariDataSource pool = new HikariDataSource(Lifeline.install(config(server, "held", 4)));
      Borrower borrower = null;
      try {
        LifelinePool view = Lifeline.pool(pool).orElseThrow();
        awaitSockets(view, 4);
        borrower = new Borrower("held", pool, Driver.POSTGRESQL, 5);
        Thread.sleep(300);
        int victim = ports(view).iterator().next();
        Sessions.terminate(Driver.POSTGRESQL, server, victim);
        Thread.sleep(1000);
        borrower.stop(10_000);
        List<Borrower.Sample> failed = borrower.samples().stream().filter(x -> x.result() != Borrower.Result.OK)
            .collect(Collectors.toList());
        assertThat(failed).as("failed statements other than on the victim %d", victim)
            .allMatch(x -> x.localPort() == victim).hasSizeLessThanOrEqualTo(1);
        assertThat(borrower.samples()).as("the load ran").hasSizeGreaterThan(100);
        // a second lone death: the pool holds again
        Sessions.terminate(Driver.POSTGRESQL, server, ports(view).iterator().next());
        long start = System.nanoTime();
        pool.close();
        assertThat(Timed.since(start)).as("seconds to close the pool while it held connections").isLessThan(5);
      } finally {
        if (borrower != null) {
          borrower.stop(10_000);
        }
        pool.close();
      }
    }
  }

  /**
   * A connection in use when its server began to go down comes back while the server is in doubt (one backend has
   * ended, the settle window is open, the hold took the idle connections only): HikariCP would lend it again at once,
   * and to the same thread first, to a borrower that no check of Lifeline sees. Here its own backend ends 20 ms after
   * it was given back, within the window (a second close: the host event), while the borrower that took it works
   * before its first statement. Stock HikariCP lends it and the statement fails; an installed pool takes it back only
   * once the server is judged, and the borrower gets a new connection. Judged the same way for both: the borrow
   * started after the first backend's end was known (to the kernel for stock, to Lifeline for the installed pool).
   * Failed on the code before the return wait (the installed pool lent it again too).
   */
  @Test
  void aConnectionGivenBackWhileItsServerIsInDoubtIsNotLentAgainUnjudged() throws Exception {
    try (DatabaseServer server = PostgresServer.start();
         Connection admin = Sessions.admin(server);
         HikariDataSource stock = new HikariDataSource(config(server, "given-back-stock", 2))) {
      List<EvictionEvent> events = new CopyOnWriteArrayList<>();
      String stockFailure = giveBackThenBorrow(server, admin, stock, port -> {
        Thread.sleep(20);
        return true;
      });
      assertThat(stockFailure).as("stock HikariCP lends the connection again and its statement fails (the fault is "
          + "real)").isNotNull();
      try (HikariDataSource installed = new HikariDataSource(Lifeline.install(config(server, "given-back", 2),
          LifelineSettings.defaults(), events::add))) {
        // The connection must be given back inside the settle window (100 ms from the first end): a verdict reported
        // later than WINDOW_MARGIN_MILLIS after it (a loaded machine) makes the round inconclusive, and it runs again.
        String failure = INCONCLUSIVE;
        for (int round = 0; round < 3 && INCONCLUSIVE.equals(failure); round++) {
          Thread.sleep(300); // the pool full again after the last round's host event
          failure = giveBackThenBorrow(server, admin, installed, port -> {
            assertThat(Timed.awaitAll(() -> List.of(events), e -> e.stream().anyMatch(x -> x.local().getPort() == port),
                System.nanoTime(), 5)).as("Lifeline's verdict on the first backend's end").isNotNull();
            long verdict = events.stream().filter(x -> x.local().getPort() == port).findFirst().orElseThrow()
                .verdictNanos();
            return System.nanoTime() - verdict < TimeUnit.MILLISECONDS.toNanos(WINDOW_MARGIN_MILLIS);
          });
        }
        assertThat(failure).as("the borrow after the connection was given back (Lifeline: %s)", events).isNull();
      }
    }
  }

  private static final String INCONCLUSIVE = "inconclusive";
  private static final long WINDOW_MARGIN_MILLIS = 40;

  /** What waits until the end of the backend of client port {@code port} is known. */
  private interface Known {
    /** Waits; false when it became known too late for the round to tell anything. */
    boolean await(int port) throws Exception;
  }

  /**
   * Borrows two connections, gives one back and ends its backend, waits until that is known, then gives the other
   * back and borrows at once (HikariCP's thread-local list lends the same connection first); that connection's backend
   * ends 20 ms after it was given back, and the borrower runs {@code select 1} 40 ms after its borrow.
   *
   * @return the statement's SQLState when it failed, null when it ran, {@link #INCONCLUSIVE} when the end of the
   *     first backend became known too late
   */
  private static String giveBackThenBorrow(DatabaseServer server, Connection admin, HikariDataSource pool,
      Known known) throws Exception {
    Connection inUse = pool.getConnection();
    int inUsePort = Driver.POSTGRESQL.socketOf(inUse).getLocalPort();
    int idlePort;
    try (Connection other = pool.getConnection()) {
      idlePort = Driver.POSTGRESQL.socketOf(other).getLocalPort();
    }
    Sessions.terminate(Driver.POSTGRESQL, admin, idlePort);
    if (!known.await(idlePort)) {
      inUse.close();
      return INCONCLUSIVE;
    }
    Thread terminator = new Thread(() -> {
      try {
        Thread.sleep(20);
        Sessions.terminate(Driver.POSTGRESQL, admin, inUsePort);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, "terminator");
    terminator.start();
    try {
      inUse.close();
      try (Connection next = pool.getConnection(); Statement st = next.createStatement()) {
        Thread.sleep(40); // the request's work before its first statement
        st.execute("select 1");
        return null;
      } catch (SQLException e) {
        return e.getSQLState() + " " + e.getMessage();
      }
    } finally {
      terminator.join(5_000);
    }
  }

  private static Set<Integer> ports(LifelinePool pool) {
    return pool.sockets().stream().map(r -> r.local().getPort()).collect(Collectors.toSet());
  }

  private static void awaitSockets(LifelinePool pool, int n) throws Exception {
    assertThat(Timed.awaitAll(() -> List.of(pool.sockets().size()), s -> s >= n, System.nanoTime(), 10))
        .as("%s holds %d sockets", pool.name(), n).isNotNull();
  }
}
