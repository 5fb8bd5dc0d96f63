package io.github.lifeline.internal.monitor;

import io.github.lifeline.internal.Once;
import io.github.lifeline.internal.linux.DiagResult;
import io.github.lifeline.internal.linux.Epoll;
import io.github.lifeline.internal.linux.LinuxSockets;
import io.github.lifeline.internal.linux.SockDiag;
import io.github.lifeline.internal.socket.KernelLookup;
import io.github.lifeline.internal.socket.SocketRegistry;
import io.github.lifeline.internal.socket.TunedSocket;
import io.github.lifeline.socket.KernelState;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the kernel's state of every pooled socket of the JVM and reports each socket's death the moment the kernel
 * decides it. One monitor serves every pool ({@link #get()}): one thread, one epoll instance and one netlink channel,
 * whatever the number of pools; each watched socket carries its own {@link Listener}.
 *
 * <p>The mechanism is event-driven: every watched socket is registered, one-shot, with an epoll instance for peer
 * close ({@code EPOLLRDHUP}), error and hang-up; the thread waits on the epoll instance (a {@code poll} of its
 * descriptor, then {@code epoll_wait} without waiting to take what is ready: {@link #awaitCaughtUp}). A healthy JVM
 * therefore costs no CPU at all, however many sockets it has, and the lag from the kernel's verdict (a FIN, a reset,
 * keepalive or TCP_USER_TIMEOUT giving up) to {@link Listener#onVerdict} is one wake-up. Polling was measured and
 * rejected: sock_diag costs ~6 µs and TCP_INFO 1–2.5 µs per socket, so 10 000 sockets polled every 50 ms would cost
 * 40–120 % of a core.
 *
 * <p>The monitor never dies silently. Every event is handled inside a catch-all; if {@code epoll_wait} itself fails,
 * the thread releases the epoll instance and the netlink channel, logs a warning once, opens new ones (with a backoff
 * while that fails) and watches every socket again. The thread stops, releasing everything, when no socket is watched
 * and no timer is pending, and starts again with the next watch.
 *
 * <p>Listeners and timers run on the monitor thread, one at a time: they must return quickly and never block. They
 * may use {@link #lookup} (the monitor's own netlink channel, microseconds per socket).
 */
public final class SocketMonitor {

  private static final Logger LOG = LoggerFactory.getLogger(SocketMonitor.class);
  private static final int MAX_EVENTS = 256;
  private static final long MAX_BACKOFF_MILLIS = 30_000;

  private static final SocketMonitor GLOBAL = new SocketMonitor(daemonThreads(), System::nanoTime);

  /**
   * Receives verdicts on the monitor thread. The events of one wake-up are handed over in two passes: first
   * {@link #prepare} for every one of them, then {@link #onVerdict} for every one, so that what must happen at once
   * (marking connections dead, deciding about their server) is done for all of them before the slower work of any.
   */
  @FunctionalInterface
  public interface Listener {
    /** First pass: the kernel reported the socket; do only what must happen at once. */
    default void prepare(Verdict verdict) {
    }

    /** Second pass: the kernel reported the socket (peer close, error or hang-up). The watch is over. */
    void onVerdict(Verdict verdict);
  }

  /**
   * One socket's event as the monitor saw it.
   *
   * @param watch the registration that reported
   * @param events the epoll event bits ({@link Epoll#EPOLLRDHUP}, {@link Epoll#EPOLLERR}, {@link Epoll#EPOLLHUP})
   * @param nanos when the monitor thread woke for it, on the monitor's clock: the kernel's verdict time to within a
   *     wake-up
   */
  public record Verdict(Watch watch, int events, long nanos) {
    /** The socket. */
    public TunedSocket socket() {
      return watch.socket;
    }
  }

  /** One watched socket. */
  public final class Watch implements TunedSocket.Watch {
    final long token;
    final TunedSocket socket;
    final Listener listener;
    final Object attachment;

    Watch(long token, TunedSocket socket, Listener listener, Object attachment) {
      this.token = token;
      this.socket = socket;
      this.listener = listener;
      this.attachment = attachment;
    }

    /** The socket. */
    public TunedSocket socket() {
      return socket;
    }

    /** What the watcher attached (the pool's connection). */
    public Object attachment() {
      return attachment;
    }

    @Override
    public void closing(TunedSocket s) {
      if (watched.remove(token) != null) {
        Session current = session;
        if (current != null) {
          try {
            current.epoll.remove(s.fd());
          } catch (IOException e) {
            Once.warn(LOG, "unwatch:" + e.getMessage(), "Lifeline monitor could not unwatch {} -> {}: {}",
                s.local(), s.remote(), e.getMessage());
          }
        }
        wakeIfIdle();
      }
    }

    @Override
    public void collected(TunedSocket s) {
      // The descriptor was (or is about to be) closed by the JDK, which removes it from epoll: never remove by number.
      if (watched.remove(token) != null) {
        wakeIfIdle();
      }
    }
  }

  /** One epoll instance and netlink channel, and the thread that waits on them. */
  private static final class Session {
    final Epoll epoll;
    final SockDiag diag;

    Session(Epoll epoll, SockDiag diag) {
      this.epoll = epoll;
      this.diag = diag;
    }
  }

  private record Timer(long atNanos, long seq, Runnable task) {
  }

  private final ThreadFactory threadFactory;
  private final LongSupplier nanoTime;
  private final Map<Long, Watch> watched = new ConcurrentHashMap<>();
  private final AtomicLong tokens = new AtomicLong();
  private final Object lock = new Object();
  /** Verdicts whose first pass ran and whose second has not (monitor thread only). */
  private final java.util.ArrayDeque<Verdict> pending = new java.util.ArrayDeque<>();
  private final PriorityQueue<Timer> timers = new PriorityQueue<>((a, b) -> a.atNanos != b.atNanos
      ? Long.compare(a.atNanos, b.atNanos) : Long.compare(a.seq, b.seq));
  private long timerSeq;
  private volatile Session session;
  private Thread thread;
  private volatile boolean shutdown;

  /**
   * A monitor of its own (tests and benchmarks); pools share {@link #get()}.
   *
   * @param threadFactory makes the monitor thread (it should be a daemon)
   * @param nanoTime the clock for {@link Verdict#nanos()} and timers, normally {@code System::nanoTime}
   */
  public SocketMonitor(ThreadFactory threadFactory, LongSupplier nanoTime) {
    this.threadFactory = threadFactory;
    this.nanoTime = nanoTime;
  }

  /** The monitor of this JVM. */
  public static SocketMonitor get() {
    return GLOBAL;
  }

  /** Daemon threads named {@code lifeline-monitor}. */
  public static ThreadFactory daemonThreads() {
    return r -> {
      Thread t = new Thread(r, "lifeline-monitor");
      t.setDaemon(true);
      return t;
    };
  }

  /** The monitor's clock. */
  public long nanoTime() {
    return nanoTime.getAsLong();
  }

  /**
   * Starts watching a socket until it dies or closes.
   *
   * @param socket the socket, open and with a descriptor
   * @param listener receives its verdict
   * @param attachment handed back with the verdict
   * @return the registration, or empty if the socket was already closed
   * @throws IOException why it cannot be watched: no native access, no descriptor, or the kernel refused the epoll
   *     instance, the netlink channel or the registration ({@code EMFILE}, {@code ENOSPC}, ...)
   */
  public Optional<Watch> watch(TunedSocket socket, Listener listener, Object attachment) throws IOException {
    if (!LinuxSockets.isAvailable()) {
      throw new IOException("native access is unavailable: " + LinuxSockets.unavailableReason());
    }
    if (!socket.hasDescriptor()) {
      throw new IOException("the socket's descriptor is unknown: " + socket.tuning()
          .get(io.github.lifeline.socket.TcpOption.TCP_USER_TIMEOUT).unavailable());
    }
    Watch w = new Watch(tokens.incrementAndGet(), socket, listener, attachment);
    watched.put(w.token, w);
    try {
      for (int attempt = 0; attempt < 3; attempt++) {
        Session s = ensureRunning();
        boolean[] added = new boolean[1];
        boolean open = socket.watch(w, ts -> added[0] = s.epoll.add(ts.fd(), w.token));
        if (!open) {
          watched.remove(w.token);
          return Optional.empty();
        }
        if (added[0]) {
          return Optional.of(w);
        }
        socket.unwatch(w); // that epoll instance was closed under us: a new session takes over
      }
      throw new IOException("the monitor restarted three times while the socket was being watched");
    } catch (IOException | RuntimeException e) {
      watched.remove(w.token);
      socket.unwatch(w);
      wakeIfIdle();
      throw e;
    }
  }

  /** How many sockets are watched now. */
  public int watchedCount() {
    return watched.size();
  }

  /**
   * Set before the monitor thread takes ready events from the kernel, cleared once it has given them their first pass:
   * with {@link Epoll#hasReady()}, checked first, it covers every verdict the kernel gave that is not in effect yet.
   */
  private volatile boolean firstPasses;
  private final Runnable taking = () -> firstPasses = true;

  /**
   * For a thread about to use a connection: waits while the kernel holds verdicts that the monitor thread has not
   * given their first pass yet (its epoll instance is readable, or the thread is in the first pass), parking so that
   * the monitor thread gets the CPU, until {@code deadlineNanos} ({@link #nanoTime()}). On a busy host the scheduler
   * can leave the woken monitor thread without a CPU for milliseconds, while the borrower's thread runs; after this
   * call every verdict the kernel gave before it is in effect (connections marked dead, a server shutting down
   * judged). Costs one {@code poll} system call when nothing is pending.
   *
   * @return false if the deadline came first, or the calling thread is interrupted
   */
  public boolean awaitCaughtUp(long deadlineNanos) {
    while (true) {
      Session s = session;
      if (s == null || (!s.epoll.hasReady() && !firstPasses)) { // this order: see firstPasses
        return true;
      }
      if (nanoTime.getAsLong() - deadlineNanos >= 0 || Thread.currentThread().isInterrupted()) {
        return false; // an interrupted thread would not park: it goes on, its interrupt kept
      }
      java.util.concurrent.locks.LockSupport.parkNanos(CATCH_UP_PARK_NANOS);
    }
  }

  private static final long CATCH_UP_PARK_NANOS = 50_000;

  /** Whether the monitor thread runs now. */
  public boolean isRunning() {
    synchronized (lock) {
      return thread != null && thread.isAlive();
    }
  }

  /** The kernel's view of a socket through the monitor's channel. Call it on the monitor thread only. */
  public Optional<DiagResult> lookup(TunedSocket socket) throws IOException {
    Session s = session;
    if (s == null || Thread.currentThread() != thread) {
      throw new IllegalStateException("lookup() runs on the monitor thread only");
    }
    return KernelLookup.raw(s.diag, socket);
  }

  /** The public view of {@link #lookup}. */
  public KernelState kernelState(TunedSocket socket) throws IOException {
    return lookup(socket).map(DiagResult::toKernelState).orElseGet(KernelState::gone);
  }

  /**
   * Runs {@code task} on the monitor thread at {@code atNanos} (monitor clock) or soon after. A pending timer keeps
   * the monitor running.
   */
  public void schedule(long atNanos, Runnable task) {
    Session s;
    synchronized (lock) {
      timers.add(new Timer(atNanos, timerSeq++, task));
      s = session;
    }
    if (s != null) {
      if (Thread.currentThread() != thread) {
        s.epoll.wakeUp(); // the monitor thread itself looks at its timers before it waits again
      }
    } else {
      try {
        ensureRunning();
      } catch (IOException e) {
        Once.warn(LOG, "timer:" + e.getMessage(), "Lifeline monitor cannot start for a timer: {}", e.getMessage());
      }
    }
  }

  private Session ensureRunning() throws IOException {
    synchronized (lock) {
      if (shutdown) {
        throw new IOException("the monitor is shut down");
      }
      Session s = session;
      if (s != null) {
        return s;
      }
      s = open();
      session = s;
      if (thread == null) {
        Thread t = threadFactory.newThread(this::run);
        thread = t;
        t.start();
      }
      return s;
    }
  }

  private static Session open() throws IOException {
    Epoll e = Epoll.open();
    try {
      return new Session(e, SockDiag.open());
    } catch (IOException | RuntimeException x) {
      e.close();
      throw x;
    }
  }

  private void wakeIfIdle() {
    if (watched.isEmpty()) {
      Session s = session;
      if (s != null) {
        s.epoll.wakeUp();
      }
    }
  }

  private void run() {
    byte[] buffer = Epoll.newBuffer(MAX_EVENTS);
    List<long[]> ready = new ArrayList<>();
    LOG.debug("Lifeline monitor started");
    long backoff = 0;
    try {
      while (true) {
        Session s;
        synchronized (lock) {
          s = session;
          if (s == null) {
            thread = null; // stopped (idle or shut down); the next watch starts a new thread
            return;
          }
        }
        try {
          loop(s, buffer, ready);
          backoff = 0;
        } catch (Throwable t) {
          firstPasses = false; // it may have failed between taking events and their first pass: nothing is pending now
          LOG.warn("Lifeline monitor: waiting for the kernel's verdicts failed ({}); it opens a new epoll instance "
              + "and watches the {} sockets again", t.toString(), watched.size());
          backoff = restart(s, backoff);
        }
      }
    } catch (Throwable t) {
      synchronized (lock) {
        thread = null;
        session = null;
      }
      LOG.error("Lifeline monitor stopped unexpectedly; detection is off until the next connection is watched", t);
    } finally {
      LOG.debug("Lifeline monitor stopped");
    }
  }

  /** Waits and reports until the session stops (normally) or fails (throws). */
  /**
   * Waits and reports until the session stops (normally) or fails (throws). First passes come before everything:
   * between two second passes the monitor looks (without waiting) for new events and gives them their first pass, so
   * a connection's death is marked within one second pass of its event even while a burst of deaths is handled.
   */
  private void loop(Session s, byte[] buffer, List<long[]> ready) throws IOException {
    while (true) {
      ready.clear();
      int n = s.epoll.await(buffer, pending.isEmpty() ? nextTimeoutMillis() : 0, taking, (token, events) -> {
        if (token != Epoll.WAKE_TOKEN) {
          ready.add(new long[] {token, events});
        }
      });
      if (n < 0) {
        return; // closed by stopIfIdle or shutdown (before taking anything: the flag is not set)
      }
      long now = nanoTime.getAsLong();
      try {
        for (long[] ev : ready) {
          Watch w = watched.remove(ev[0]);
          if (w != null) {
            w.socket.unwatch(w);
            Verdict v = new Verdict(w, (int) ev[1], now);
            report(v, true);
            pending.add(v);
          }
        }
      } finally {
        firstPasses = false;
      }
      Verdict next = pending.poll();
      if (next != null) {
        report(next, false);
        if (!pending.isEmpty()) {
          continue; // look for new events before the next second pass
        }
      }
      runDueTimers();
      SocketRegistry.sweep();
      if (stopIfIdle(s)) {
        return;
      }
    }
  }

  private void report(Verdict v, boolean first) {
    try {
      if (first) {
        v.watch().listener.prepare(v);
      } else {
        v.watch().listener.onVerdict(v);
      }
    } catch (Throwable t) {
      Once.warn(LOG, "listener:" + t.getClass().getName(), "Lifeline monitor: handling the verdict for {} -> {} "
          + "failed; the monitor goes on", v.socket().local(), v.socket().remote(), t);
    }
  }

  private int nextTimeoutMillis() {
    synchronized (lock) {
      Timer t = timers.peek();
      if (t == null) {
        return -1;
      }
      long ms = TimeUnit.NANOSECONDS.toMillis(t.atNanos - nanoTime.getAsLong()) + 1;
      return (int) Math.max(0, Math.min(ms, Integer.MAX_VALUE));
    }
  }

  private void runDueTimers() {
    while (true) {
      Timer t;
      synchronized (lock) {
        t = timers.peek();
        if (t == null || t.atNanos - nanoTime.getAsLong() > 0) {
          return;
        }
        timers.poll();
      }
      try {
        t.task.run();
      } catch (Throwable e) {
        Once.warn(LOG, "timer:" + e.getClass().getName(), "Lifeline monitor: a timer failed; the monitor goes on", e);
      }
    }
  }

  /** Stops the session when nothing is watched and no timer is pending; the next watch starts a new one. */
  private boolean stopIfIdle(Session s) {
    synchronized (lock) {
      if (!shutdown && (!watched.isEmpty() || !timers.isEmpty())) {
        return false;
      }
      if (session == s) {
        session = null;
      }
    }
    s.epoll.close();
    s.diag.close();
    return true;
  }

  /**
   * Replaces a failed session: new epoll instance and channel, every watched socket registered again. Retries with a
   * growing pause while the kernel refuses; gives up only when nothing is watched any more.
   *
   * @return the next backoff
   */
  private long restart(Session failed, long backoff) {
    synchronized (lock) {
      if (session == failed) {
        session = null;
      }
    }
    failed.epoll.close();
    failed.diag.close();
    while (true) {
      if (backoff > 0) {
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return backoff;
        }
      }
      Session s;
      synchronized (lock) {
        if (shutdown || (watched.isEmpty() && timers.isEmpty())) {
          return 0;
        }
        s = session; // a watch may have opened one meanwhile: its own registration is in it already
        if (s == null) {
          try {
            s = open();
            session = s;
          } catch (IOException | RuntimeException e) {
            backoff = Math.min(MAX_BACKOFF_MILLIS, Math.max(100, backoff * 2));
            Once.warn(LOG, "restart:" + e.getMessage(), "Lifeline monitor cannot open a new epoll instance ({}); "
                + "detection is off for {} sockets until it can, retrying every {} ms at most", e.getMessage(),
                watched.size(), MAX_BACKOFF_MILLIS);
            continue;
          }
        }
      }
      Session target = s;
      int again = 0;
      for (Watch w : List.copyOf(watched.values())) {
        try {
          boolean open = w.socket.watch(w, ts -> target.epoll.add(ts.fd(), w.token));
          if (open) {
            again++;
          } else {
            watched.remove(w.token);
          }
        } catch (IOException | RuntimeException e) {
          watched.remove(w.token);
          Once.warn(LOG, "rewatch:" + e.getMessage(), "Lifeline monitor cannot watch {} -> {} again: {}",
              w.socket.local(), w.socket.remote(), e.getMessage());
        }
      }
      LOG.info("Lifeline monitor restarted: watching {} sockets again", again);
      return backoff;
    }
  }

  /** Stops the thread and releases everything; for tests and benchmarks with a monitor of their own. */
  public void shutdown() {
    Session s;
    Thread t;
    synchronized (lock) {
      shutdown = true;
      s = session;
      session = null;
      t = thread;
      timers.clear();
    }
    if (s != null) {
      s.epoll.close();
      s.diag.close();
    }
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    watched.clear();
  }
}
