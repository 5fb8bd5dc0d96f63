package io.github.lifeline.internal.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lifeline.socket.TcpState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class TcpInfoTest {

  @Test
  void parsesFieldsAtTheirOffsets() throws IOException {
    byte[] buf = new byte[TcpInfo.BUFFER_SIZE];
    ByteBuffer b = ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder());
    b.put(0, (byte) 8).put(1, (byte) 4).put(2, (byte) 3).put(3, (byte) 2).put(4, (byte) 5);
    b.putInt(8, 0xffff_fff0); // rto, unsigned
    b.putInt(24, 7).putInt(32, 6).putInt(44, 44).putInt(52, 52).putInt(56, 56).putInt(68, 68).putInt(72, 72)
        .putInt(100, 100);
    TcpInfo i = TcpInfo.parse(buf, TcpInfo.MIN_SIZE);
    assertThat(i).isEqualTo(new TcpInfo(8, 2, 3, 5, 0xffff_fff0L, 52, 56, 7, 4, 6, 44, 68, 72, 100));
    assertThat(i.stateName()).isEqualTo("CLOSE_WAIT");
    assertThat(i.established()).isFalse();
  }

  @Test
  void rejectsShortAnswer() {
    assertThatThrownBy(() -> TcpInfo.parse(new byte[TcpInfo.BUFFER_SIZE], 100)).hasMessageContaining("100 bytes");
  }

  @Test
  void unknownStateKeepsItsNumber() throws IOException {
    byte[] buf = new byte[TcpInfo.BUFFER_SIZE];
    buf[0] = 42;
    assertThat(TcpInfo.parse(buf, TcpInfo.MIN_SIZE).stateName()).isEqualTo("UNKNOWN(42)");
    assertThat(TcpState.of(0)).isEqualTo(TcpState.UNKNOWN);
    assertThat(TcpState.of(10)).isEqualTo(TcpState.LISTEN);
    for (TcpState s : TcpState.values()) {
      if (s != TcpState.UNKNOWN && s != TcpState.GONE) {
        assertThat(TcpState.of(s.code())).isEqualTo(s);
      }
    }
  }
}
