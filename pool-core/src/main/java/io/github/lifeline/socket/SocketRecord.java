package io.github.lifeline.socket;

import io.github.lifeline.LifelineSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A socket Lifeline tuned: its 4-tuple, its kernel identity, what was requested and what the kernel holds.
 *
 * <p>The record is in the {@link SocketRegistry} from the moment the socket connected until it is closed. The 4-tuple
 * names the connection; the socket cookie ({@code SO_COOKIE}) is the kernel's own identity for it, which a later socket
 * reusing the same 4-tuple or file descriptor number never shares.
 */
public final class SocketRecord {

  private final LifelineSocket socket;
  private final String driver;
  private final InetSocketAddress local;
  private final InetSocketAddress remote;
  private final int fd;
  private final long cookie;
  private final Instant createdAt;
  private final LifelineSettings settings;
  private final TuningReport tuning;
  private final List<Consumer<SocketRecord>> closeHooks = new CopyOnWriteArrayList<>();

  SocketRecord(LifelineSocket socket, String driver, SocketTuner.Tuned tuned, Instant createdAt,
      LifelineSettings settings) {
    this.socket = socket;
    this.driver = driver;
    this.local = tuned.local();
    this.remote = tuned.remote();
    this.fd = tuned.fd();
    this.cookie = tuned.cookie();
    this.createdAt = createdAt;
    this.settings = settings;
    this.tuning = tuned.report();
  }

  /** The driver that opened the socket, for example {@code postgresql} or {@code mysql}. */
  public String driver() {
    return driver;
  }

  /** Local address and port. */
  public InetSocketAddress local() {
    return local;
  }

  /** Remote (server) address and port. */
  public InetSocketAddress remote() {
    return remote;
  }

  /** The kernel's socket cookie ({@code SO_COOKIE}), or 0 where native access is unavailable. */
  public long cookie() {
    return cookie;
  }

  /** The file descriptor number while the socket is open, or -1 where native access is unavailable. */
  public int fd() {
    return fd;
  }

  /** When the socket connected. */
  public Instant createdAt() {
    return createdAt;
  }

  /** The settings the socket was tuned with. */
  public LifelineSettings settings() {
    return settings;
  }

  /** Requested and actual values, read from the kernel right after connect. */
  public TuningReport tuning() {
    return tuning;
  }

  /** Whether the socket has been closed (the record has then left the registry). */
  public boolean isClosed() {
    return socket.isClosed();
  }

  /**
   * Reads every option from the kernel again, now. A driver may change options after connect (pgjdbc sets
   * SO_KEEPALIVE from its own {@code tcpKeepAlive}); this shows what the socket really carries.
   *
   * @return requested and actual values now
   * @throws IOException if the socket is closed or the kernel refuses a read
   */
  public TuningReport readKernel() throws IOException {
    return socket.readKernel(this);
  }

  /**
   * The kernel's state of this socket now, by 4-tuple and cookie (sock_diag). It stays meaningful after the kernel
   * dropped the connection: the answer is then {@link KernelState#GONE}.
   *
   * @return the state
   * @throws IOException if native access is unavailable or the kernel refuses the lookup
   */
  public KernelState kernelState() throws IOException {
    return KernelLookup.lookup(this);
  }

  /** An action on an open socket's descriptor. */
  @FunctionalInterface
  public interface OpenAction {
    /** Runs while the socket cannot be closed. */
    void run(SocketRecord record) throws IOException;
  }

  /**
   * Runs {@code action} only if the socket is open, and keeps it from being closed meanwhile, so that the descriptor
   * number cannot change hands. If the action succeeds, {@code onClose} runs when the socket closes, before the
   * descriptor is released.
   *
   * @return whether the socket was open and the action ran
   */
  public boolean whileOpen(OpenAction action, Consumer<SocketRecord> onClose) throws IOException {
    return socket.whileOpen(this, action, onClose);
  }

  void addCloseHook(Consumer<SocketRecord> hook) {
    closeHooks.add(hook);
  }

  void runCloseHooks() {
    for (Consumer<SocketRecord> hook : closeHooks) {
      hook.accept(this);
    }
  }

  /**
   * Whether the driver itself shut the socket's input or output down, as Connector/J does just before closing: the
   * kernel then reports the read side as closed, which is no death of the peer.
   */
  public boolean shutDownByOwner() {
    return socket.shutDownByOwner();
  }

  /**
   * Closes the socket under the driver's feet: a caller blocked on it fails at once with an I/O error, which the
   * driver reports as a connection failure (SQLState 08xxx), and every later use fails the same way.
   */
  public void abort() throws IOException {
    socket.close();
  }

  @Override
  public String toString() {
    return "SocketRecord{" + driver + " " + local + " -> " + remote + ", cookie=" + cookie + ", fd=" + fd
        + ", created=" + createdAt + ", " + tuning + "}";
  }
}
