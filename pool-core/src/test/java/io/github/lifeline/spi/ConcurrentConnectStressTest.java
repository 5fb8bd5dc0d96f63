package io.github.lifeline.spi;

import static io.github.lifeline.internal.linux.LinuxConstants.IPPROTO_TCP;
import static io.github.lifeline.internal.linux.LinuxConstants.TCP_USER_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.lifeline.LifelineSettings;
import io.github.lifeline.internal.linux.DescriptorLookup;
import io.github.lifeline.internal.linux.LinuxSockets;
import io.github.lifeline.internal.linux.TcpDescriptors;
import io.github.lifeline.internal.socket.SocketRegistry;
import io.github.lifeline.internal.socket.TunedSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import jdk.net.ExtendedSocketOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many threads connect {@link LifelineSocket}s while others open and close files and plain sockets as fast as they
 * can, so that descriptor numbers are taken and freed between every prediction and socket creation. Afterwards every
 * Lifeline socket's recorded descriptor must be exactly its own socket with TCP_USER_TIMEOUT and keepalive as
 * requested, and no other descriptor of the process (plain sockets, the server side, files) may carry them.
 */
class ConcurrentConnectStressTest {

  static final int USER_TIMEOUT_MS = 4321;
  static final int KEEP_IDLE_S = 11;
  static final LifelineSettings SETTINGS = LifelineSettings.builder().keepaliveIdle(Duration.ofSeconds(KEEP_IDLE_S))
      .keepaliveInterval(Duration.ofSeconds(2)).keepaliveCount(6).userTimeout(Duration.ofMillis(USER_TIMEOUT_MS))
      .build();

  static final int CONNECTORS = 4;
  static final int CONNECTS_PER_CONNECTOR = 250;
  /** Every n-th Lifeline socket stays open until the end; the others close at once and leave holes. */
  static final int KEEP_EVERY = 3;
  static final int PLAIN_KEPT_MAX = 150;

  @TempDir
  Path dir;

  private final Queue<String> failures = new ConcurrentLinkedQueue<>();
  private final Queue<Socket> toClose = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean stop = new AtomicBoolean();

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void everyTunedDescriptorIsItsOwnSocketAndNoOtherDescriptorIsTouched() throws Exception {
    int defaultKeepIdle;
    try (Socket probe = new Socket()) {
      defaultKeepIdle = probe.getOption(ExtendedSocketOptions.TCP_KEEPIDLE);
    }
    assertThat(defaultKeepIdle).isNotEqualTo(KEEP_IDLE_S);

    ServerSocket server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
    SocketAddress address = server.getLocalSocketAddress();
    Queue<LifelineSocket> keptLifeline = new ConcurrentLinkedQueue<>();
    Queue<Socket> keptPlain = new ConcurrentLinkedQueue<>();
    AtomicLong fileOps = new AtomicLong();
    AtomicLong plainOps = new AtomicLong();
    AtomicLong lifelineConnects = new AtomicLong();
    DescriptorLookup.Counts start = DescriptorLookup.counts();
    List<Thread> churn = new ArrayList<>();
    List<Thread> connectors = new ArrayList<>();
    try {
      Thread acceptor = thread("acceptor", () -> {
        while (!server.isClosed()) {
          try {
            toClose.add(server.accept());
          } catch (IOException closed) {
            return;
          }
        }
      });
      acceptor.start();

      churn.add(thread("files", () -> {
        Path file = Files.createFile(dir.resolve("churn"));
        Deque<FileChannel> held = new ArrayDeque<>();
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        while (!stop.get()) {
          int n = 1 + rnd.nextInt(4);
          for (int i = 0; i < n; i++) {
            held.add(FileChannel.open(file, StandardOpenOption.READ));
          }
          while (held.size() > rnd.nextInt(3)) {
            (rnd.nextBoolean() ? held.pollFirst() : held.pollLast()).close();
          }
          fileOps.incrementAndGet();
        }
        for (FileChannel c : held) {
          c.close();
        }
      }));
      churn.add(thread("plain-sockets", () -> {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        while (!stop.get()) {
          Socket s = new Socket();
          if (rnd.nextBoolean()) {
            s.setTcpNoDelay(true); // creates the descriptor before connect, as drivers do
          }
          s.connect(address, 5000);
          checkUntouched(s, defaultKeepIdle);
          if (keptPlain.size() < PLAIN_KEPT_MAX && rnd.nextInt(4) == 0) {
            keptPlain.add(s);
          } else {
            s.close();
          }
          plainOps.incrementAndGet();
        }
      }));
      churn.add(thread("unconnected-sockets", () -> {
        while (!stop.get()) {
          try (Socket s = new Socket()) {
            s.getSoTimeout(); // a socket descriptor opened and closed at once
          }
        }
      }));
      for (Thread t : churn) {
        t.start();
      }

      for (int c = 0; c < CONNECTORS; c++) {
        connectors.add(thread("connector-" + c, () -> {
          for (int i = 0; i < CONNECTS_PER_CONNECTOR; i++) {
            LifelineSocket s = new LifelineSocket(SETTINGS, "stress");
            s.connect(address, 5000);
            lifelineConnects.incrementAndGet();
            checkTuned(s);
            if (i % KEEP_EVERY == 0) {
              keptLifeline.add(s);
            } else {
              s.close();
            }
          }
        }));
      }
      for (Thread t : connectors) {
        t.start();
      }
      for (Thread t : connectors) {
        t.join();
      }
      stop.set(true);
      for (Thread t : churn) {
        t.join();
      }

      assertThat(failures).as("failures during the run").isEmpty();
      assertThat(lifelineConnects).hasValue(CONNECTORS * CONNECTS_PER_CONNECTOR);
      for (LifelineSocket s : keptLifeline) {
        checkTuned(s);
      }
      assertThat(failures).as("failures of the kept Lifeline sockets").isEmpty();

      // One pass over every TCP descriptor of the process's connections to this server, both sides: only the kept
      // Lifeline sockets' own descriptors carry the settings, each exactly once.
      Map<List<InetSocketAddress>, Integer> lifelineFds = new HashMap<>();
      for (LifelineSocket s : keptLifeline) {
        lifelineFds.put(List.of(local(s), remote(s)), record(s).fd());
      }
      Map<List<InetSocketAddress>, Socket> plainByAddress = new HashMap<>();
      for (Socket s : keptPlain) {
        plainByAddress.put(List.of(local(s), remote(s)), s);
      }
      int seenLifeline = 0;
      int seenPlain = 0;
      int seenOthers = 0;
      int port = server.getLocalPort();
      for (TcpDescriptors.Entry e : TcpDescriptors.snapshot()) {
        if (e.local().getPort() != port && e.remote().getPort() != port) {
          continue; // not a connection of this test
        }
        List<InetSocketAddress> key = List.of(e.local(), e.remote());
        Integer own = lifelineFds.get(key);
        if (own != null) {
          assertThat(e.fd()).as("the only descriptor of %s is the recorded one", key).isEqualTo(own);
          assertThat(e.userTimeout()).as("%s", e).isEqualTo(USER_TIMEOUT_MS);
          assertThat(e.keepAlive()).as("%s", e).isTrue();
          assertThat(e.keepIdle()).as("%s", e).isEqualTo(KEEP_IDLE_S);
          seenLifeline++;
        } else {
          assertThat(e.userTimeout()).as("a descriptor Lifeline does not own carries no user timeout: %s", e)
              .isZero();
          assertThat(e.keepAlive()).as("nor keepalive: %s", e).isFalse();
          assertThat(e.keepIdle()).as("nor keepalive timing: %s", e).isEqualTo(defaultKeepIdle);
          if (plainByAddress.containsKey(key)) {
            seenPlain++;
          } else {
            seenOthers++;
          }
        }
      }
      assertThat(seenLifeline).isEqualTo(keptLifeline.size());
      assertThat(seenPlain).isEqualTo(keptPlain.size());
      // Server sides of every open connection, at least.
      assertThat(seenOthers).isGreaterThanOrEqualTo(keptLifeline.size() + keptPlain.size());

      DescriptorLookup.Counts counts = DescriptorLookup.counts().since(start);
      System.out.printf("stress: %d Lifeline connects, %d plain socket connects, %d file rounds beside them; "
          + "descriptor lookups: %s%n", lifelineConnects.get(), plainOps.get(), fileOps.get(), counts);
      assertThat(counts.lookups()).isEqualTo(CONNECTORS * CONNECTS_PER_CONNECTOR);
      assertThat(plainOps.get()).as("plain sockets connected beside").isPositive();
      assertThat(fileOps.get()).as("file rounds beside").isPositive();
    } finally {
      stop.set(true);
      for (Thread t : connectors) {
        t.join(10_000);
      }
      for (Thread t : churn) {
        t.join(10_000);
      }
      server.close();
      closeAll(keptLifeline);
      closeAll(keptPlain);
      closeAll(toClose);
    }
    int port = server.getLocalPort();
    assertThat(SocketRegistry.global().records()).as("this test's records left the registry")
        .noneMatch(r -> r.remote().getPort() == port);
  }

  private static TunedSocket record(LifelineSocket s) {
    return (TunedSocket) s.record().orElse(null);
  }

  private void checkTuned(LifelineSocket s) {
    try {
      TunedSocket r = record(s);
      if (r == null) {
        failures.add("no record for " + s);
        return;
      }
      int fd = r.fd();
      if (!LinuxSockets.isSocket(fd, local(s), remote(s))) {
        failures.add("descriptor " + fd + " is not " + local(s) + " -> " + remote(s));
        return;
      }
      int uto = LinuxSockets.getIntOption(fd, IPPROTO_TCP, TCP_USER_TIMEOUT);
      if (uto != USER_TIMEOUT_MS || !r.tuning().allMatch() || !s.getKeepAlive()
          || s.getOption(ExtendedSocketOptions.TCP_KEEPIDLE) != KEEP_IDLE_S) {
        failures.add("descriptor " + fd + " of " + local(s) + " -> " + remote(s) + ": TCP_USER_TIMEOUT=" + uto
            + ", " + r.tuning());
      }
    } catch (IOException | RuntimeException e) {
      failures.add("checking " + s + ": " + e);
    }
  }

  private void checkUntouched(Socket s, int defaultKeepIdle) throws IOException {
    // Read by the JDK through the socket's own descriptor.
    if (s.getKeepAlive() || s.getOption(ExtendedSocketOptions.TCP_KEEPIDLE) != defaultKeepIdle) {
      failures.add("a plain socket got keepalive: " + s + " keepalive=" + s.getKeepAlive() + " idle="
          + s.getOption(ExtendedSocketOptions.TCP_KEEPIDLE));
    }
  }

  private static InetSocketAddress local(Socket s) {
    return (InetSocketAddress) s.getLocalSocketAddress();
  }

  private static InetSocketAddress remote(Socket s) {
    return (InetSocketAddress) s.getRemoteSocketAddress();
  }

  /** Work that may fail; a failure is recorded and fails the test. */
  private interface Work {
    void run() throws Exception;
  }

  private Thread thread(String name, Work work) {
    Thread t = new Thread(() -> {
      try {
        work.run();
      } catch (Exception | AssertionError e) {
        failures.add(name + ": " + e);
        stop.set(true);
      }
    }, "stress-" + name);
    t.setDaemon(true);
    return t;
  }

  private static void closeAll(Iterable<? extends Socket> sockets) {
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing at the end of the test
      }
    }
  }
}
