package io.github.lifeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import io.github.lifeline.EvictionEvent;
import io.github.lifeline.EvictionReason;
import io.github.lifeline.LifelineDataSource;
import io.github.lifeline.LifelineSettings;
import io.github.lifeline.socket.KernelState;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.it.support.PooledSockets;
import io.github.lifeline.it.support.Sessions;
import io.github.lifeline.testkit.Borrower;
import io.github.lifeline.testkit.Borrower.Result;
import io.github.lifeline.testkit.Borrower.Sample;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.KernelClock;
import io.github.lifeline.testkit.fault.Blackhole;
import io.github.lifeline.testkit.junit.RequiresFaultInjection;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.MariaDbServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 7 point 4: a backend that dies alone takes no other connection with it, even on a path that loses packets
 * (nftables {@code numgen random} dropping a share of the packets to and from the server, each way), where keepalive
 * probes and retransmissions go unanswered all the time. Before the fix, the sibling rule marked every connection to
 * the host with one probe or one retransmission outstanding as dead once any connection to it had died; measured from
 * outside, healthy siblings were killed as {@code host-dead} in 5 runs of 6. The same test without loss runs too.
 *
 * <p>Under load from four borrowers, one backend of the pool is terminated from an admin session
 * ({@code pg_terminate_backend}, MariaDB's {@code KILL}). Lifeline evicts exactly that connection; every other
 * connection of the pool stays open, and no statement fails on any of them. The loss was real: the pool's sockets
 * retransmitted.
 */
@RequiresFaultInjection
class LossyPathIT {

  private static final Logger LOG = LoggerFactory.getLogger(LossyPathIT.class);
  static final int POOL_SIZE = 8;

  @ParameterizedTest
  @CsvSource({"POSTGRESQL, 20", "MYSQL, 20", "POSTGRESQL, 0", "MYSQL, 0"})
  void oneBackendDyingAloneTakesNoOtherConnection(Driver driver, int lossPercent) throws Exception {
    List<EvictionEvent> events = new CopyOnWriteArrayList<>();
    try (DatabaseServer server = driver == Driver.POSTGRESQL ? PostgresServer.start() : MariaDbServer.start()) {
      Properties p = driver.hikariProperties(server, "lossy-" + lossPercent + "-" + driver, POOL_SIZE, null);
      p.setProperty("connectionTimeout", "20000");
      // The admin session is opened before the loss starts: a new connection through the lossy path fails now and
      // then (its SYN or SYN-ACK lost in three tries within the 5 s connect timeout, about 5 %); an open one
      // retransmits.
      try (Connection admin = Sessions.admin(server);
          LifelineDataSource ds = new LifelineDataSource(new HikariConfig(p), LifelineSettings.defaults(),
          events::add);
          KernelClock clock = new KernelClock(server.port())) {
        awaitSockets(ds, POOL_SIZE);
        clock.watchNew();
        Blackhole loss = lossPercent > 0 ? Blackhole.lossy(server.port(), lossPercent) : null;
        List<Borrower> borrowers = new ArrayList<>();
        int victimPort;
        try {
          for (int i = 0; i < 4; i++) {
            borrowers.add(new Borrower("lossy-" + i, ds, driver, 5));
          }
          watchFor(clock, 2000); // retransmissions all around
          List<SocketRecord> before = ds.pool().sockets();
          victimPort = before.get(before.size() / 2).local().getPort();
          Sessions.terminate(driver, admin, victimPort);
          watchFor(clock, 8000);
        } finally {
          for (Borrower b : borrowers) {
            b.stop(60_000);
          }
          if (loss != null) {
            loss.heal();
          }
        }
        // The kernel itself may give up on a live connection of a path this lossy: a segment whose retransmissions
        // or their ACKs are lost for the whole user timeout (about nine times in a row at 36 %). That is the
        // connection's own verdict, not Lifeline's suspicion: such a connection is excused only on the kernel's
        // word (ETIMEDOUT in its trace), and only for statements in flight at that verdict.
        Map<Integer, Long> kernelTimeouts = clock.timeouts();
        // The evicted connection is the victim, and only it (a borrower that was using it may have made HikariCP
        // close it first: then nothing is left for Lifeline to evict).
        assertThat(events.stream().filter(e -> !kernelTimeouts.containsKey(e.local().getPort())))
            .as("evictions other than the kernel's own timeouts %s", kernelTimeouts).hasSizeLessThanOrEqualTo(1)
            .allSatisfy(e -> assertThat(e.local().getPort()).isEqualTo(victimPort))
            .allSatisfy(e -> assertThat(e.reason()).isIn(EvictionReason.PEER_CLOSED, EvictionReason.RESET));
        assertThat(events.stream().filter(e -> kernelTimeouts.containsKey(e.local().getPort())))
            .allSatisfy(e -> assertThat(e.reason()).isEqualTo(EvictionReason.TIMEOUT));
        assertThat(ds.pool().evictionCounts().get(EvictionReason.HOST_DOWN)).isZero();
        List<Sample> samples = new ArrayList<>();
        borrowers.forEach(b -> samples.addAll(b.samples()));
        List<Sample> failedElsewhere = samples.stream().filter(x -> x.result() != Result.OK
            && x.localPort() != victimPort && !inFlightAt(x, kernelTimeouts.get(x.localPort())))
            .collect(Collectors.toList());
        long failedOnVictim = samples.stream().filter(x -> x.result() != Result.OK && x.localPort() == victimPort)
            .count();
        LOG.info("{} at {} % loss: {} borrows, {} failed on the victim, {} elsewhere; the kernel timed out {} "
            + "connections itself {} (clock: {})", driver, lossPercent, samples.size(), failedOnVictim,
            failedElsewhere.size(), kernelTimeouts.size(), kernelTimeouts, clock.clock());
        assertThat(failedElsewhere).as("statements failed on other connections, or borrows without one").isEmpty();
        assertThat(failedOnVictim).as("at most the victim's own statements").isLessThanOrEqualTo(borrowers.size());
        assertThat(samples.size()).as("the load ran").isGreaterThan(100);
        // Every other connection of the pool is still the one it was, open.
        Set<Integer> still = ds.pool().sockets().stream().map(r -> r.local().getPort()).collect(Collectors.toSet());
        List<SocketRecord> others = ds.pool().sockets().stream().filter(r -> r.local().getPort() != victimPort)
            .collect(Collectors.toList());
        assertThat(still).doesNotContain(victimPort);
        assertThat(others).noneMatch(SocketRecord::isClosed);
        if (lossPercent > 0) {
          long retransmitted = 0;
          for (SocketRecord r : ds.pool().sockets()) {
            KernelState k = r.kernelState();
            retransmitted += k.totalRetrans();
          }
          assertThat(retransmitted).as("segments the pool's sockets retransmitted: the loss was real").isPositive();
        }
      }
    }
  }

  /**
   * One connection's lost keepalive probe is no evidence of death, even right after another connection to the same
   * server timed out completely. On a path that loses a share p of the packets each way, a live peer leaves a probe
   * unanswered with probability 1 - (1 - p)², 36 % at 20 %, and an idle connection has received nothing for its whole
   * idle time, so "something outstanding and no ACK for two intervals" held for any idle sibling with one probe in
   * flight. Measured in a CI run on the lossy path above: 41 s after the victim's FIN another connection timed out
   * completely (its own kernel verdict), and a healthy established sibling was evicted as host-silent with it.
   *
   * <p>Here that is made exact. Of a pool of two idle connections (keepalive 2 s idle, 1 s interval, 3 probes), A is
   * silenced for good and times out after 5 s. B's last activity was 2.5 s after A's, and only B's first probe (at
   * 4.5 s) is dropped, so when A's verdict comes (5 s) B has one probe outstanding and has received nothing for
   * 2.5 s. B's next probe is answered: B was alive all along and must stay in the pool. The fault was real: A's
   * eviction is the kernel's timeout, and B's lost probe is read from the kernel at A's verdict.
   */
  @org.junit.jupiter.api.Test
  void oneLostProbeAfterASiblingsTimeoutIsNoEvidence() throws Exception {
    List<EvictionEvent> events = new CopyOnWriteArrayList<>();
    LifelineSettings settings = LifelineSettings.builder().keepaliveIdle(java.time.Duration.ofSeconds(2))
        .keepaliveInterval(java.time.Duration.ofSeconds(1)).keepaliveCount(3).build();
    try (DatabaseServer server = PostgresServer.start()) {
      Properties p = Driver.POSTGRESQL.hikariProperties(server, "one-lost-probe", 2, null);
      try (LifelineDataSource ds = new LifelineDataSource(new HikariConfig(p), settings, events::add);
          KernelClock clock = new KernelClock(server.port())) {
        awaitSockets(ds, 2);
        assertThat(clock.watchNew()).isEqualTo(2);
        int portA;
        int portB;
        Blackhole silenceA;
        Blackhole probeB = null;
        long tA;
        try (Connection a = ds.getConnection(); Connection b = ds.getConnection()) {
          portA = Driver.POSTGRESQL.socketOf(a).getLocalPort();
          portB = Driver.POSTGRESQL.socketOf(b).getLocalPort();
          tA = System.nanoTime();
          PooledSockets.selectOne(a);
          silenceA = Blackhole.dropConnections(server.port(), List.of(portA));
          try {
            sleepUntil(tA + 2_500_000_000L);
            PooledSockets.selectOne(b); // B's probes: at 4.5 s, 5.5 s, ...
          } catch (Exception | Error e) {
            silenceA.heal();
            throw e;
          }
        }
        try {
          sleepUntil(tA + 3_800_000_000L);
          probeB = Blackhole.dropConnections(server.port(), List.of(portB));
          long deadline = tA + 5_400_000_000L; // before B's second probe
          while (events.stream().noneMatch(e -> e.local().getPort() == portA) && System.nanoTime() < deadline) {
            Thread.sleep(1);
          }
          KernelState b = ds.pool().sockets().stream().filter(r -> r.local().getPort() == portB).findFirst()
              .orElseThrow(() -> new AssertionError("B left the pool: " + events)).kernelState();
          probeB.heal();
          assertThat(events).as("A timed out on the kernel's verdict").anySatisfy(e -> {
            assertThat(e.local().getPort()).isEqualTo(portA);
            assertThat(e.reason()).isEqualTo(EvictionReason.TIMEOUT);
          });
          assertThat(b.probes()).as("B's first probe went unanswered: %s", b).isGreaterThanOrEqualTo(1);
          Thread.sleep(1500); // B's next probe is answered
        } finally {
          silenceA.heal();
          if (probeB != null) {
            probeB.heal();
          }
        }
        assertThat(events).as("evictions").allSatisfy(e -> assertThat(e.local().getPort()).isEqualTo(portA));
        if (clock.clock().equals("tracefs")) {
          assertThat(clock.timeouts()).as("the kernel's own timeouts").containsOnlyKeys(portA);
        }
        SocketRecord b = ds.pool().sockets().stream().filter(r -> r.local().getPort() == portB).findFirst()
            .orElseThrow(() -> new AssertionError("B was closed: " + events));
        assertThat(b.isClosed()).isFalse();
        assertThat(b.kernelState().established()).isTrue();
        assertThat(b.kernelState().probes()).as("B's later probe was answered").isZero();
        Set<Integer> served = new java.util.HashSet<>();
        try (Connection c1 = ds.getConnection(); Connection c2 = ds.getConnection()) {
          PooledSockets.selectOne(c1);
          PooledSockets.selectOne(c2);
          served.add(Driver.POSTGRESQL.socketOf(c1).getLocalPort());
          served.add(Driver.POSTGRESQL.socketOf(c2).getLocalPort());
        }
        assertThat(served).as("B is lent and works").contains(portB).doesNotContain(portA);
      }
    }
  }

  /** Watches the pool's new connections (replacements) for the kernel's verdicts while {@code millis} pass. */
  private static void watchFor(KernelClock clock, long millis) throws Exception {
    long end = System.nanoTime() + millis * 1_000_000L;
    while (System.nanoTime() < end) {
      clock.watchNew();
      Thread.sleep(Math.min(200, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
    }
  }

  /** Whether the statement was in flight at the kernel's verdict on its connection ({@code verdict} may be null). */
  private static boolean inFlightAt(Sample s, Long verdict) {
    return verdict != null && s.startNanos() - verdict <= 0 && s.endNanos() - verdict >= 0;
  }

  private static void sleepUntil(long nanos) throws InterruptedException {
    long left;
    while ((left = nanos - System.nanoTime()) > 0) {
      Thread.sleep(Math.max(1, left / 1_000_000));
    }
  }

  private static void awaitSockets(LifelineDataSource ds, int n) throws Exception {
    for (int i = 0; i < 500 && ds.pool().sockets().size() < n; i++) {
      Thread.sleep(10);
    }
    assertThat(ds.pool().sockets()).hasSize(n);
  }
}
