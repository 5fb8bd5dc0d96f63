package io.github.lifeline.internal.linux;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.LongAdder;

/**
 * Finds a Java socket's file descriptor in constant time in the common case, by predicting its number.
 *
 * <p>Linux gives every new descriptor the lowest free number. So right before the JDK creates a socket's descriptor,
 * {@link #predictCreation} learns that number by opening and closing an eventfd, then lets the JDK create the socket.
 * After {@code connect}, {@link #find} checks the predicted number with the exact test of
 * {@link LinuxSockets#isSocket} (a TCP socket whose local and remote addresses are exactly the Java socket's). When
 * another thread opened or closed descriptors between the prediction and the socket's creation, the socket holds a
 * number next to the predicted one, so {@link #find} then tests the numbers around it, nearest first, up to
 * {@link #RADIUS} away. Only when that fails too does it scan {@code /proc/self/fd} ({@link LinuxSockets#findFd}),
 * whose cost grows with the number of open descriptors. A wrong prediction therefore costs time, never correctness:
 * no number is returned that was not verified against the socket's own addresses.
 *
 * <p>As with every descriptor number, the caller must keep the socket open (and strongly reachable) from the check
 * until it is done with the number, so the JDK cannot release it to another file meanwhile; Lifeline holds the
 * socket's lock.
 *
 * <p>{@link #counts()} tells how often the prediction was right, for tests and benchmarks.
 */
public final class DescriptorLookup {

  /** {@code EFD_CLOEXEC} from {@code <sys/eventfd.h>}. */
  private static final int EFD_CLOEXEC = 0x80000;

  /**
   * How far from the predicted number {@link #find} looks before it scans. When other threads open or close
   * descriptors between the prediction and the socket's creation, the socket gets a number next to the predicted one:
   * one further up per descriptor opened meanwhile, or a just-freed one below. Measured with 8 threads connecting
   * beside a thread opening and closing a file (or a socket) in a tight loop, 99.6 % (99.7 %) of the wrong predictions
   * were within 16; with a single connecting thread, all were one above or one below.
   */
  static final int RADIUS = 16;

  private static final LongAdder EXACT = new LongAdder();
  private static final LongAdder NEARBY = new LongAdder();
  private static final LongAdder MISSED = new LongAdder();
  private static final LongAdder UNPREDICTED = new LongAdder();

  private DescriptorLookup() {
  }

  /** The call that makes the JDK create the socket's descriptor. */
  @FunctionalInterface
  public interface Creation {
    /** Creates the descriptor. */
    void create() throws IOException;
  }

  /**
   * The number the kernel gives the next descriptor this process opens, if no other thread opens or closes one
   * first: the lowest free number, learnt by opening an eventfd (which needs no file system) and closing it at once.
   *
   * @return the number, or -1 if native access is unavailable or the kernel refused the eventfd
   */
  public static int lowestFree() {
    if (!LinuxSockets.isAvailable()) {
      return -1;
    }
    int fd = LibC.eventfd(0, EFD_CLOEXEC);
    if (fd < 0) {
      return -1;
    }
    // Only this thread knows this number: closing it cannot touch anybody else's file.
    LibC.close(fd);
    return fd;
  }

  /**
   * Predicts the descriptor number, then runs {@code creation}, which must make the JDK create the socket's
   * descriptor (and nothing else that opens one).
   *
   * @return the predicted number, or -1 when none could be predicted; verify it with {@link #find} after connect
   * @throws IOException what {@code creation} threw
   */
  public static int predictCreation(Creation creation) throws IOException {
    int predicted = lowestFree();
    creation.create();
    return predicted;
  }

  /**
   * The descriptor of this process's connected TCP socket with exactly these local and remote addresses: the
   * predicted number if it is that socket, else the nearest number within {@link #RADIUS} that is, else the answer of
   * the {@code /proc/self/fd} scan.
   *
   * @param predicted what {@link #predictCreation} returned, or -1
   * @return the descriptor, or -1 if no descriptor of this process is that socket
   * @throws IllegalArgumentException if an address is unresolved
   * @throws IOException if native access is unavailable or {@code /proc/self/fd} cannot be listed
   */
  public static int find(int predicted, InetSocketAddress local, InetSocketAddress remote) throws IOException {
    if (predicted >= 0) {
      int fd = LinuxSockets.findNear(predicted, RADIUS, local, remote);
      if (fd == predicted) {
        EXACT.increment();
        return fd;
      }
      if (fd >= 0) {
        NEARBY.increment();
        return fd;
      }
      MISSED.increment();
    } else {
      UNPREDICTED.increment();
    }
    return LinuxSockets.findFd(local, remote);
  }

  /** How the lookups of this JVM went so far. */
  public static Counts counts() {
    return new Counts(EXACT.sum(), NEARBY.sum(), MISSED.sum(), UNPREDICTED.sum());
  }

  /**
   * Lookups since the JVM started.
   *
   * @param exact the predicted descriptor was the socket
   * @param nearby another thread opened or closed descriptors between the prediction and the socket's creation, and
   *     the socket's descriptor was found within {@link #RADIUS} of the prediction: no scan
   * @param missed there was a prediction, but no descriptor near it was the socket: scanned
   * @param unpredicted there was no prediction (native access unavailable when the socket was created, or the
   *     eventfd was refused): scanned
   */
  public record Counts(long exact, long nearby, long missed, long unpredicted) {

    /** How many lookups scanned {@code /proc/self/fd}: the fallbacks. */
    public long scans() {
      return missed + unpredicted;
    }

    /** All lookups. */
    public long lookups() {
      return exact + nearby + missed + unpredicted;
    }

    /** The lookups since {@code earlier}. */
    public Counts since(Counts earlier) {
      return new Counts(exact - earlier.exact, nearby - earlier.nearby, missed - earlier.missed,
          unpredicted - earlier.unpredicted);
    }

    @Override
    public String toString() {
      return "lookups=" + lookups() + " (predicted exactly=" + exact + ", nearby=" + nearby + ", scanned=" + scans()
          + ": missed=" + missed + ", unpredicted=" + unpredicted + ")";
    }
  }
}
