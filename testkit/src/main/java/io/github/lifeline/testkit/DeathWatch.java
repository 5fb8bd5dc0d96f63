package io.github.lifeline.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel's clock for the death of sockets of this process: when the peer closed a watched connection (its FIN),
 * reset it, or the kernel gave up on it (keepalive or {@code TCP_USER_TIMEOUT}), outside Lifeline's code path.
 *
 * <p><b>From the kernel's trace</b> where it can (root, tracefs): a {@link KernelTrace} instance records every TCP
 * socket leaving {@code ESTABLISHED} and every error the kernel reports on one, with the kernel's own timestamp on the
 * clock of {@link System#nanoTime()}. {@code ESTABLISHED -> CLOSE_WAIT} is the peer's FIN (state {@code CLOSE_WAIT},
 * events {@code EPOLLRDHUP}); {@code ESTABLISHED -> CLOSE} followed by an error report (a reset, a timeout) is the
 * peer's or the kernel's verdict (state {@code CLOSE}, events {@code EPOLLERR | EPOLLHUP}), at the time of the state
 * change. The owner's own close ({@code FIN_WAIT1}, or {@code CLOSE} without an error report: an abortive close) and
 * its {@code shutdownInput} are no verdict. Nothing depends on a thread of this process running in time.
 *
 * <p><b>From an epoll instance of its own</b> otherwise: each watched socket waits, one-shot, for {@code EPOLLRDHUP},
 * {@code EPOLLERR} or {@code EPOLLHUP}; a thread records the {@link System#nanoTime()} of the wake-up and asks
 * sock_diag for the socket's state: {@code CLOSE_WAIT}, {@code LAST_ACK}, {@code CLOSING} or gone are the peer's
 * doing ({@linkplain Verdict#peer() a verdict}); {@code ESTABLISHED} (the owner shut its own input down, as
 * Connector/J does before closing) or {@code FIN_WAIT}/{@code TIME_WAIT} (the owner closed first) are not. The
 * socket's descriptor is found through its inode and added to the epoll set, never duplicated, so the owner's close
 * works as before. That has a price: a close removes the registration <em>with its pending event</em>, so when the
 * owner closes a socket between the kernel's event and this thread's wake-up (Lifeline evicts about 0.2 ms after a
 * verdict), the event is lost. The thread asks for real-time scheduling ({@code SCHED_FIFO}) to make that rare, not
 * impossible: with three CPU hogs and an owner that closes at the FIN, an ordinary thread missed 16 and 14 of 100
 * FINs, a {@code SCHED_FIFO} one 0 of 100 here and 2 of 100 in a CI run. {@link #clock()} says which way is in use.
 */
public final class DeathWatch implements AutoCloseable {

  private static final int EPOLLERR = 0x008;
  private static final int EPOLLHUP = 0x010;
  private static final int EPOLLRDHUP = 0x2000;
  private static final int EPOLLONESHOT = 1 << 30;
  private static final int EPOLL_CTL_ADD = 1;
  private static final int EPOLL_CTL_DEL = 2;
  private static final int EPOLL_CLOEXEC = 0x80000;
  private static final int EINTR = 4;
  private static final boolean PACKED = System.getProperty("os.arch", "").matches("amd64|x86_64");
  private static final int EVENT_SIZE = PACKED ? 12 : 16;
  private static final int MAX_EVENTS = 64;
  private static final Set<String> PEER_STATES = Set.of("CLOSE_WAIT", "LAST_ACK", "CLOSING", "CLOSE", "GONE");

  private final int epfd;
  private final TcpDiag diag;
  private final TcpDiag eventDiag;
  private final Map<Long, Watched> byToken = new ConcurrentHashMap<>();
  private final AtomicLong tokens = new AtomicLong();
  private static final int SCHED_FIFO = 1;
  /** Low among real-time priorities (1-99): above every ordinary thread, below the kernel's own. */
  private static final int RT_PRIORITY = 10;
  private static final Logger LOG = LoggerFactory.getLogger(DeathWatch.class);
  private static final AtomicBoolean REFUSAL_LOGGED = new AtomicBoolean();

  private final Thread thread;
  private volatile boolean running = true;
  private volatile String realtime = "not yet started";

  /** The kernel's trace, or null when it cannot be used (then the epoll thread watches). */
  private final KernelTrace trace;
  private final String clock;
  private final Object traceLock = new Object();
  /** Watched sockets by "local>remote", trace mode. Guarded by traceLock. */
  private final Map<String, Watched> byEnds = new HashMap<>();
  /** Recent trace records, for a socket whose record came before its watch was registered. Guarded by traceLock. */
  private final ArrayDeque<KernelTrace.Event> recent = new ArrayDeque<>();
  /** When each socket entered CLOSE, until its error report comes. Guarded by traceLock. */
  private final Map<String, Long> closedAt = new HashMap<>();
  private static final long RECENT_NANOS = 30_000_000_000L;
  private static final AtomicBoolean TRACE_REFUSAL_LOGGED = new AtomicBoolean();

  /**
   * What the kernel said about a socket.
   *
   * @param nanos {@link System#nanoTime()} when the epoll wait returned with the event
   * @param events the epoll events ({@code EPOLLRDHUP} 0x2000, {@code EPOLLERR} 0x8, {@code EPOLLHUP} 0x10)
   * @param state the socket's state right after the event, from sock_diag ({@code GONE} when the kernel no longer
   *     has it)
   * @param peer whether the peer or the kernel ended the connection, rather than its owner
   * @param error the error the kernel reported on the socket ({@code ETIMEDOUT} 110: keepalive or the user timeout
   *     gave up; {@code ECONNRESET} 104: a reset), 0 for a FIN, or when only epoll watched (it does not read it)
   */
  public record Verdict(long nanos, int events, String state, boolean peer, int error) {

    /** {@code ETIMEDOUT}. */
    public static final int ETIMEDOUT = 110;

    /** Whether the kernel gave up on the connection: its keepalive probes or its sent data went unanswered. */
    public boolean timedOut() {
      return error == ETIMEDOUT;
    }
  }

  /** A watched socket. */
  public static final class Watched {
    private final InetSocketAddress local;
    private final InetSocketAddress remote;
    private final long cookie;
    private final long sinceNanos;
    private volatile Verdict verdict;

    private Watched(InetSocketAddress local, InetSocketAddress remote, long cookie, long sinceNanos) {
      this.local = local;
      this.remote = remote;
      this.cookie = cookie;
      this.sinceNanos = sinceNanos;
    }

    /** Local address. */
    public InetSocketAddress local() {
      return local;
    }

    /** Remote address. */
    public InetSocketAddress remote() {
      return remote;
    }

    /** The socket's cookie: a later socket with the same 4-tuple has another. */
    public long cookie() {
      return cookie;
    }

    /** The kernel's event, once it came. */
    public Optional<Verdict> verdict() {
      return Optional.ofNullable(verdict);
    }

    @Override
    public String toString() {
      return "Watched[" + local + " -> " + remote + ", " + (verdict == null ? "alive" : verdict) + "]";
    }
  }

  private DeathWatch(int epfd, TcpDiag diag, TcpDiag eventDiag) {
    this.epfd = epfd;
    this.diag = diag;
    this.eventDiag = eventDiag;
    KernelTrace t = null;
    String why;
    try {
      t = KernelTrace.open(this::onTrace);
      why = "tracefs";
    } catch (IOException | RuntimeException e) {
      why = "epoll (no kernel trace: " + e.getMessage() + ")";
      if (TRACE_REFUSAL_LOGGED.compareAndSet(false, true)) {
        LOG.warn("DeathWatch cannot read the kernel's trace ({}); it watches with epoll, where an owner's close "
            + "right after the kernel's event may hide that event", e.toString());
      }
    }
    this.trace = t;
    this.clock = why;
    this.thread = new Thread(this::loop, "death-watch");
    thread.setDaemon(true);
    thread.setPriority(Thread.MAX_PRIORITY);
    if (t == null) {
      thread.start();
    } else {
      realtime = "not needed: the kernel's trace carries its own timestamps";
    }
  }

  /**
   * Creates the trace instance, or the epoll instance and its thread.
   *
   * @throws IOException if native access or sock_diag is unavailable
   */
  public static DeathWatch start() throws IOException {
    Libc.require("DeathWatch");
    TcpDiag diag = TcpDiag.open();
    TcpDiag eventDiag;
    try {
      eventDiag = TcpDiag.open();
    } catch (IOException e) {
      diag.close();
      throw e;
    }
    int epfd = Libc.epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) {
      IOException e = Libc.errno("epoll_create1");
      diag.close();
      eventDiag.close();
      throw e;
    }
    return new DeathWatch(epfd, diag, eventDiag);
  }

  /** Which clock is in use: "tracefs", or "epoll" with the reason the trace could not be read. */
  public String clock() {
    return clock;
  }

  /**
   * Watches this process's TCP socket with exactly this local and remote address.
   *
   * @return the handle, or empty if the kernel has no such established socket held by this process (it died or was
   *     closed already)
   * @throws IOException if sock_diag or epoll fails
   */
  public Optional<Watched> watch(InetSocketAddress local, InetSocketAddress remote) throws IOException {
    long since = System.nanoTime();
    Optional<TcpDiag.TcpSocket> found = diag.find(local, remote);
    if (found.isEmpty() || !found.get().established() || found.get().inode() == 0) {
      return Optional.empty();
    }
    long inode = found.get().inode();
    int fd = TcpDiag.fdOf(inode);
    if (fd < 0) {
      return Optional.empty();
    }
    Watched w = new Watched(local, remote, found.get().cookie(), since);
    if (trace != null) {
      String key = ends(local, remote);
      synchronized (traceLock) {
        byEnds.put(key, w);
        for (KernelTrace.Event e : recent) { // this socket's records read before this registration
          if (w.verdict == null && key.equals(ends(e.local(), e.remote()))) {
            judge(w, key, e);
          }
        }
      }
      return Optional.of(w);
    }
    long token = tokens.incrementAndGet();
    byToken.put(token, w);
    byte[] event = new byte[EVENT_SIZE];
    ByteBuffer b = ByteBuffer.wrap(event).order(ByteOrder.nativeOrder());
    b.putInt(0, EPOLLRDHUP | EPOLLONESHOT);
    b.putLong(PACKED ? 4 : 8, token);
    if (Libc.epoll_ctl(epfd, EPOLL_CTL_ADD, fd, event) != 0) {
      byToken.remove(token);
      IOException e = Libc.errno("epoll_ctl(ADD, " + fd + ")");
      if (!TcpDiag.refersTo(fd, inode)) {
        return Optional.empty(); // closed meanwhile
      }
      throw e;
    }
    if (!TcpDiag.refersTo(fd, inode)) {
      // The descriptor changed hands between the lookup and the registration: undo and report it as gone.
      Libc.epoll_ctl(epfd, EPOLL_CTL_DEL, fd, new byte[EVENT_SIZE]);
      byToken.remove(token);
      return Optional.empty();
    }
    return Optional.of(w);
  }

  private static String ends(InetSocketAddress local, InetSocketAddress remote) {
    return local.getAddress().getHostAddress() + ":" + local.getPort() + ">" + remote.getAddress().getHostAddress()
        + ":" + remote.getPort();
  }

  /** A record from the kernel's trace (the trace's reader thread; package-private for a test of the matching). */
  void onTrace(KernelTrace.Event e) {
    synchronized (traceLock) {
      recent.addLast(e);
      while (!recent.isEmpty() && (e.nanos() - recent.peekFirst().nanos() > RECENT_NANOS || recent.size() > 100_000)) {
        KernelTrace.Event old = recent.removeFirst();
        closedAt.remove(ends(old.local(), old.remote()), old.nanos());
      }
      String key = ends(e.local(), e.remote());
      Watched w = byEnds.get(key);
      if (w != null) {
        judge(w, key, e);
      } else if ("CLOSE".equals(e.newState())) {
        closedAt.put(key, e.nanos());
      }
    }
  }

  /** Applies one trace record of this socket's addresses ({@code key}) to it. Guarded by traceLock. */
  private void judge(Watched w, String key, KernelTrace.Event e) {
    if (e.nanos() - w.sinceNanos < 0 || w.verdict != null) {
      return; // an earlier socket with the same addresses
    }
    if (e.newState() == null) { // an error report: a reset or a timeout, after the state change to CLOSE
      Long at = closedAt.remove(key);
      long nanos = at != null && e.nanos() - at >= 0 ? at : e.nanos();
      w.verdict = new Verdict(nanos, EPOLLERR | EPOLLHUP, "CLOSE", true, e.error());
      byEnds.remove(key, w);
    } else if ("CLOSE_WAIT".equals(e.newState())) {
      w.verdict = new Verdict(e.nanos(), EPOLLRDHUP, "CLOSE_WAIT", true, 0);
      byEnds.remove(key, w);
    } else if ("CLOSE".equals(e.newState())) {
      closedAt.put(key, e.nanos()); // a verdict if an error report follows, else the owner's abortive close
    } else {
      byEnds.remove(key, w); // the owner closed it first (FIN_WAIT1): no verdict
    }
  }

  /**
   * Whether the watch thread runs with real-time scheduling: "SCHED_FIFO" when it does, else why not.
   */
  public String realtime() {
    return realtime;
  }

  private void loop() {
    if (Libc.sched_setscheduler(0, SCHED_FIFO, new int[] {RT_PRIORITY}) == 0) {
      realtime = "SCHED_FIFO";
    } else {
      realtime = Libc.errno("sched_setscheduler(SCHED_FIFO)").getMessage();
      if (REFUSAL_LOGGED.compareAndSet(false, true)) {
        LOG.warn("DeathWatch runs as an ordinary thread ({}): an owner's close right after the kernel's event may "
            + "hide that event from it", realtime);
      }
    }
    byte[] events = new byte[EVENT_SIZE * MAX_EVENTS];
    ByteBuffer b = ByteBuffer.wrap(events).order(ByteOrder.nativeOrder());
    while (running) {
      int n = Libc.epoll_wait(epfd, events, MAX_EVENTS, 50);
      long now = System.nanoTime();
      if (n < 0) {
        if (com.sun.jna.Native.getLastError() == EINTR) {
          continue;
        }
        return;
      }
      for (int i = 0; i < n; i++) {
        int mask = b.getInt(i * EVENT_SIZE);
        long token = b.getLong(i * EVENT_SIZE + (PACKED ? 4 : 8));
        Watched w = byToken.remove(token);
        if (w == null || w.verdict != null) {
          continue;
        }
        String state;
        try {
          state = eventDiag.find(w.local, w.remote).filter(s -> s.cookie() == w.cookie)
              .map(TcpDiag.TcpSocket::state).orElse("GONE");
        } catch (IOException | RuntimeException e) {
          state = "UNKNOWN";
        }
        boolean peer = PEER_STATES.contains(state) || (mask & (EPOLLERR | EPOLLHUP)) != 0 && !"ESTABLISHED"
            .equals(state) && !state.startsWith("FIN_WAIT") && !"TIME_WAIT".equals(state);
        w.verdict = new Verdict(now, mask, state, peer, 0);
      }
    }
  }

  /** Stops the thread and closes the epoll instance. Idempotent. */
  @Override
  public synchronized void close() {
    if (!running) {
      return;
    }
    running = false;
    if (trace != null) {
      trace.close();
    }
    try {
      thread.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Libc.close(epfd);
    diag.close();
    eventDiag.close();
  }
}
