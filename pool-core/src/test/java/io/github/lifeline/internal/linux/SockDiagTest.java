package io.github.lifeline.internal.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.lifeline.socket.TcpState;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SockDiagTest {

  private static SockDiag diag;

  @BeforeAll
  static void open() throws IOException {
    diag = SockDiag.open();
  }

  @AfterAll
  static void close() {
    diag.close();
  }

  @Test
  void findsEstablishedSocketWithItsCookieAndInode() throws Exception {
    try (LoopbackPair p = LoopbackPair.open("127.0.0.1")) {
      int fd = p.clientFd();
      long cookie = LinuxSockets.cookie(fd);

      DiagResult r = diag.lookup(p.clientLocal(), p.clientRemote(), cookie).orElseThrow();
      assertThat(r.state()).isEqualTo(TcpState.ESTABLISHED);
      assertThat(r.cookie()).isEqualTo(cookie);
      assertThat(r.retransmits()).isZero();
      assertThat(r.probes()).isZero();
      String link = Files.readSymbolicLink(Paths.get("/proc/self/fd/" + fd)).toString();
      assertThat(link).isEqualTo("socket:[" + r.inode() + "]");

      // Without a cookie: same socket.
      assertThat(diag.lookup(p.clientLocal(), p.clientRemote(), -1).map(DiagResult::cookie)).contains(cookie);
      // tcp_info comes along (INET_DIAG_INFO): no descriptor needed.
      assertThat(r.info()).isNotNull();
      assertThat(r.info().established()).isTrue();
      assertThat(r.info().rttMicros()).isPositive();
      assertThat(r.toKernelState().state()).isEqualTo(TcpState.ESTABLISHED);
      // The server side is another socket with the mirrored 4-tuple.
      DiagResult server = diag.lookup(p.acceptedLocal(), p.acceptedRemote(), -1).orElseThrow();
      assertThat(server.cookie()).isNotEqualTo(cookie);
      assertThat(server.state()).isEqualTo(TcpState.ESTABLISHED);
    }
  }

  @Test
  void wrongCookieOrUnknownTupleIsEmpty() throws Exception {
    try (LoopbackPair p = LoopbackPair.open("127.0.0.1")) {
      long cookie = LinuxSockets.cookie(p.clientFd());
      assertThat(diag.lookup(p.clientLocal(), p.clientRemote(), cookie + 1)).isEmpty();
      InetSocketAddress nobody = new InetSocketAddress(p.clientRemote().getAddress(), p.clientRemote().getPort() + 1);
      assertThat(diag.lookup(p.clientLocal(), nobody, -1)).isEmpty();
      // Still usable afterwards.
      assertThat(diag.lookup(p.clientLocal(), p.clientRemote(), cookie)).isPresent();
    }
  }

  @Test
  void peerCloseGivesCloseWaitAndBothClosedGivesNothingEstablished() throws Exception {
    LoopbackPair p = LoopbackPair.open("127.0.0.1");
    InetSocketAddress local = p.clientLocal();
    InetSocketAddress remote = p.clientRemote();
    long cookie;
    try (p) {
      cookie = LinuxSockets.cookie(p.clientFd());
      p.accepted.close();
      Optional<DiagResult> r = Await.until(() -> diag.lookup(local, remote, cookie),
          o -> o.isEmpty() || o.get().state() != TcpState.ESTABLISHED);
      assertThat(r.map(DiagResult::state)).contains(TcpState.CLOSE_WAIT);
    }
    Optional<DiagResult> gone = Await.until(() -> diag.lookup(local, remote, cookie), Optional::isEmpty);
    assertThat(gone.map(DiagResult::state)).satisfiesAnyOf(
        o -> assertThat(o).isEmpty(),
        o -> assertThat(o).get().isNotEqualTo(TcpState.ESTABLISHED));
  }

  @Test
  void pureIpv4Socket() throws Exception {
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.INET)
            .bind(new InetSocketAddress("127.0.0.1", 0));
        SocketChannel client = SocketChannel.open(StandardProtocolFamily.INET)) {
      client.connect(server.getLocalAddress());
      try (SocketChannel accepted = server.accept()) {
        InetSocketAddress local = (InetSocketAddress) client.getLocalAddress();
        InetSocketAddress remote = (InetSocketAddress) client.getRemoteAddress();
        long cookie = LinuxSockets.cookie(LinuxSockets.findFd(local, remote));
        assertThat(diag.lookup(local, remote, cookie).map(DiagResult::state)).contains(TcpState.ESTABLISHED);
        assertThat(diag.lookup((InetSocketAddress) accepted.getLocalAddress(),
            (InetSocketAddress) accepted.getRemoteAddress(), -1).map(DiagResult::cookie)).isPresent().isNotEqualTo(cookie);
      }
    }
  }

  @Test
  void ipv6Socket() throws Exception {
    LoopbackPair p;
    try {
      p = LoopbackPair.open("::1");
    } catch (IOException e) {
      assumeTrue(false, "no IPv6 loopback: " + e);
      return;
    }
    try (p) {
      long cookie = LinuxSockets.cookie(p.clientFd());
      DiagResult r = diag.lookup(p.clientLocal(), p.clientRemote(), cookie).orElseThrow();
      assertThat(r.state()).isEqualTo(TcpState.ESTABLISHED);
      assertThat(r.cookie()).isEqualTo(cookie);
      assertThat(diag.lookup(p.clientLocal(), p.clientRemote(), cookie + 1)).isEmpty();
    }
  }

  @Test
  void closedInstanceAndBadArgumentsThrow() throws Exception {
    InetSocketAddress v4 = new InetSocketAddress("127.0.0.1", 1);
    InetSocketAddress v6 = new InetSocketAddress("::1", 2);
    assertThatThrownBy(() -> diag.lookup(v4, v6, -1)).isInstanceOf(IllegalArgumentException.class);
    SockDiag d = SockDiag.open();
    d.close();
    d.close();
    assertThatThrownBy(() -> d.lookup(v4, v4, -1)).isInstanceOf(IOException.class).hasMessageContaining("closed");
  }
}
