package io.github.lifeline.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lifeline.internal.monitor.SocketMonitor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The host judgement of {@link DeathPolicy#peerExit}, on the server closes' own timestamps. */
class DeathPolicyTest {

  private static int port = 41_000;
  private SocketMonitor monitor;

  @BeforeEach
  void start() {
    monitor = new SocketMonitor(r -> {
      Thread t = new Thread(r, "death-policy-test");
      t.setDaemon(true);
      return t;
    }, System::nanoTime);
  }

  @AfterEach
  void stop() {
    monitor.shutdown();
  }

  /** A server of its own (TEST-NET-1, never connected to), so that no other test of this JVM shares its state. */
  private static HostState fresh() throws Exception {
    return HostState.of(new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 2}), port++));
  }

  private static long ms(long n) {
    return TimeUnit.MILLISECONDS.toNanos(n);
  }

  /**
   * A PostgreSQL fast shutdown on a loaded machine spreads its backends' exits: over 40 restarts in the restart tests
   * (two busy cores, 10 to 24 connections), the second close came up to 59.7 ms after the first (2 of 40 above 50 ms),
   * and the widest gap between two consecutive closes was 78 ms. One shutdown must make one host event.
   */
  @Test
  void aLoadedServersSecondCloseSixtyMillisecondsAfterTheFirstIsTheSameShutdown() throws Exception {
    HostState h = fresh();
    long t0 = System.nanoTime();
    assertThat(DeathPolicy.peerExit(h, t0)).as("first close: the settle window opens")
        .isEqualTo(DeathPolicy.Exit.WINDOW_OPENED);
    assertThat(h.settling()).isTrue();
    assertThat(DeathPolicy.peerExit(h, t0 + ms(60))).as("second close 60 ms later: host down")
        .isEqualTo(DeathPolicy.Exit.HOST_EVENT);
    assertThat(h.epoch()).isEqualTo(1);
    assertThat(DeathPolicy.peerExit(h, t0 + ms(60 + 78))).as("a close 78 ms after the previous "
        + "one: the same shutdown, no second host event").isEqualTo(DeathPolicy.Exit.NOTHING);
    assertThat(h.epoch()).isEqualTo(1);
  }

  /** One backend dying alone makes no host event, however long after another close it comes. */
  @Test
  void closesFurtherApartThanTheWindowAreNoHostEvent() throws Exception {
    HostState h = fresh();
    long t0 = System.nanoTime();
    assertThat(DeathPolicy.peerExit(h, t0)).isEqualTo(DeathPolicy.Exit.WINDOW_OPENED);
    long later = t0 + ms(DeathPolicy.SETTLE_MILLIS) + ms(1);
    assertThat(DeathPolicy.peerExit(h, later)).as("a close after the window: a new window")
        .isEqualTo(DeathPolicy.Exit.WINDOW_OPENED);
    assertThat(h.epoch()).isZero();
  }

  /**
   * A window that no second close turns into a host event ends by itself, and only then are the connections held
   * for it given back; a host event ends it without that.
   */
  @Test
  void aQuietWindowEndsOnTimeAndOnlyAQuietOneReleases() throws Exception {
    HostState quiet = fresh();
    HostState down = fresh();
    java.util.List<HostState> released = new java.util.concurrent.CopyOnWriteArrayList<>();
    long t0 = monitor.nanoTime() + ms(200); // the closes' time: after this test's own setup, whatever it costs
    assertThat(DeathPolicy.peerExit(quiet, t0)).isEqualTo(DeathPolicy.Exit.WINDOW_OPENED);
    DeathPolicy.endWindowLater(quiet, monitor, released::add);
    assertThat(DeathPolicy.peerExit(down, t0)).isEqualTo(DeathPolicy.Exit.WINDOW_OPENED);
    DeathPolicy.endWindowLater(down, monitor, released::add);
    assertThat(DeathPolicy.peerExit(down, t0 + ms(1))).isEqualTo(DeathPolicy.Exit.HOST_EVENT);
    sleepUntil(t0 + ms(DeathPolicy.SETTLE_MILLIS / 2));
    assertThat(quiet.settling()).as("still settling before the window's end").isTrue();
    assertThat(released).isEmpty();
    sleepUntil(t0 + ms(DeathPolicy.SETTLE_MILLIS) + ms(500));
    assertThat(quiet.settling()).as("the quiet window ended").isFalse();
    assertThat(released).as("released once, for the quiet window only").containsExactly(quiet);
  }

  private void sleepUntil(long nanos) throws InterruptedException {
    long left;
    while ((left = nanos - monitor.nanoTime()) > 0) {
      Thread.sleep(Math.max(1, left / 1_000_000));
    }
  }
}
