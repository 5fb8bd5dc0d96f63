package io.github.lifeline.postgres;

import io.github.lifeline.LifelineSettings;
import io.github.lifeline.spi.LifelineSocket;
import java.net.SocketException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pgjdbc quirk, kept here: right after the factory returns, pgjdbc calls {@code setKeepAlive(tcpKeepAlive)}, and
 * {@code tcpKeepAlive} defaults to {@code false}. While Lifeline is enabled this socket keeps SO_KEEPALIVE on.
 */
final class PostgresLifelineSocket extends LifelineSocket {

  private static final Logger LOG = LoggerFactory.getLogger(PostgresLifelineSocket.class);

  PostgresLifelineSocket(LifelineSettings settings) {
    super(settings, "postgresql");
  }

  @Override
  public void setKeepAlive(boolean on) throws SocketException {
    if (!on && settings().enabled()) {
      LOG.debug("Lifeline [postgresql] {} -> {}: keeping SO_KEEPALIVE on although pgjdbc asked to turn it off "
          + "(tcpKeepAlive=false)", getLocalSocketAddress(), getRemoteSocketAddress());
      super.setKeepAlive(true);
      return;
    }
    super.setKeepAlive(on);
  }
}
