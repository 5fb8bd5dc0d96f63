package io.github.lifeline.internal.socket;

import io.github.lifeline.LifelineSettings;
import io.github.lifeline.internal.linux.DescriptorLookup;
import io.github.lifeline.internal.linux.LinuxSockets;
import io.github.lifeline.socket.KernelState;
import io.github.lifeline.socket.SocketCapabilities;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.socket.TuningReport;
import io.github.lifeline.spi.LifelineSocket;
import java.io.IOException;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Instant;

/**
 * The life of one {@link LifelineSocket}: tuning at connect, its registry record, the monitor's registration, and
 * close. It is the socket's lock: tuning, reading the kernel through the descriptor, watching and closing all happen
 * under it, so a descriptor number is never used after the JDK released it.
 *
 * <p>It holds its socket only weakly: a socket that its driver forgot to close is garbage collected as usual (the
 * JDK then closes the descriptor), and the record leaves the registry the next time the registry is used.
 */
public final class TunedSocket implements SocketRecord {

  /** Sockets collected without a close. */
  static final ReferenceQueue<LifelineSocket> COLLECTED = new ReferenceQueue<>();

  /** The weak link to the socket; it points back at its record for the cleanup. */
  static final class SocketRef extends WeakReference<LifelineSocket> {
    final TunedSocket record;

    SocketRef(LifelineSocket socket, TunedSocket record) {
      super(socket, COLLECTED);
      this.record = record;
    }
  }

  /** Receives the close of a watched socket, under its lock, while the descriptor is still its own. */
  public interface Watch {
    /** The owner closes the socket: stop watching its descriptor now. */
    void closing(TunedSocket socket);

    /** The socket was garbage collected without a close: forget it; its descriptor is gone already or soon. */
    void collected(TunedSocket socket);
  }

  private final LifelineSettings settings;
  private final String driver;
  private final SocketRegistry registry;
  private SocketRef ref;
  // Written once under the lock when connected, published through the registry.
  private InetSocketAddress local;
  private InetSocketAddress remote;
  private int fd = -1;
  /** The descriptor number predicted at creation, or -1; written by the socket's constructor. */
  private volatile int predictedFd = -1;
  private long cookie;
  private long createdMillis;
  private TuningReport tuning;
  private volatile boolean open;
  private volatile boolean closed;
  private volatile boolean ownerShutdown;
  private volatile Watch watch;

  TunedSocket(LifelineSettings settings, String driver, SocketRegistry registry) {
    this.settings = Shared.of(settings);
    this.driver = driver;
    this.registry = registry;
  }

  /** A record for a new, unconnected socket. */
  public static TunedSocket forSocket(LifelineSettings settings, String driver) {
    return new TunedSocket(settings, driver, SocketRegistry.global());
  }

  /**
   * Makes the JDK create the new socket's descriptor now, right after predicting its number (see
   * {@link DescriptorLookup}), so that {@link #connected} finds it without scanning the process's descriptors. The
   * JDK creates a socket's descriptor lazily, on the first option call, bind or connect ({@code Socket.getImpl()},
   * then {@code NioSocketImpl.create}, on JDK 17 and 25); {@code create} must be such a call, and one without effect
   * ({@code getSoTimeout()} only reads a field of the JDK's socket). Drivers connect moments later anyway; a socket
   * that is never connected nor closed has its descriptor closed by the JDK's Cleaner like any other.
   *
   * <p>Does nothing when the settings are disabled or native access is unavailable: no descriptor is needed then.
   * Never fails: if the JDK cannot create the descriptor now (e.g. EMFILE), it tries again on the driver's next call
   * and reports the failure there.
   */
  public void createDescriptor(DescriptorLookup.Creation create) {
    if (!settings.enabled() || !SocketCapabilities.current().nativeAccess()) {
      return;
    }
    try {
      predictedFd = DescriptorLookup.predictCreation(create);
    } catch (IOException e) {
      predictedFd = -1;
    }
  }

  /**
   * The socket connected: tune it, read every option back, and register it. Never fails the connect because an
   * option cannot be applied: what could not be done is in {@link #tuning()} and logged once per JVM.
   */
  public void connected(LifelineSocket socket) throws IOException {
    if (!settings.enabled()) {
      return;
    }
    synchronized (this) {
      if (socket.isClosed()) {
        return;
      }
      SocketTuner.Tuned t = SocketTuner.tune(socket, settings, SocketCapabilities.current(), predictedFd);
      local = t.local();
      remote = Shared.of(t.remote()); // the sockets of a pool share their server's address and, mostly, their report
      fd = t.fd();
      cookie = t.cookie();
      tuning = Shared.of(t.report());
      createdMillis = System.currentTimeMillis();
      ref = new SocketRef(socket, this);
      open = true;
      registry.register(this);
    }
    SocketTuner.logOutcome(this);
  }

  /** The owner shut a direction down (Connector/J does, just before closing): the socket is on its way out. */
  public void ownerShutdown() {
    ownerShutdown = true;
  }

  /** Whether the driver itself shut the socket's input or output down. */
  public boolean shutDownByOwner() {
    return ownerShutdown;
  }

  /** An action that may fail with an I/O error. */
  @FunctionalInterface
  public interface IoAction {
    /** Runs it. */
    void run() throws IOException;
  }

  /**
   * Closes the socket: leaves the registry and the monitor first, then runs {@code close} (the JDK's close, which
   * releases the descriptor), all under the lock.
   */
  public void close(IoAction close) throws IOException {
    synchronized (this) {
      if (open) {
        open = false;
        closed = true;
        registry.remove(this);
        Watch w = watch;
        watch = null;
        if (w != null) {
          w.closing(this);
        }
        if (ref != null) {
          ref.clear();
        }
      }
      close.run();
    }
  }

  /** The socket was collected without a close (called by the registry). */
  void collected() {
    Watch w;
    synchronized (this) {
      if (!open) {
        return;
      }
      open = false;
      closed = true;
      w = watch;
      watch = null;
    }
    registry.remove(this);
    if (w != null) {
      w.collected(this);
    }
  }

  /** An action on the open socket's descriptor. */
  @FunctionalInterface
  public interface OpenAction {
    /** Runs while the socket cannot be closed. */
    void run(TunedSocket socket) throws IOException;
  }

  /**
   * Runs {@code action} only while the socket is open, and keeps it from being closed meanwhile, so that the
   * descriptor number cannot change hands.
   *
   * @return whether the socket was open and the action ran
   */
  public synchronized boolean whileOpen(OpenAction action) throws IOException {
    if (!open) {
      return false;
    }
    action.run(this);
    return true;
  }

  /**
   * Registers the monitor's watch, under the lock, with {@code action} (the epoll registration).
   *
   * @return false if the socket is not open (nothing was done)
   */
  public synchronized boolean watch(Watch w, OpenAction action) throws IOException {
    if (!open) {
      return false;
    }
    action.run(this);
    watch = w;
    return true;
  }

  /** Removes the monitor's watch without closing (the monitor reported the socket and is done with it). */
  public synchronized void unwatch(Watch w) {
    if (watch == w) {
      watch = null;
    }
  }

  /**
   * Closes the socket under its driver: a caller blocked on it fails at once with an I/O error, which the driver
   * reports as a connection failure (SQLState 08xxx), and every later use fails the same way.
   */
  public void abort() throws IOException {
    SocketRef r = ref;
    Socket s = r == null ? null : r.get();
    if (s != null) {
      s.close();
    }
  }

  /** The descriptor while the socket is open; -1 where native access is unavailable. Use it under the lock only. */
  public int fd() {
    return fd;
  }

  @Override
  public String driver() {
    return driver;
  }

  @Override
  public InetSocketAddress local() {
    return local;
  }

  @Override
  public InetSocketAddress remote() {
    return remote;
  }

  @Override
  public long cookie() {
    return cookie;
  }

  @Override
  public Instant createdAt() {
    return Instant.ofEpochMilli(createdMillis);
  }

  @Override
  public LifelineSettings settings() {
    return settings;
  }

  @Override
  public TuningReport tuning() {
    return tuning;
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  /** Whether the monitor watches the socket now. */
  public boolean isWatched() {
    return watch != null;
  }

  /** Whether the socket is open and registered. */
  public boolean isOpen() {
    return open;
  }

  @Override
  public synchronized TuningReport readKernel() throws IOException {
    LifelineSocket s = ref == null ? null : ref.get();
    if (!open || s == null) {
      throw new IOException("Socket " + local + " -> " + remote + " is closed");
    }
    return SocketTuner.readBack(s, fd, local, remote, SocketTuner.requested(settings), SocketCapabilities.current());
  }

  @Override
  public KernelState kernelState() throws IOException {
    return KernelLookup.lookup(this);
  }

  /** The cookie to look the socket up with: -1 (any) when it could not be read. */
  long lookupCookie() {
    return cookie != 0 ? cookie : -1;
  }

  /** Whether native access to this socket's descriptor works. */
  public boolean hasDescriptor() {
    return fd >= 0 && LinuxSockets.isAvailable();
  }

  @Override
  public String toString() {
    return "SocketRecord{" + driver + " " + local + " -> " + remote + ", cookie=" + cookie + ", created="
        + createdAt() + ", " + tuning + "}";
  }
}
