package io.github.lifeline.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lifeline.LifelineSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
  private final SocketRegistry registry = new SocketRegistry();

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
    LifelineSocket s = new LifelineSocket(settings, "test", registry);
    s.connect(server.getLocalSocketAddress(), 2000);
    accepted.add(server.accept());
    return s;
  }

  @Test
  void connectedSocketCarriesEveryOptionAndIsRegistered() throws IOException {
    try (LifelineSocket s = connect(SETTINGS)) {
      SocketRecord r = s.record();
      assertThat(r).isNotNull();
      assertThat(registry.find(s)).containsSame(r);
      assertThat(r.local()).isEqualTo(s.getLocalSocketAddress());
      assertThat(r.remote()).isEqualTo(s.getRemoteSocketAddress());
      assertThat(r.tuning().allMatch()).as(r.tuning().toString()).isTrue();
      assertThat(r.tuning().actual()).containsEntry(TcpOption.SO_KEEPALIVE, 1)
          .containsEntry(TcpOption.TCP_KEEPIDLE, 11).containsEntry(TcpOption.TCP_KEEPINTVL, 2)
          .containsEntry(TcpOption.TCP_KEEPCNT, 6).containsEntry(TcpOption.TCP_USER_TIMEOUT, 4321);
      // The JDK reads the same kernel values through its own path.
      assertThat(s.getKeepAlive()).isTrue();
      assertThat(s.getOption(ExtendedSocketOptions.TCP_KEEPIDLE)).isEqualTo(11);
      assertThat(r.cookie()).isNotZero();
      assertThat(r.fd()).isNotNegative();
    }
    assertThat(registry.size()).isZero();
  }

  @Test
  void readKernelSeesLaterChangesAndMismatchesAreReported() throws IOException {
    try (LifelineSocket s = connect(SETTINGS)) {
      s.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, 99);
      TuningReport now = s.record().readKernel();
      assertThat(now.allMatch()).isFalse();
      assertThat(now.get(TcpOption.TCP_KEEPIDLE).actual()).isEqualTo(99);
      assertThat(now.get(TcpOption.TCP_KEEPIDLE).requested()).isEqualTo(11);
      assertThat(now.get(TcpOption.TCP_KEEPIDLE).toString()).isEqualTo("TCP_KEEPIDLE=99s (requested 11s)");
    }
  }

  @Test
  void closedSocketLeavesTheRegistryAndCannotBeRead() throws IOException {
    LifelineSocket s = connect(SETTINGS);
    SocketRecord r = s.record();
    s.close();
    assertThat(registry.records()).isEmpty();
    assertThat(r.isClosed()).isTrue();
    assertThatThrownBy(r::readKernel).isInstanceOf(IOException.class).hasMessageContaining("is closed");
  }

  @Test
  void disabledSettingsLeaveThePlainSocket() throws IOException {
    try (LifelineSocket s = connect(LifelineSettings.builder().enabled(false).build())) {
      assertThat(s.record()).isNull();
      assertThat(registry.size()).isZero();
      assertThat(s.getKeepAlive()).isFalse();
    }
  }

  @Test
  void userTimeoutZeroMeansOff() throws IOException {
    try (LifelineSocket s = connect(LifelineSettings.builder().userTimeout(Duration.ZERO).build())) {
      assertThat(s.record().tuning().get(TcpOption.TCP_USER_TIMEOUT).actual()).isZero();
      assertThat(s.record().tuning().allMatch()).isTrue();
    }
  }

  @Test
  void manySocketsEachFindTheirOwnDescriptor() throws IOException {
    List<LifelineSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < 100; i++) {
        sockets.add(connect(SETTINGS));
      }
      assertThat(registry.size()).isEqualTo(100);
      assertThat(sockets).allSatisfy(s -> assertThat(s.record().tuning().allMatch()).isTrue());
      assertThat(sockets.stream().map(s -> s.record().cookie()).distinct()).hasSize(100);
      assertThat(sockets.stream().map(s -> s.record().fd()).distinct()).hasSize(100);
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
    assertThat(registry.size()).isZero();
  }

  @Test
  void failedConnectRegistersNothing() throws IOException {
    int closedPort;
    try (ServerSocket tmp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = tmp.getLocalPort();
    }
    LifelineSocket s = new LifelineSocket(SETTINGS, "test", registry);
    assertThatThrownBy(() -> s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), closedPort), 1000))
        .isInstanceOf(IOException.class);
    assertThat(registry.size()).isZero();
    s.close();
  }
}
