package io.github.lifeline.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lifeline.LifelineSettings;
import io.github.lifeline.socket.KernelState;
import io.github.lifeline.socket.LifelineSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real loopback connections; the kernel decides, the monitor reports. */
class SocketMonitorTest {

  private ServerSocket server;
  private SocketMonitor monitor;
  private final BlockingQueue<SocketMonitor.Verdict> verdicts = new LinkedBlockingQueue<>();
  private final List<Socket> open = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    server = new ServerSocket(0, 2000, InetAddress.getLoopbackAddress());
    monitor = new SocketMonitor("test", verdicts::add, SocketMonitor.daemonThreads("test"), System::nanoTime);
  }

  @AfterEach
  void tearDown() throws IOException {
    monitor.close();
    for (Socket s : open) {
      s.close();
    }
    server.close();
  }

  private Socket[] pair() throws IOException {
    LifelineSocket client = new LifelineSocket(LifelineSettings.defaults(), "test");
    client.connect(server.getLocalSocketAddress(), 2000);
    Socket peer = server.accept();
    open.add(client);
    open.add(peer);
    return new Socket[] {client, peer};
  }

  @Test
  void peerCloseIsReportedOnceAsCloseWait() throws Exception {
    Socket[] p = pair();
    LifelineSocket client = (LifelineSocket) p[0];
    assertThat(monitor.watch(client.record())).isEqualTo(SocketMonitor.WatchResult.WATCHED);
    assertThat(monitor.watchedCount()).isOne();
    p[1].close();
    SocketMonitor.Verdict v = verdicts.poll(10, TimeUnit.SECONDS);
    assertThat(v).isNotNull();
    assertThat(v.record()).isSameAs(client.record());
    assertThat(v.state().tcpState()).isEqualTo("CLOSE_WAIT");
    assertThat(v.reason()).isEqualTo("peer-closed");
    assertThat(monitor.watchedCount()).isZero();
    assertThat(verdicts.poll(200, TimeUnit.MILLISECONDS)).as("one-shot").isNull();
  }

  @Test
  void resetIsReportedAsGone() throws Exception {
    Socket[] p = pair();
    monitor.watch(((LifelineSocket) p[0]).record());
    p[1].setSoLinger(true, 0); // close with RST
    p[1].close();
    SocketMonitor.Verdict v = verdicts.poll(10, TimeUnit.SECONDS);
    assertThat(v).isNotNull();
    assertThat(v.state().tcpState()).isEqualTo(KernelState.GONE);
    assertThat(v.reason()).isEqualTo("reset-or-timeout");
  }

  @Test
  void closingTheSocketUnwatchesItWithoutAVerdict() throws Exception {
    Socket[] p = pair();
    monitor.watch(((LifelineSocket) p[0]).record());
    p[0].close();
    assertThat(monitor.watchedCount()).isZero();
    p[1].close();
    assertThat(verdicts.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void aClosedSocketIsNotWatched() throws Exception {
    Socket[] p = pair();
    var record = ((LifelineSocket) p[0]).record();
    p[0].close();
    assertThat(monitor.watch(record)).isEqualTo(SocketMonitor.WatchResult.SOCKET_CLOSED);
    assertThat(monitor.watchedCount()).isZero();
  }

  @Test
  void healthyTrafficWakesNothingAndOnlyTheDeadOneIsReported() throws Exception {
    List<Socket[]> pairs = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      Socket[] p = pair();
      monitor.watch(((LifelineSocket) p[0]).record());
      pairs.add(p);
    }
    for (Socket[] p : pairs) { // data both ways: not an event
      p[0].getOutputStream().write(1);
      p[1].getOutputStream().write(2);
      assertThat(p[1].getInputStream().read()).isEqualTo(1);
      assertThat(p[0].getInputStream().read()).isEqualTo(2);
    }
    assertThat(verdicts.poll(200, TimeUnit.MILLISECONDS)).isNull();
    pairs.get(123)[1].close();
    SocketMonitor.Verdict v = verdicts.poll(10, TimeUnit.SECONDS);
    assertThat(v.record()).isSameAs(((LifelineSocket) pairs.get(123)[0]).record());
    assertThat(monitor.watchedCount()).isEqualTo(199);
  }

  @Test
  void idleMonitorStopsByItselfWhenItsLastSocketCloses() throws Exception {
    SocketMonitor idle = new SocketMonitor("idle", verdicts::add, SocketMonitor.daemonThreads("idle"),
        System::nanoTime, true);
    Socket[] p = pair();
    assertThat(idle.watch(((LifelineSocket) p[0]).record())).isEqualTo(SocketMonitor.WatchResult.WATCHED);
    p[0].close();
    for (int i = 0; i < 200 && idle.isRunning(); i++) {
      Thread.sleep(10);
    }
    assertThat(idle.isRunning()).isFalse();
    Socket[] q = pair();
    assertThat(idle.watch(((LifelineSocket) q[0]).record())).isEqualTo(SocketMonitor.WatchResult.MONITOR_STOPPED);
    idle.close();
  }

  @Test
  void closeStopsTheThread() throws Exception {
    monitor.close();
    Thread.sleep(50);
    assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("lifeline-monitor-test"));
  }
}
