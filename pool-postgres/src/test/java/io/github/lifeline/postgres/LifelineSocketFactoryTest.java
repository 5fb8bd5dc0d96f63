package io.github.lifeline.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lifeline.LifelineConfigException;
import io.github.lifeline.LifelineSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class LifelineSocketFactoryTest {

  @Test
  void readsLifelineKeysFromConnectionProperties() {
    Properties info = new Properties();
    info.setProperty("user", "app");
    info.setProperty("tcpKeepAlive", "false");
    info.setProperty("lifeline.keepaliveIdle", "12s");
    assertThat(new LifelineSocketFactory(info).settings().keepaliveIdle()).isEqualTo(Duration.ofSeconds(12));
  }

  @Test
  void readsSocketFactoryArgSpecAndRejectsConflicts() {
    Properties info = new Properties();
    info.setProperty("socketFactoryArg", "keepaliveIdle=8s,keepaliveCount=2");
    info.setProperty("lifeline.keepaliveInterval", "4s");
    LifelineSettings s = new LifelineSocketFactory(info).settings();
    assertThat(s.keepaliveIdle()).isEqualTo(Duration.ofSeconds(8));
    assertThat(s.keepaliveCount()).isEqualTo(2);
    assertThat(s.keepaliveInterval()).isEqualTo(Duration.ofSeconds(4));

    info.setProperty("lifeline.keepaliveIdle", "9s");
    assertThatThrownBy(() -> new LifelineSocketFactory(info)).isInstanceOf(LifelineConfigException.class)
        .hasMessage("Lifeline property lifeline.keepaliveIdle is set twice with different values: '9s' in the "
            + "connection properties and '8s' in socketFactoryArg");
    info.setProperty("lifeline.keepaliveIdle", "8s");
    assertThat(new LifelineSocketFactory(info).settings().keepaliveIdle()).isEqualTo(Duration.ofSeconds(8));
  }

  @Test
  void stringConstructorTakesTheSpec() {
    assertThat(new LifelineSocketFactory("userTimeout=0").settings().userTimeout()).isZero();
    assertThatThrownBy(() -> new LifelineSocketFactory("keepaliveIdle=fast"))
        .hasMessageContaining("lifeline.keepaliveIdle").hasMessageContaining("'fast'");
  }

  @Test
  void keepaliveStaysOnWhenPgjdbcTurnsItOff() throws IOException {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
         Socket s = new LifelineSocketFactory().createSocket(server.getInetAddress(), server.getLocalPort());
         Socket peer = server.accept()) {
      s.setKeepAlive(false); // what pgjdbc does with tcpKeepAlive=false, its default
      assertThat(s.getKeepAlive()).isTrue();
    }
  }

  @Test
  void disabledFactoryLetsPgjdbcDecide() throws IOException {
    Properties info = new Properties();
    info.setProperty("lifeline.enabled", "false");
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
         Socket s = new LifelineSocketFactory(info).createSocket(server.getInetAddress(), server.getLocalPort());
         Socket peer = server.accept()) {
      s.setKeepAlive(false);
      assertThat(s.getKeepAlive()).isFalse();
    }
  }
}
