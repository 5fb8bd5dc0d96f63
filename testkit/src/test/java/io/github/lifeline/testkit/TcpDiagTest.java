package io.github.lifeline.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import jdk.net.ExtendedSocketOptions;
import org.junit.jupiter.api.Test;

/** The kernel's socket table, on real loopback sockets. */
class TcpDiagTest {

  @Test
  void reportsOnlyThePeerPortsSocketsWithStateTimerAndOptions() throws Exception {
    try (TcpDiag diag = TcpDiag.open();
        ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        ServerSocket other = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        Socket client = new Socket();
        Socket unrelated = new Socket(InetAddress.getLoopbackAddress(), other.getLocalPort())) {
      client.setKeepAlive(true);
      client.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, 17);
      client.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, 4);
      client.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, 3);
      client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()));
      try (Socket accepted = server.accept()) {
        List<TcpDiag.TcpSocket> sockets = diag.toPeerPort(server.getLocalPort());
        // Every socket of the host towards that port, and nothing else. The kernel may still hold a TIME_WAIT of an
        // earlier connection to a listener that had the same (ephemeral) port within the last minute, here or in
        // another process: CI met one. So: all towards the port, the unrelated one absent, our client there once.
        assertThat(sockets).as("sockets towards the server port only").isNotEmpty()
            .allSatisfy(x -> assertThat(x.remote().getPort()).isEqualTo(server.getLocalPort()))
            .noneSatisfy(x -> assertThat(x.local().getPort()).isEqualTo(unrelated.getLocalPort()));
        List<TcpDiag.TcpSocket> ours = live(sockets);
        assertThat(ours).as("the client's end, besides TIME_WAITs of earlier connections: %s", sockets).hasSize(1);
        TcpDiag.TcpSocket s = ours.get(0);
        assertThat(s.local().getPort()).isEqualTo(client.getLocalPort());
        assertThat(s.remote().getPort()).isEqualTo(server.getLocalPort());
        assertThat(s.local().getAddress()).isEqualTo(InetAddress.getLoopbackAddress());
        assertThat(s.state()).isEqualTo("ESTABLISHED");
        assertThat(s.established()).isTrue();
        assertThat(s.timer()).isEqualTo(TcpDiag.Timer.KEEPALIVE);
        assertThat(s.timerExpiresMillis()).isBetween(15_000L, 17_000L);
        assertThat(s.ssTimer()).startsWith("timer:(keepalive,1").endsWith(",0)");
        assertThat(s.inode()).isPositive();
        assertThat(s.cookie()).isNotZero();
        assertThat(s.info()).isNotNull();
        assertThat(s.info().rttMicros()).isPositive();

        TcpDiag.Options o = diag.options(s.inode()).orElseThrow();
        assertThat(o).isEqualTo(new TcpDiag.Options(true, 17, 4, 3, 0));
        assertThat(diag.find((InetSocketAddress) client.getLocalSocketAddress(),
            (InetSocketAddress) client.getRemoteSocketAddress())).get()
            .satisfies(f -> assertThat(f.cookie()).isEqualTo(s.cookie()));
        assertThat(live(diag.toPeerPort(other.getLocalPort()))).hasSize(1)
            .allSatisfy(u -> assertThat(u.local().getPort()).isEqualTo(unrelated.getLocalPort()));

        accepted.close(); // FIN from the peer
        InputStream in = client.getInputStream();
        assertThat(in.read()).isEqualTo(-1);
        assertThat(live(diag.toPeerPort(server.getLocalPort()))).singleElement()
            .satisfies(x -> assertThat(x.state()).isEqualTo("CLOSE_WAIT"));
      }
      client.close();
      assertThat(live(diag.toPeerPort(server.getLocalPort()))).as("after both closed: gone (passive close)")
          .allSatisfy(x -> assertThat(x.state()).isIn("LAST_ACK", "CLOSE"));
    }
  }

  /**
   * Without TIME_WAITs: this test's sockets never enter it (the client closes last, a passive close), but the kernel may
   * hold one of an earlier connection, here or in another process, to a listener that had the same ephemeral port.
   */
  private static List<TcpDiag.TcpSocket> live(List<TcpDiag.TcpSocket> sockets) {
    return sockets.stream().filter(x -> !"TIME_WAIT".equals(x.state())).toList();
  }

  @Test
  void optionsOfAnUnknownInodeAreEmpty() throws Exception {
    try (TcpDiag diag = TcpDiag.open()) {
      assertThat(diag.options(1L)).isEmpty();
    }
  }

  @Test
  void formatsTimersAsSsDoes() {
    assertThat(TcpDiag.formatMillis(450)).isEqualTo("450ms");
    assertThat(TcpDiag.formatMillis(6900)).isEqualTo("6.9sec");
    assertThat(TcpDiag.formatMillis(16000)).isEqualTo("16sec");
    assertThat(TcpDiag.formatMillis(99_000)).isEqualTo("1min39sec");
    assertThat(TcpDiag.formatMillis(120_000)).isEqualTo("2min");
  }
}
