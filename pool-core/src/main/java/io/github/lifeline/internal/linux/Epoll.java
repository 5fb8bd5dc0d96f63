package io.github.lifeline.internal.linux;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * An epoll instance watching sockets for the kernel's verdicts: peer closed ({@code EPOLLRDHUP}), error or hang-up
 * ({@code EPOLLERR}, {@code EPOLLHUP}, raised when keepalive or the user timeout gives up, or on a reset). Normal
 * data arrival is not watched, so a healthy connection never wakes the waiting thread.
 *
 * <p>Each registration carries a caller-chosen 64-bit token in {@code epoll_data}, never the descriptor number, which
 * the kernel may reuse. Registrations are one-shot: a socket reports once, then stays silent until removed. An
 * eventfd lets {@link #wakeUp()} interrupt a wait. {@link #add}, {@link #remove} and {@link #wakeUp} may be called
 * from any thread while another thread waits.
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

  private final int epfd;
  private final int wakeFd;
  private volatile boolean closed;

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
    Epoll e = new Epoll(epfd, efd);
    if (LibC.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, event(EPOLLIN, WAKE_TOKEN)) != 0) {
      int errno = LibC.errno();
      e.close();
      throw new ErrnoException("epoll_ctl(ADD eventfd)", errno);
    }
    return e;
  }

  /**
   * Watches a socket descriptor, one-shot, for peer close, error and hang-up.
   *
   * @param fd the socket's descriptor; the caller keeps the socket open until {@link #remove}
   * @param token the value reported back for this socket, not {@link #WAKE_TOKEN}
   */
  public void add(int fd, long token) throws IOException {
    if (token == WAKE_TOKEN) {
      throw new IllegalArgumentException("token " + token + " is reserved");
    }
    if (LibC.epoll_ctl(epfd, EPOLL_CTL_ADD, fd, event(EPOLLRDHUP | EPOLLONESHOT, token)) != 0) {
      throw new ErrnoException("epoll_ctl(ADD fd " + fd + ")", LibC.errno());
    }
  }

  /**
   * Stops watching a descriptor. Call it before the socket is closed. A descriptor that is not registered is ignored.
   */
  public void remove(int fd) throws IOException {
    if (LibC.epoll_ctl(epfd, EPOLL_CTL_DEL, fd, new byte[EVENT_SIZE]) != 0) {
      int errno = LibC.errno();
      if (errno != ENOENT && errno != EBADF) {
        throw new ErrnoException("epoll_ctl(DEL fd " + fd + ")", errno);
      }
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
   * @return the number of events, 0 on timeout or interruption by a signal
   */
  public int await(byte[] buffer, int timeoutMillis, EventSink sink) throws IOException {
    int n = LibC.epoll_wait(epfd, buffer, buffer.length / EVENT_SIZE, timeoutMillis);
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
        LibC.read(wakeFd, new byte[8], 8);
      }
      sink.event(token, events);
    }
    return n;
  }

  /** Scratch space for {@link #await} for up to {@code maxEvents} events per call. */
  public static byte[] newBuffer(int maxEvents) {
    return new byte[maxEvents * EVENT_SIZE];
  }

  /** Interrupts a waiting {@link #await}. */
  public void wakeUp() {
    byte[] one = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(1).array();
    LibC.write(wakeFd, one, 8);
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      LibC.close(wakeFd);
      LibC.close(epfd);
    }
  }

  private static byte[] event(int events, long token) {
    ByteBuffer b = ByteBuffer.allocate(EVENT_SIZE).order(ByteOrder.nativeOrder());
    b.putInt(0, events);
    b.putLong(DATA_OFFSET, token);
    return b.array();
  }
}
