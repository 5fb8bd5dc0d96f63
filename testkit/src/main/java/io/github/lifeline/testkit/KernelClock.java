package io.github.lifeline.testkit;

import com.sun.jna.Library;
import com.sun.jna.Native;
import io.github.lifeline.testkit.DeathWatch;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntPredicate;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

/**
 * The kernel's clock for a fault test: when each connection of this process to a server got the peer's verdict (its
 * FIN, a reset, or the kernel giving up), as the testkit's {@link DeathWatch} sees it: from the kernel's own trace of
 * TCP state changes where it can, else on an epoll instance of its own, outside Lifeline's code path. It watches every
 * socket of the process to the server alike, stock pool or Lifeline pool, so both are judged by the same rule. The
 * owner's own closes are not deaths.
 */
public final class KernelClock implements AutoCloseable {

  private final int serverPort;
  private final DeathWatch watch;
  private final List<Map.Entry<Integer, DeathWatch.Watched>> watched = new CopyOnWriteArrayList<>();
  private final Map<Integer, DeathWatch.Watched> alive = new ConcurrentHashMap<>();

  /** Starts a clock for the connections of this process to {@code serverPort}; call {@link #watchNew()} to add. */
  public KernelClock(int serverPort) throws IOException {
    this.serverPort = serverPort;
    this.watch = DeathWatch.start();
  }

  /**
   * Watches every connected socket of this process to the server that is not watched yet (by local port).
   *
   * @return how many were added
   */
  public int watchNew() throws IOException {
    alive.values().removeIf(w -> w.verdict().isPresent());
    int added = 0;
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
      for (Path p : dir) {
        int fd;
        try {
          fd = Integer.parseInt(p.getFileName().toString());
        } catch (NumberFormatException e) {
          continue;
        }
        InetSocketAddress[] ends = addresses(fd);
        if (ends == null || ends[1].getPort() != serverPort || alive.containsKey(ends[0].getPort())) {
          continue;
        }
        DeathWatch.Watched w = watch.watch(ends[0], ends[1]).orElse(null);
        if (w != null) {
          alive.put(ends[0].getPort(), w);
          watched.add(Map.entry(ends[0].getPort(), w));
          added++;
        }
      }
    }
    return added;
  }

  private LongStream deaths(IntPredicate ports) {
    return watched.stream().filter(e -> ports.test(e.getKey())).map(Map.Entry::getValue)
        .flatMap(w -> w.verdict().stream()).filter(DeathWatch.Verdict::peer).mapToLong(DeathWatch.Verdict::nanos);
  }

  /** When the kernel's verdict on the (latest) connection with this local port came ({@link System#nanoTime()}). */
  public OptionalLong deathNanos(int localPort) {
    return deaths(p -> p == localPort).max();
  }

  /** The kernel's first verdict at or after {@code sinceNanos} on a connection with this local port. */
  public OptionalLong deathSince(int localPort, long sinceNanos) {
    return firstDeathSince(sinceNanos, p -> p == localPort);
  }

  /** The first verdict at or after {@code sinceNanos}: the server's first FIN or reset. */
  public OptionalLong firstDeathSince(long sinceNanos) {
    return firstDeathSince(sinceNanos, p -> true);
  }

  /** The first verdict at or after {@code sinceNanos} on a connection whose local port passes {@code ports}. */
  public OptionalLong firstDeathSince(long sinceNanos, IntPredicate ports) {
    return deaths(ports).filter(t -> t - sinceNanos >= 0).min();
  }

  /**
   * The kernel's timeouts: for each local port whose connection the kernel gave up on ({@code ETIMEDOUT}: keepalive
   * or the user timeout, on an unanswered peer), when. Known only from the kernel's trace ({@link DeathWatch#clock()}).
   */
  public Map<Integer, Long> timeouts() {
    Map<Integer, Long> out = new java.util.TreeMap<>();
    for (Map.Entry<Integer, DeathWatch.Watched> e : watched) {
      e.getValue().verdict().filter(DeathWatch.Verdict::timedOut).ifPresent(v -> out.put(e.getKey(), v.nanos()));
    }
    return out;
  }

  /** Which clock the watch uses: "tracefs", or "epoll" with the reason. */
  public String clock() {
    return watch.clock();
  }

  /** Every verdict at or after {@code sinceNanos}, in order ({@link System#nanoTime()}). */
  public List<Long> deathsSince(long sinceNanos) {
    return deaths(p -> true).filter(t -> t - sinceNanos >= 0).sorted().boxed().collect(Collectors.toList());
  }

  @Override
  public void close() {
    watch.close();
  }

  /** Local and remote address of a connected TCP socket descriptor, or null. */
  private static InetSocketAddress[] addresses(int fd) {
    byte[] sa = new byte[128];
    int[] len = {sa.length};
    if (Posix.INSTANCE.getsockname(fd, sa, len) != 0 || len[0] < 8) {
      return null;
    }
    InetSocketAddress local = address(sa);
    len[0] = sa.length;
    if (local == null || Posix.INSTANCE.getpeername(fd, sa, len) != 0 || len[0] < 8) {
      return null;
    }
    InetSocketAddress remote = address(sa);
    return remote == null ? null : new InetSocketAddress[] {local, remote};
  }

  /** A {@code sockaddr_in} or {@code sockaddr_in6}; a v4-mapped IPv6 address as the IPv4 one. */
  private static InetSocketAddress address(byte[] sa) {
    int family = ByteBuffer.wrap(sa).order(ByteOrder.nativeOrder()).getShort(0);
    int port = ((sa[2] & 0xff) << 8) | (sa[3] & 0xff);
    try {
      if (family == 2) {
        return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOfRange(sa, 4, 8)), port);
      }
      if (family == 10) {
        byte[] a = Arrays.copyOfRange(sa, 8, 24);
        return new InetSocketAddress(InetAddress.getByAddress(a), port); // Java maps ::ffff:a.b.c.d to IPv4
      }
    } catch (java.net.UnknownHostException e) {
      return null;
    }
    return null;
  }

  /** libc, for the test's own view of the process's sockets. */
  interface Posix extends Library {
    Posix INSTANCE = Native.load("c", Posix.class);

    int getsockname(int fd, byte[] addr, int[] len);

    int getpeername(int fd, byte[] addr, int[] len);
  }
}
