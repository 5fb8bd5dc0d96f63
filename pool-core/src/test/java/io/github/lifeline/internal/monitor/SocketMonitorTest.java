package io.github.lifeline.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.Library;
import com.sun.jna.Native;
import io.github.lifeline.LifelineSettings;
import io.github.lifeline.internal.linux.Epoll;
import io.github.lifeline.internal.socket.TunedSocket;
import io.github.lifeline.socket.TcpState;
import io.github.lifeline.spi.LifelineSocket;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real loopback connections; the kernel decides, the monitor reports. */
class SocketMonitorTest {

  private ServerSocket server;
  private SocketMonitor monitor;
  private final BlockingQueue<SocketMonitor.Verdict> verdicts = new LinkedBlockingQueue<>();
  private final List<Socket> open = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void setUp() throws IOException {
    server = new ServerSocket(0, 2000, InetAddress.getLoopbackAddress());
    monitor = new SocketMonitor(named("lifeline-monitor-test"), System::nanoTime);
  }

  @AfterEach
  void tearDown() throws IOException {
    monitor.shutdown();
    synchronized (open) {
      for (Socket s : open) {
        s.close();
      }
    }
    server.close();
  }

  private static java.util.concurrent.ThreadFactory named(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  private Socket[] pair() throws IOException {
    LifelineSocket client = new LifelineSocket(LifelineSettings.defaults(), "test");
    client.connect(server.getLocalSocketAddress(), 2000);
    Socket peer = server.accept();
    open.add(client);
    open.add(peer);
    return new Socket[] {client, peer};
  }

  private static TunedSocket tuned(Socket s) {
    return (TunedSocket) ((LifelineSocket) s).record().orElseThrow();
  }

  private void watch(Socket s) throws IOException {
    assertThat(monitor.watch(tuned(s), verdicts::add, s)).isPresent();
  }

  @Test
  void peerCloseIsReportedOnceAsCloseWait() throws Exception {
    Socket[] p = pair();
    AtomicReference<TcpState> state = new AtomicReference<>();
    assertThat(monitor.watch(tuned(p[0]), v -> {
      try {
        state.set(monitor.kernelState(v.socket()).state()); // the monitor's own channel, on its thread
      } catch (IOException e) {
        throw new AssertionError(e);
      }
      verdicts.add(v);
    }, p[0])).isPresent();
    assertThat(monitor.watchedCount()).isOne();
    p[1].close();
    SocketMonitor.Verdict v = verdicts.poll(10, TimeUnit.SECONDS);
    assertThat(v).isNotNull();
    assertThat(v.socket()).isSameAs(tuned(p[0]));
    assertThat(v.watch().attachment()).isSameAs(p[0]);
    assertThat(v.events() & Epoll.EPOLLRDHUP).isNotZero();
    assertThat(state.get()).isEqualTo(TcpState.CLOSE_WAIT);
    assertThat(monitor.watchedCount()).isZero();
    assertThat(verdicts.poll(200, TimeUnit.MILLISECONDS)).as("one-shot").isNull();
  }

  @Test
  void resetIsReportedWithAnError() throws Exception {
    Socket[] p = pair();
    watch(p[0]);
    p[1].setSoLinger(true, 0); // close with RST
    p[1].close();
    SocketMonitor.Verdict v = verdicts.poll(10, TimeUnit.SECONDS);
    assertThat(v).isNotNull();
    assertThat(v.events() & (Epoll.EPOLLERR | Epoll.EPOLLHUP)).isNotZero();
  }

  @Test
  void closingTheSocketUnwatchesItWithoutAVerdict() throws Exception {
    Socket[] p = pair();
    watch(p[0]);
    p[0].close();
    assertThat(monitor.watchedCount()).isZero();
    p[1].close();
    assertThat(verdicts.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void aClosedSocketIsNotWatched() throws Exception {
    Socket[] p = pair();
    TunedSocket record = tuned(p[0]);
    p[0].close();
    assertThat(monitor.watch(record, verdicts::add, null)).isEmpty();
    assertThat(monitor.watchedCount()).isZero();
  }

  @Test
  void healthyTrafficWakesNothingAndOnlyTheDeadOneIsReported() throws Exception {
    List<Socket[]> pairs = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      Socket[] p = pair();
      watch(p[0]);
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
    assertThat(v.socket()).isSameAs(tuned(pairs.get(123)[0]));
    assertThat(monitor.watchedCount()).isEqualTo(199);
  }

  @Test
  void stopsByItselfWhenIdleAndStartsAgainWithTheNextWatch() throws Exception {
    Socket[] p = pair();
    watch(p[0]);
    assertThat(monitor.isRunning()).isTrue();
    p[0].close();
    awaitStopped();
    assertThat(threadsNamed("lifeline-monitor-test")).isZero();
    Socket[] q = pair();
    watch(q[0]);
    assertThat(monitor.isRunning()).isTrue();
    q[1].close();
    assertThat(verdicts.poll(10, TimeUnit.SECONDS)).as("verdict after a restart").isNotNull();
    awaitStopped();
  }

  /** Issue 7 point 2: an Error or RuntimeException from a listener does not end the monitor. */
  @Test
  void aFailingListenerDoesNotStopTheMonitor() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    List<Socket[]> pairs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Socket[] p = pair();
      pairs.add(p);
      int n = i;
      assertThat(monitor.watch(tuned(p[0]), v -> {
        calls.incrementAndGet();
        if (n == 0) {
          throw new AssertionError("listener bug (an Error)");
        }
        if (n == 1) {
          throw new IllegalStateException("listener bug (a RuntimeException)");
        }
        verdicts.add(v);
      }, p[0])).isPresent();
    }
    for (Socket[] p : pairs) {
      p[1].close();
    }
    assertThat(verdicts.poll(10, TimeUnit.SECONDS)).as("the third verdict still arrives").isNotNull();
    assertThat(calls.get()).isEqualTo(3);
    awaitStopped(); // nothing left to watch: it stops by itself; it did not die
    Socket[] q = pair();
    watch(q[0]);
    q[1].close();
    assertThat(verdicts.poll(10, TimeUnit.SECONDS)).as("and works again").isNotNull();
  }

  /**
   * Issue 7 point 2: epoll_wait failing (here its descriptor is replaced by /dev/null under it) does not end
   * detection: the monitor opens a new epoll instance and watches every socket again, and a borrower's first call
   * ({@code awaitCaughtUp}) does not wait for the failed wake-up's first pass.
   */
  @Test
  void aFailingEpollWaitIsReplacedAndEverySocketWatchedAgain() throws Exception {
    List<Socket[]> pairs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Socket[] p = pair();
      watch(p[0]);
      pairs.add(p);
    }
    int epfd = epollFd(monitor);
    int devNull = Posix.INSTANCE.open("/dev/null", 0);
    try {
      assertThat(Posix.INSTANCE.dup2(devNull, epfd)).isEqualTo(epfd); // epoll_wait(epfd) now fails with EINVAL
      Epoll broken = currentEpoll(monitor);
      broken.wakeUp();
      for (int i = 0; i < 200 && currentEpoll(monitor) == broken; i++) {
        Thread.sleep(10);
      }
      assertThat(currentEpoll(monitor)).as("a new epoll instance").isNotSameAs(broken).isNotNull();
    } finally {
      Posix.INSTANCE.close(devNull);
    }
    assertThat(monitor.watchedCount()).isEqualTo(5);
    // The failure came after the monitor had flagged that it was taking events (poll said /dev/null is readable): a
    // borrower's first call must not keep waiting for a first pass that will never come.
    assertThat(monitor.awaitCaughtUp(monitor.nanoTime() + TimeUnit.SECONDS.toNanos(5)))
        .as("nothing pending after the restart").isTrue();
    pairs.get(3)[1].close();
    SocketMonitor.Verdict v = verdicts.poll(10, TimeUnit.SECONDS);
    assertThat(v).as("verdict after the restart").isNotNull();
    assertThat(v.socket()).isSameAs(tuned(pairs.get(3)[0]));
  }

  /**
   * Issue 7 point 3: many threads watch and close sockets while the monitor stops by itself (idle) and starts again,
   * over and over. Every verdict is for a socket that was watched and closed by its peer, and nothing leaks.
   */
  @Test
  void concurrentWatchAndCloseWhileTheMonitorStopsByItself() throws Exception {
    long fdsBefore = openDescriptors();
    int threads = 6;
    int rounds = 150;
    CountDownLatch done = new CountDownLatch(threads);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicInteger reported = new AtomicInteger();
    AtomicInteger peerClosed = new AtomicInteger();
    for (int t = 0; t < threads; t++) {
      int seed = t;
      Thread worker = new Thread(() -> {
        try {
          for (int i = 0; i < rounds; i++) {
            Socket[] p = pair();
            Socket client = p[0];
            boolean watched = monitor.watch(tuned(client), v -> {
              if (v.watch().attachment() != client) {
                failure.compareAndSet(null, new AssertionError("verdict for another socket"));
              }
              reported.incrementAndGet();
            }, client).isPresent();
            if ((i + seed) % 3 == 0 && watched) {
              peerClosed.incrementAndGet();
              p[1].close(); // a verdict
              Thread.sleep(1);
            }
            client.close(); // unwatch (if not reported yet), maybe the last one: the monitor stops
            p[1].close();
            open.remove(client);
            open.remove(p[1]);
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        } finally {
          done.countDown();
        }
      }, "watcher-" + t);
      worker.start();
    }
    assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
    assertThat(failure.get()).isNull();
    assertThat(reported.get()).isLessThanOrEqualTo(peerClosed.get());
    awaitStopped();
    assertThat(monitor.watchedCount()).isZero();
    assertThat(openDescriptors()).as("descriptors left").isLessThanOrEqualTo(fdsBefore + 2);
  }

  private void awaitStopped() throws InterruptedException {
    for (int i = 0; i < 300 && monitor.isRunning(); i++) {
      Thread.sleep(10);
    }
    assertThat(monitor.isRunning()).isFalse();
  }

  private static long threadsNamed(String name) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name) && t.isAlive()).count();
  }

  static long openDescriptors() throws IOException {
    try (var dir = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
      return dir.count();
    }
  }

  private static Epoll currentEpoll(SocketMonitor m) throws Exception {
    Field f = SocketMonitor.class.getDeclaredField("session");
    f.setAccessible(true);
    Object session = f.get(m);
    if (session == null) {
      return null;
    }
    Field e = session.getClass().getDeclaredField("epoll");
    e.setAccessible(true);
    return (Epoll) e.get(session);
  }

  private static int epollFd(SocketMonitor m) throws Exception {
    Field f = Epoll.class.getDeclaredField("epfd");
    f.setAccessible(true);
    return (int) f.get(currentEpoll(m));
  }

  /** libc for the test's own fault injection. */
  interface Posix extends Library {
    Posix INSTANCE = Native.load("c", Posix.class);

    int open(String path, int flags);

    int dup2(int oldFd, int newFd);

    int close(int fd);
  }
}
