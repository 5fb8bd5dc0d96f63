package io.github.lifeline.spi;

import io.github.lifeline.LifelineSettings;
import io.github.lifeline.internal.socket.TunedSocket;
import io.github.lifeline.socket.SocketRecord;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * A plain TCP socket that, once connected, carries Lifeline's keepalive timing and TCP_USER_TIMEOUT, has every option
 * read back from the kernel, and is known to Lifeline until it is closed.
 *
 * <p>This is the service-provider side of Lifeline: driver modules return it (or a subclass carrying a driver quirk)
 * from their socket factories. Applications never need it. When the settings are disabled it behaves exactly like
 * {@link Socket}. Tuning never fails a connect: what could not be applied is reported in the record's tuning report.
 */
public class LifelineSocket extends Socket {

  private final LifelineSettings settings;
  private final TunedSocket tuned;

  /**
   * @param settings the options to apply
   * @param driver a short driver name for logs and records, for example {@code postgresql}
   */
  public LifelineSocket(LifelineSettings settings, String driver) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.tuned = TunedSocket.forSocket(settings, Objects.requireNonNull(driver, "driver"));
    // Creates the descriptor now, right after predicting its number, so that connect finds it in constant time.
    tuned.createDescriptor(super::getSoTimeout);
  }

  /** The settings this socket applies. */
  public final LifelineSettings settings() {
    return settings;
  }

  /** The socket's record, once connected and while open. */
  public final Optional<SocketRecord> record() {
    return tuned.isOpen() ? Optional.of(tuned) : Optional.empty();
  }

  @Override
  public void connect(SocketAddress endpoint, int timeout) throws IOException {
    super.connect(endpoint, timeout);
    try {
      tuned.connected(this);
    } catch (IOException | RuntimeException e) {
      try {
        close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  @Override
  public void shutdownInput() throws IOException {
    tuned.ownerShutdown();
    super.shutdownInput();
  }

  @Override
  public void shutdownOutput() throws IOException {
    tuned.ownerShutdown();
    super.shutdownOutput();
  }

  @Override
  public void close() throws IOException {
    // Leave the registry and the monitor first, under the socket's lock: nobody may use the descriptor number once
    // the JDK released it.
    tuned.close(super::close);
  }
}
