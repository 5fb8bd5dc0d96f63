package io.github.lifeline.internal.linux;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An epoll instance watching sockets for the kernel's verdicts: peer closed ({@code EPOLLRDHUP}), error or hang-up
 * ({@code EPOLLERR}, {@code EPOLLHUP}, raised when keepalive or the user timeout gives up, or on a reset). Normal
 * data arrival is not watched, so a healthy connection never wakes the waiting thread.
 *
 * <p>Each registration carries a caller-chosen 64-bit token in {@code epoll_data}, never the descriptor number, which
 * the kernel may reuse. Registrations are one-shot: a socket reports once, then stays silent until removed. An
 * eventfd lets {@link #wakeUp()} interrupt a wait. {@link #add}, {@link #remove} and {@link #wakeUp} may be called
 * from any thread while another thread waits.
 *
 * <p><b>No descriptor is used after close.</b> Linux hands a closed descriptor's number to the next file opened, so a
 * call on a stale number could act on, or write into, an unrelated file (a new database socket). Every call therefore
 * holds a use count for as long as it touches the descriptors; {@link #close()} marks the instance closing and the
 * last user releases the descriptors. A call that starts after {@link #close()} is a no-op.
 */
public final class Epoll implements AutoCloseable {

  /** The peer closed its side (FIN). */
  public static final int EPOLLRDHUP = 0x2000;
  /** An error is pending on the socket (ETIMEDOUT from keepalive or the user timeout, ECONNRESET). */
  public static final int EPOLLERR = 0x008;
  /** Hang-up: the connection is closed both ways. */
  public static final int EPOLLHUP = 0x010;
  private static final int EPOLLIN = 0x001;
  private static final int EPOLLONESHOT = 1 << 30;
  private static final int EPOLL_CTL_ADD = 1;
  private static final int EPOLL_CTL_DEL = 2;
  private static final int EPOLL_CLOEXEC = 0x80000;
  private static final int EFD_CLOEXEC = 0x80000;
  private static final int EFD_NONBLOCK = 0x800;
  private static final int ENOENT = 2;
  private static final int EEXIST = 17;
  private static final int EBADF = 9;
  private static final int EINTR = 4;

  /** The wake-up eventfd's token; caller tokens must differ from it. */
  public static final long WAKE_TOKEN = -1L;

  /**
   * {@code struct epoll_event} is {@code u32 events; u64 data}, packed on x86-64 (12 bytes) and naturally aligned
   * elsewhere (16 bytes, data at offset 8).
   */
  private static final boolean PACKED = System.getProperty("os.arch", "").matches("amd64|x86_64");
  private static final int EVENT_SIZE = PACKED ? 12 : 16;
  private static final int DATA_OFFSET = PACKED ? 4 : 8;
  private static final byte[] ONE = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(1).array();

  /** Bit 0: closing. Bits 1..31: the number of calls currently using the descriptors. */
  private final AtomicInteger uses = new AtomicInteger();
  private final int epfd;
  private final int wakeFd;
  private final byte[] wakeBuffer = new byte[8];

  private Epoll(int epfd, int wakeFd) {
    this.epfd = epfd;
    this.wakeFd = wakeFd;
  }

  /** A new epoll instance with its wake-up eventfd. */
  public static Epoll open() throws IOException {
    LinuxSockets.requireAvailable();
    int epfd = LibC.epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) {
      throw new ErrnoException("epoll_create1", LibC.errno());
    }
    int efd = LibC.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0) {
      int errno = LibC.errno();
      LibC.close(epfd);
      throw new ErrnoException("eventfd", errno);
    }
    if (LibC.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, event(EPOLLIN, WAKE_TOKEN)) != 0) {
      int errno = LibC.errno();
      LibC.close(efd);
      LibC.close(epfd);
      throw new ErrnoException("epoll_ctl(ADD eventfd)", errno);
    }
    return new Epoll(epfd, efd);
  }

  private boolean enter() {
    while (true) {
      int s = uses.get();
      if ((s & 1) != 0) {
        return false;
      }
      if (uses.compareAndSet(s, s + 2)) {
        return true;
      }
    }
  }

  private void exit() {
    if (uses.addAndGet(-2) == 1) {
      LibC.close(wakeFd); // closing, and this was the last user: nobody can touch the numbers any more
      LibC.close(epfd);
    }
  }

  /** Whether {@link #close()} was called. */
  public boolean isClosed() {
    return (uses.get() & 1) != 0;
  }

  /**
   * Watches a socket descriptor, one-shot, for peer close, error and hang-up.
   *
   * @param fd the socket's descriptor; the caller keeps the socket open until {@link #remove}
   * @param token the value reported back for this socket, not {@link #WAKE_TOKEN}
   * @return false if this instance is closed (nothing was done)
   * @throws ErrnoException if the kernel refuses, e.g. {@code ENOSPC} when {@code fs.epoll.max_user_watches} is
   *     reached
   */
  public boolean add(int fd, long token) throws IOException {
    if (token == WAKE_TOKEN) {
      throw new IllegalArgumentException("token " + token + " is reserved");
    }
    if (!enter()) {
      return false;
    }
    try {
      if (LibC.epoll_ctl(epfd, EPOLL_CTL_ADD, fd, event(EPOLLRDHUP | EPOLLONESHOT, token)) != 0) {
        int errno = LibC.errno();
        if (errno != EEXIST) { // already watched by this instance: nothing to do
          throw new ErrnoException("epoll_ctl(ADD fd " + fd + ")", errno);
        }
      }
      return true;
    } finally {
      exit();
    }
  }

  /**
   * Stops watching a descriptor. Call it before the socket is closed. A descriptor that is not registered, and any
   * call after {@link #close()}, is ignored.
   */
  public void remove(int fd) throws IOException {
    if (!enter()) {
      return;
    }
    try {
      if (LibC.epoll_ctl(epfd, EPOLL_CTL_DEL, fd, new byte[EVENT_SIZE]) != 0) {
        int errno = LibC.errno();
        if (errno != ENOENT && errno != EBADF) {
          throw new ErrnoException("epoll_ctl(DEL fd " + fd + ")", errno);
        }
      }
    } finally {
      exit();
    }
  }

  /** Receives the events of one {@link #await} call. */
  @FunctionalInterface
  public interface EventSink {
    /** One ready socket: its token and the epoll event bits. */
    void event(long token, int events);
  }

  /**
   * Waits for events, up to {@code timeoutMillis} (-1: no limit), and hands each to {@code sink}. A wake-up is
   * consumed here and reported with {@link #WAKE_TOKEN}.
   *
   * @param buffer scratch space from {@link #newBuffer(int)}, reused across calls by the one waiting thread
   * @return the number of events, 0 on timeout or interruption by a signal, -1 if this instance is closed
   */
  public int await(byte[] buffer, int timeoutMillis, EventSink sink) throws IOException {
    return await(buffer, timeoutMillis, () -> { }, sink);
  }

  /**
   * As {@link #await(byte[], int, EventSink)}, but the wait takes nothing from the kernel: it polls the epoll
   * descriptor itself until events are ready (or the timeout), runs {@code beforeTake}, and only then takes the
   * events ({@code epoll_wait} without waiting). Until {@code beforeTake} has run, every ready event stays visible to
   * {@link #hasReady()}; so another thread that checks {@link #hasReady()} and then what {@code beforeTake} set never
   * misses an event the waiting thread has taken but not yet handled, even when the scheduler stops the waiting thread
   * right after the kernel handed the events over (measured: on a busy host the return from the system call is where
   * a woken thread loses its CPU for milliseconds). One more system call per wake-up.
   */
  public int await(byte[] buffer, int timeoutMillis, Runnable beforeTake, EventSink sink) throws IOException {
    if (!enter()) {
      return -1;
    }
    try {
      int ready = LibC.poll(new int[] {epfd, POLLIN_WORD}, 1, timeoutMillis);
      if (ready < 0) {
        int errno = LibC.errno();
        if (errno == EINTR) {
          return 0;
        }
        throw new ErrnoException("poll", errno);
      }
      if (ready == 0) {
        return 0;
      }
      beforeTake.run();
      int n = LibC.epoll_wait(epfd, buffer, buffer.length / EVENT_SIZE, 0);
      if (n < 0) {
        int errno = LibC.errno();
        if (errno == EINTR) {
          return 0;
        }
        throw new ErrnoException("epoll_wait", errno);
      }
      ByteBuffer b = ByteBuffer.wrap(buffer).order(ByteOrder.nativeOrder());
      for (int i = 0; i < n; i++) {
        int events = b.getInt(i * EVENT_SIZE);
        long token = b.getLong(i * EVENT_SIZE + DATA_OFFSET);
        if (token == WAKE_TOKEN) {
          LibC.read(wakeFd, wakeBuffer, 8);
        }
        sink.event(token, events);
      }
      return n;
    } finally {
      exit();
    }
  }

  /**
   * {@code struct pollfd} is {@code int fd; short events; short revents}: as two ints, the events are the second
   * int's low half on a little-endian machine, its high half on a big-endian one.
   */
  private static final int POLLIN_WORD = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? EPOLLIN : EPOLLIN << 16;

  /**
   * Whether the kernel holds events for this instance that no {@link #await} has taken yet (an epoll descriptor is
   * readable while its ready list is not empty). It polls the epoll descriptor itself, which takes nothing from a
   * waiting thread: the kernel only looks at the ready list. One system call, about a microsecond; false after
   * {@link #close()}.
   */
  public boolean hasReady() {
    if (!enter()) {
      return false;
    }
    try {
      return LibC.poll(new int[] {epfd, POLLIN_WORD}, 1, 0) > 0;
    } finally {
      exit();
    }
  }

  /** Scratch space for {@link #await} for up to {@code maxEvents} events per call. */
  public static byte[] newBuffer(int maxEvents) {
    return new byte[maxEvents * EVENT_SIZE];
  }

  /** Interrupts a waiting {@link #await}. Does nothing after {@link #close()}. */
  public void wakeUp() {
    if (!enter()) {
      return;
    }
    try {
      LibC.write(wakeFd, ONE, 8);
    } finally {
      exit();
    }
  }

  /**
   * Closes the instance: later calls do nothing, a waiting {@link #await} is woken up, and the descriptors are
   * released as soon as no call uses them any more. Idempotent.
   */
  @Override
  public void close() {
    if (!enter()) {
      return;
    }
    try {
      int s;
      do {
        s = uses.get();
      } while ((s & 1) == 0 && !uses.compareAndSet(s, s | 1));
      LibC.write(wakeFd, ONE, 8); // still ours: this call holds a use
    } finally {
      exit();
    }
  }

  private static byte[] event(int events, long token) {
    ByteBuffer b = ByteBuffer.allocate(EVENT_SIZE).order(ByteOrder.nativeOrder());
    b.putInt(0, events);
    b.putLong(DATA_OFFSET, token);
    return b.array();
  }
}
