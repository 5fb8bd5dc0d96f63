package io.github.lifeline.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lifeline.LifelineSettings;
import io.github.lifeline.internal.linux.DescriptorLookup;
import io.github.lifeline.internal.socket.SocketRegistry;
import io.github.lifeline.internal.socket.TunedSocket;
import io.github.lifeline.socket.KernelState;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.socket.TcpOption;
import io.github.lifeline.socket.TcpState;
import io.github.lifeline.socket.TcpTimer;
import io.github.lifeline.socket.TuningReport;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import jdk.net.ExtendedSocketOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A real loopback connection: the kernel, not a stub, holds the options. */
class LifelineSocketTest {

  static final LifelineSettings SETTINGS = LifelineSettings.builder().keepaliveIdle(Duration.ofSeconds(11))
      .keepaliveInterval(Duration.ofSeconds(2)).keepaliveCount(6).userTimeout(Duration.ofMillis(4321)).build();

  private ServerSocket server;
  private final List<Socket> accepted = new ArrayList<>();

  @BeforeEach
  void listen() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
  }

  @AfterEach
  void close() throws IOException {
    for (Socket s : accepted) {
      s.close();
    }
    server.close();
  }

  private LifelineSocket connect(LifelineSettings settings) throws IOException {
    LifelineSocket s = new LifelineSocket(settings, "test");
    s.connect(server.getLocalSocketAddress(), 2000);
    accepted.add(server.accept());
    return s;
  }

  /** This test's sockets in the JVM's registry. */
  private List<TunedSocket> registered() {
    return SocketRegistry.global().records().stream().filter(r -> r.remote().getPort() == server.getLocalPort())
        .collect(Collectors.toList());
  }

  @Test
  void connectedSocketCarriesEveryOptionAndIsRegistered() throws IOException {
    try (LifelineSocket s = connect(SETTINGS)) {
      SocketRecord r = s.record().orElseThrow();
      assertThat(SocketRegistry.global().find(s)).containsSame((TunedSocket) r);
      assertThat(r.local()).isEqualTo(s.getLocalSocketAddress());
      assertThat(r.remote()).isEqualTo(s.getRemoteSocketAddress());
      assertThat(r.tuning().allMatch()).as(r.tuning().toString()).isTrue();
      assertThat(r.tuning().mismatched()).isFalse();
      assertThat(r.tuning().actual()).containsEntry(TcpOption.SO_KEEPALIVE, 1)
          .containsEntry(TcpOption.TCP_KEEPIDLE, 11).containsEntry(TcpOption.TCP_KEEPINTVL, 2)
          .containsEntry(TcpOption.TCP_KEEPCNT, 6).containsEntry(TcpOption.TCP_USER_TIMEOUT, 4321);
      // The JDK reads the same kernel values through its own path.
      assertThat(s.getKeepAlive()).isTrue();
      assertThat(s.getOption(ExtendedSocketOptions.TCP_KEEPIDLE)).isEqualTo(11);
      assertThat(r.cookie()).isNotZero();
      assertThat(((TunedSocket) r).fd()).isNotNegative();
    }
    assertThat(registered()).isEmpty();
  }

  @Test
  void kernelStateIsTheSsViewWithTheKeepaliveTimer() throws IOException {
    try (LifelineSocket s = connect(SETTINGS)) {
      KernelState k = s.record().orElseThrow().kernelState();
      assertThat(k.state()).isEqualTo(TcpState.ESTABLISHED);
      assertThat(k.timer()).isEqualTo(TcpTimer.KEEPALIVE);
      assertThat(k.timerMillis()).isBetween(1L, 11_000L);
      assertThat(k.probes()).isZero();
      assertThat(k.rttMicros()).isPositive();
      assertThat(k.toString()).startsWith("ESTABLISHED timer:(keepalive,");
    }
  }

  @Test
  void readKernelSeesLaterChangesAndMismatchesAreReported() throws IOException {
    try (LifelineSocket s = connect(SETTINGS)) {
      s.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, 99);
      TuningReport now = s.record().orElseThrow().readKernel();
      assertThat(now.allMatch()).isFalse();
      assertThat(now.mismatched()).isTrue();
      assertThat(now.get(TcpOption.TCP_KEEPIDLE).actual()).isEqualTo(99);
      assertThat(now.get(TcpOption.TCP_KEEPIDLE).requested()).isEqualTo(11);
      assertThat(now.get(TcpOption.TCP_KEEPIDLE).toString()).isEqualTo("TCP_KEEPIDLE=99s (requested 11s)");
    }
  }

  @Test
  void closedSocketLeavesTheRegistryAndCannotBeRead() throws IOException {
    LifelineSocket s = connect(SETTINGS);
    SocketRecord r = s.record().orElseThrow();
    s.close();
    assertThat(registered()).isEmpty();
    assertThat(r.isClosed()).isTrue();
    assertThat(s.record()).isEmpty();
    assertThatThrownBy(r::readKernel).isInstanceOf(IOException.class).hasMessageContaining("is closed");
  }

  @Test
  void disabledSettingsLeaveThePlainSocket() throws IOException {
    try (LifelineSocket s = connect(LifelineSettings.builder().enabled(false).build())) {
      assertThat(s.record()).isEmpty();
      assertThat(registered()).isEmpty();
      assertThat(s.getKeepAlive()).isFalse();
    }
  }

  @Test
  void userTimeoutZeroMeansOff() throws IOException {
    try (LifelineSocket s = connect(LifelineSettings.builder().userTimeout(Duration.ZERO).build())) {
      assertThat(s.record().orElseThrow().tuning().get(TcpOption.TCP_USER_TIMEOUT).actual()).isZero();
      assertThat(s.record().orElseThrow().tuning().allMatch()).isTrue();
    }
  }

  @Test
  void manySocketsEachFindTheirOwnDescriptor() throws IOException {
    List<LifelineSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < 100; i++) {
        sockets.add(connect(SETTINGS));
      }
      assertThat(registered()).hasSize(100);
      List<TunedSocket> records = sockets.stream().map(s -> (TunedSocket) s.record().orElseThrow())
          .collect(Collectors.toList());
      assertThat(records).allSatisfy(r -> assertThat(r.tuning().allMatch()).isTrue());
      assertThat(records.stream().map(SocketRecord::cookie).distinct()).hasSize(100);
      assertThat(records.stream().map(TunedSocket::fd).distinct()).hasSize(100);
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
    assertThat(registered()).isEmpty();
  }

  @Test
  void failedConnectRegistersNothing() throws IOException {
    int closedPort;
    try (ServerSocket tmp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = tmp.getLocalPort();
    }
    LifelineSocket s = new LifelineSocket(SETTINGS, "test");
    assertThatThrownBy(() -> s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), closedPort), 1000))
        .isInstanceOf(IOException.class);
    assertThat(SocketRegistry.global().records()).noneMatch(r -> r.remote().getPort() == closedPort);
    s.close();
  }

  /** Issue 7 point 8: the registry never keeps a socket its driver forgot to close; its record leaves too. */
  @Test
  void aForgottenSocketIsCollectedAndLeavesTheRegistry() throws Exception {
    WeakReference<Socket> ref = leak();
    assertThat(registered()).hasSize(1);
    for (int i = 0; i < 100 && (ref.get() != null || !registered().isEmpty()); i++) {
      System.gc();
      Thread.sleep(20);
    }
    assertThat(ref.get()).as("an unclosed, unreachable socket is collected").isNull();
    assertThat(registered()).as("its record left the registry").isEmpty();
  }

  private WeakReference<Socket> leak() throws IOException {
    LifelineSocket c = connect(SETTINGS);
    return new WeakReference<>(c);
  }

  /** Issue 7 point 8: an on-demand kernel lookup leaves no netlink descriptor open behind it. */
  @Test
  void kernelLookupLeavesNoDescriptor() throws Exception {
    try (LifelineSocket s = connect(SETTINGS)) {
      long before = netlinkDescriptors();
      for (int i = 0; i < 20; i++) {
        s.record().orElseThrow().kernelState();
      }
      assertThat(netlinkDescriptors()).as("netlink descriptors left open").isEqualTo(before);
    }
  }

  private static long netlinkDescriptors() throws IOException {
    String netlink = Files.readString(Path.of("/proc/net/netlink"));
    long n = 0;
    try (var dir = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
      for (Path p : dir) {
        try {
          String link = Files.readSymbolicLink(p).toString();
          if (link.startsWith("socket:[") && netlink.contains(" " + link.substring(8, link.length() - 1) + "\n")) {
            n++;
          }
        } catch (IOException ignored) {
          // closed meanwhile
        }
      }
    }
    return n;
  }

  private static String link(int fd) throws IOException {
    return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
  }

  @Test
  void theDescriptorIsCreatedAtConstructionWithThePredictedNumberAndFoundWithoutAScan() throws IOException {
    DescriptorLookup.Counts start = DescriptorLookup.counts();
    int next = DescriptorLookup.lowestFree();
    LifelineSocket s = new LifelineSocket(SETTINGS, "test");
    try {
      assertThat(link(next)).as("the constructor created the socket's descriptor").startsWith("socket:[");
      s.connect(server.getLocalSocketAddress(), 2000);
      accepted.add(server.accept());
      assertThat(((TunedSocket) s.record().orElseThrow()).fd()).isEqualTo(next);
      assertThat(DescriptorLookup.counts().since(start)).isEqualTo(new DescriptorLookup.Counts(1, 0, 0, 0));
    } finally {
      s.close();
    }
  }

  @Test
  void inAQuietThreadPredictionsAreRight() throws IOException {
    DescriptorLookup.Counts start = DescriptorLookup.counts();
    List<LifelineSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < 50; i++) {
        sockets.add(connect(SETTINGS));
        if (i % 3 == 0) {
          sockets.remove(sockets.size() / 2).close(); // leave holes below the next prediction
        }
      }
      assertThat(sockets).allSatisfy(s -> assertThat(s.record().orElseThrow().tuning().allMatch()).isTrue());
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
    // No other thread of this test opens descriptors, but the JVM's own may (the Cleaner closing a socket an
    // earlier test dropped, JNA's cleaner): a prediction they spoil is found next to it. None may need the scan.
    DescriptorLookup.Counts c = DescriptorLookup.counts().since(start);
    assertThat(c.lookups()).isEqualTo(50);
    assertThat(c.scans()).as("%s", c).isZero();
    assertThat(c.exact()).as("%s", c).isGreaterThanOrEqualTo(45);
  }

  @Test
  void disabledSettingsCreateNoDescriptorAheadOfTheJdk() throws IOException {
    int next = DescriptorLookup.lowestFree();
    try (LifelineSocket s = new LifelineSocket(LifelineSettings.builder().enabled(false).build(), "test")) {
      assertThat(DescriptorLookup.lowestFree()).isEqualTo(next);
      assertThat(s.isBound()).isFalse();
    }
  }
}
