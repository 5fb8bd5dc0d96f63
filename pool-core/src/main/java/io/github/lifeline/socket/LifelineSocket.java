package io.github.lifeline.socket;

import io.github.lifeline.LifelineSettings;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketAddress;
import java.time.Instant;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A plain TCP socket that, once connected, carries Lifeline's keepalive timing and TCP_USER_TIMEOUT, has every option
 * read back from the kernel, and stays in the {@link SocketRegistry} until it is closed.
 *
 * <p>Driver modules return it (or a subclass carrying a driver quirk) from their socket factories. When the settings
 * are disabled it behaves exactly like {@link Socket}.
 */
public class LifelineSocket extends Socket {

  private static final Logger LOG = LoggerFactory.getLogger(LifelineSocket.class);

  private final LifelineSettings settings;
  private final String driver;
  private final SocketRegistry registry;
  private volatile SocketRecord record;

  /**
   * @param settings the options to apply
   * @param driver a short driver name for logs and records, for example {@code postgresql}
   */
  public LifelineSocket(LifelineSettings settings, String driver) {
    this(settings, driver, SocketRegistry.global());
  }

  LifelineSocket(LifelineSettings settings, String driver, SocketRegistry registry) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.driver = Objects.requireNonNull(driver, "driver");
    this.registry = registry;
  }

  /** The settings this socket applies. */
  public LifelineSettings settings() {
    return settings;
  }

  /** The registry record, once connected (and while open), or {@code null}. */
  public SocketRecord record() {
    return record;
  }

  @Override
  public void connect(SocketAddress endpoint, int timeout) throws IOException {
    super.connect(endpoint, timeout);
    if (!settings.enabled()) {
      return;
    }
    SocketRecord r;
    try {
      SocketTuner.Tuned tuned = SocketTuner.tune(this, settings, SocketCapabilities.current());
      r = new SocketRecord(this, driver, tuned, Instant.now(), settings);
    } catch (IOException | RuntimeException e) {
      closeQuietly(e);
      throw e;
    }
    synchronized (this) {
      if (isClosed()) {
        return;
      }
      record = r;
      registry.register(r);
    }
    if (!r.tuning().allMatch()) {
      LOG.warn("Lifeline [{}] {} -> {}: the kernel does not hold every requested option: {}", driver, r.local(),
          r.remote(), r.tuning());
    } else if (LOG.isDebugEnabled()) {
      LOG.debug("Lifeline [{}] {} -> {} tuned: {}", driver, r.local(), r.remote(), r.tuning());
    }
  }

  /** The owner shut a direction down (some drivers do before closing): the socket is on its way out. */
  private volatile boolean shutDownByOwner;

  @Override
  public void shutdownInput() throws IOException {
    shutDownByOwner = true;
    super.shutdownInput();
  }

  @Override
  public void shutdownOutput() throws IOException {
    shutDownByOwner = true;
    super.shutdownOutput();
  }

  boolean shutDownByOwner() {
    return shutDownByOwner;
  }

  @Override
  public synchronized void close() throws IOException {
    SocketRecord r = record;
    if (r != null) {
      // Leave the registry and every watcher first: nobody may use the descriptor number once the JDK released it.
      registry.remove(r);
      record = null;
      try {
        r.runCloseHooks();
      } catch (RuntimeException e) {
        LOG.warn("Lifeline [{}] {} -> {}: a close hook failed", driver, r.local(), r.remote(), e);
      }
    }
    super.close();
  }

  synchronized boolean whileOpen(SocketRecord r, SocketRecord.OpenAction action,
      java.util.function.Consumer<SocketRecord> onClose) throws IOException {
    if (isClosed() || record != r) {
      return false;
    }
    action.run(r);
    r.addCloseHook(onClose);
    return true;
  }

  synchronized TuningReport readKernel(SocketRecord r) throws IOException {
    if (isClosed() || record != r) {
      throw new IOException("Socket " + r.local() + " -> " + r.remote() + " is closed");
    }
    return SocketTuner.readBack(this, r.fd(), r.local(), r.remote(), SocketTuner.requested(settings),
        SocketCapabilities.current());
  }

  private void closeQuietly(Exception cause) {
    try {
      super.close();
    } catch (IOException suppressed) {
      cause.addSuppressed(suppressed);
    }
  }
}
