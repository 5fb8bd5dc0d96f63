package io.github.lifeline.internal.linux;

import static io.github.lifeline.internal.linux.LinuxConstants.EBADF;
import static io.github.lifeline.internal.linux.LinuxConstants.IPPROTO_TCP;
import static io.github.lifeline.internal.linux.LinuxConstants.SOL_SOCKET;
import static io.github.lifeline.internal.linux.LinuxConstants.SO_KEEPALIVE;
import static io.github.lifeline.internal.linux.LinuxConstants.TCP_KEEPIDLE;
import static io.github.lifeline.internal.linux.LinuxConstants.TCP_USER_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.lifeline.socket.TcpState;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import jdk.net.ExtendedSocketOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LinuxSocketsTest {

  @BeforeAll
  static void available() {
    assertThat(LinuxSockets.isAvailable()).as("unavailable: %s", LinuxSockets.unavailableReason()).isTrue();
    assertThat(LinuxSockets.unavailableReason()).isNull();
  }

  @Test
  void findFdFindsTheSocketItselfOnIpv4MappedDualStackSocket() throws Exception {
    try (LoopbackPair p = LoopbackPair.open("127.0.0.1")) {
      assertThat(p.clientLocal().getAddress().getAddress()).hasSize(4); // Java reports IPv4, the kernel ::ffff:...
      int fd = p.clientFd();
      assertThat(fd).isGreaterThanOrEqualTo(0);
      assertThat(Files.readSymbolicLink(Paths.get("/proc/self/fd/" + fd)).toString()).startsWith("socket:[");

      LinuxSockets.setIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE, 17);
      assertThat(p.client.getOption(ExtendedSocketOptions.TCP_KEEPIDLE)).isEqualTo(17);

      // The server side of the same connection has the mirrored addresses and another descriptor.
      int acceptedFd = LinuxSockets.findFd(p.acceptedLocal(), p.acceptedRemote());
      assertThat(acceptedFd).isGreaterThanOrEqualTo(0).isNotEqualTo(fd);
      LinuxSockets.setIntOption(acceptedFd, IPPROTO_TCP, TCP_KEEPIDLE, 23);
      assertThat(p.accepted.getOption(ExtendedSocketOptions.TCP_KEEPIDLE)).isEqualTo(23);
      assertThat(p.client.getOption(ExtendedSocketOptions.TCP_KEEPIDLE)).isEqualTo(17);
    }
  }

  @Test
  void findFdReturnsMinusOneForAddressesNoSocketHas() throws Exception {
    try (LoopbackPair p = LoopbackPair.open("127.0.0.1")) {
      InetSocketAddress otherPort = new InetSocketAddress(p.clientRemote().getAddress(), p.clientRemote().getPort() + 1);
      assertThat(LinuxSockets.findFd(p.clientLocal(), otherPort)).isEqualTo(-1);
      InetSocketAddress otherHost = new InetSocketAddress(InetAddress.getByName("127.0.0.2"), p.clientRemote().getPort());
      assertThat(LinuxSockets.findFd(p.clientLocal(), otherHost)).isEqualTo(-1);
      // The listening socket has the server's local address but no peer.
      assertThat(LinuxSockets.findFd((InetSocketAddress) p.server.getLocalSocketAddress(), p.clientLocal()))
          .isEqualTo(LinuxSockets.findFd(p.acceptedLocal(), p.acceptedRemote()));
    }
    assertThatThrownBy(() -> LinuxSockets.findFd(InetSocketAddress.createUnresolved("localhost", 1),
        new InetSocketAddress("127.0.0.1", 2))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void findFdAmong200OtherSockets() throws Exception {
    List<LoopbackPair> others = new ArrayList<>();
    try {
      for (int i = 0; i < 200; i++) {
        others.add(LoopbackPair.open("127.0.0.1"));
      }
      try (LoopbackPair p = LoopbackPair.open("127.0.0.1")) {
        int fd = p.clientFd();
        assertThat(fd).isGreaterThanOrEqualTo(0);
        LinuxSockets.setIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE, 31);
        assertThat(p.client.getOption(ExtendedSocketOptions.TCP_KEEPIDLE)).isEqualTo(31);
        for (LoopbackPair o : others) {
          assertThat(o.client.getOption(ExtendedSocketOptions.TCP_KEEPIDLE)).isNotEqualTo(31);
        }
      }
    } finally {
      for (LoopbackPair o : others) {
        o.close();
      }
    }
  }

  @Test
  void findFdOnPureIpv4Socket() throws Exception {
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.INET)
            .bind(new InetSocketAddress("127.0.0.1", 0));
        SocketChannel client = SocketChannel.open(StandardProtocolFamily.INET)) {
      client.connect(server.getLocalAddress());
      try (SocketChannel accepted = server.accept()) {
        InetSocketAddress local = (InetSocketAddress) client.getLocalAddress();
        InetSocketAddress remote = (InetSocketAddress) client.getRemoteAddress();
        int fd = LinuxSockets.findFd(local, remote);
        assertThat(fd).isGreaterThanOrEqualTo(0);
        LinuxSockets.setIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE, 19);
        assertThat(client.getOption(ExtendedSocketOptions.TCP_KEEPIDLE)).isEqualTo(19);
        assertThat(accepted.getOption(ExtendedSocketOptions.TCP_KEEPIDLE)).isNotEqualTo(19);
      }
    }
  }

  @Test
  void findFdOnIpv6Socket() throws Exception {
    LoopbackPair p;
    try {
      p = LoopbackPair.open("::1");
    } catch (IOException e) {
      assumeTrue(false, "no IPv6 loopback: " + e);
      return;
    }
    try (p) {
      assertThat(p.clientLocal().getAddress().getAddress()).hasSize(16);
      int fd = p.clientFd();
      assertThat(fd).isGreaterThanOrEqualTo(0);
      LinuxSockets.setIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE, 29);
      assertThat(p.client.getOption(ExtendedSocketOptions.TCP_KEEPIDLE)).isEqualTo(29);
      // ::1 is not ::ffff:127.0.0.1
      InetSocketAddress v4 = new InetSocketAddress("127.0.0.1", p.clientLocal().getPort());
      assertThat(LinuxSockets.findFd(v4, new InetSocketAddress("127.0.0.1", p.clientRemote().getPort())))
          .isEqualTo(-1);
    }
  }

  @Test
  void isSocketChecksTheAddressesAndFailsOnceClosed() throws Exception {
    LoopbackPair p = LoopbackPair.open("127.0.0.1");
    int fd;
    try (p) {
      fd = p.clientFd();
      assertThat(LinuxSockets.isSocket(fd, p.clientLocal(), p.clientRemote())).isTrue();
      assertThat(LinuxSockets.isSocket(fd, p.clientRemote(), p.clientLocal())).isFalse();
      assertThat(LinuxSockets.isSocket(1_000_000, p.clientLocal(), p.clientRemote())).isFalse();
      assertThat(LinuxSockets.isSocket(-1, p.clientLocal(), p.clientRemote())).isFalse();
    }
    assertThat(LinuxSockets.isSocket(fd, p.clientLocal(), p.clientRemote())).isFalse();
  }

  @Test
  void userTimeoutRoundTrip() throws Exception {
    try (LoopbackPair p = LoopbackPair.open("127.0.0.1")) {
      int fd = p.clientFd();
      assertThat(LinuxSockets.getIntOption(fd, IPPROTO_TCP, TCP_USER_TIMEOUT)).isZero();
      LinuxSockets.setIntOption(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 12_345);
      assertThat(LinuxSockets.getIntOption(fd, IPPROTO_TCP, TCP_USER_TIMEOUT)).isEqualTo(12_345);

      p.client.setKeepAlive(true);
      assertThat(LinuxSockets.getIntOption(fd, SOL_SOCKET, SO_KEEPALIVE)).isNotZero();
      assertThatThrownBy(() -> LinuxSockets.setIntOption(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, -1))
          .isInstanceOf(ErrnoException.class)
          .hasMessageContaining("setsockopt(fd " + fd + ", IPPROTO_TCP, TCP_USER_TIMEOUT) to -1 failed: EINVAL");
    }
  }

  @Test
  void errorsNameTheCallAndErrno() {
    int bad = 1_000_000;
    assertThatThrownBy(() -> LinuxSockets.getIntOption(bad, IPPROTO_TCP, TCP_USER_TIMEOUT))
        .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(EBADF))
        .hasMessage("getsockopt(fd 1000000, IPPROTO_TCP, TCP_USER_TIMEOUT) failed: EBADF (Bad file descriptor)");
    assertThatThrownBy(() -> LinuxSockets.setIntOption(bad, IPPROTO_TCP, TCP_USER_TIMEOUT, 5000))
        .isInstanceOf(ErrnoException.class)
        .hasMessage("setsockopt(fd 1000000, IPPROTO_TCP, TCP_USER_TIMEOUT) to 5000 failed: EBADF (Bad file descriptor)");
    assertThatThrownBy(() -> LinuxSockets.cookie(bad)).hasMessageContaining("SO_COOKIE").hasMessageContaining("EBADF");
    assertThatThrownBy(() -> LinuxSockets.tcpInfo(bad)).hasMessageContaining("TCP_INFO").hasMessageContaining("EBADF");
  }

  @Test
  void cookieIsNonZeroStableAndPerSocket() throws Exception {
    try (LoopbackPair p = LoopbackPair.open("127.0.0.1"); LoopbackPair q = LoopbackPair.open("127.0.0.1")) {
      int fd = p.clientFd();
      long cookie = LinuxSockets.cookie(fd);
      assertThat(cookie).isNotZero();
      assertThat(LinuxSockets.cookie(fd)).isEqualTo(cookie);
      assertThat(LinuxSockets.cookie(LinuxSockets.findFd(p.acceptedLocal(), p.acceptedRemote()))).isNotEqualTo(cookie);
      assertThat(LinuxSockets.cookie(q.clientFd())).isNotEqualTo(cookie);
    }
  }

  @Test
  void tcpInfoSeesEstablishedThenCloseWaitAfterPeerCloses() throws Exception {
    try (LoopbackPair p = LoopbackPair.open("127.0.0.1")) {
      int fd = p.clientFd();
      TcpInfo info = LinuxSockets.tcpInfo(fd);
      assertThat(info.established()).isTrue();
      assertThat(info.stateName()).isEqualTo("ESTABLISHED");
      assertThat(info.probes()).isZero();
      assertThat(info.retransmits()).isZero();
      assertThat(info.rtoMicros()).isGreaterThanOrEqualTo(200_000); // Linux minimum RTO

      p.accepted.close();
      TcpInfo after = Await.until(() -> LinuxSockets.tcpInfo(fd), i -> i.state() != TcpState.ESTABLISHED.code());
      assertThat(after.tcpState()).isEqualTo(TcpState.CLOSE_WAIT);
      assertThat(after.established()).isFalse();
    }
  }
}
