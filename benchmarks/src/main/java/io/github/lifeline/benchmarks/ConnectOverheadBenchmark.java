package io.github.lifeline.benchmarks;

import io.github.lifeline.LifelineSettings;
import io.github.lifeline.internal.linux.DescriptorLookup;
import io.github.lifeline.internal.socket.TunedSocket;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.spi.LifelineSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Time to create and connect a socket to a loopback listener: a plain {@link Socket}, and a {@link LifelineSocket},
 * whose constructor predicts its descriptor number and whose {@code connect} also sets keepalive and TCP_USER_TIMEOUT,
 * verifies the predicted descriptor ({@link DescriptorLookup}), reads every option back and registers the socket.
 *
 * <p>{@code otherSockets} further socket descriptors are open in the process ({@code otherSockets / 2} idle loopback
 * connections with both ends here), because the fallback of the lookup, the {@code /proc/self/fd} scan, grows with the
 * process's descriptors. Only the construction and {@code connect} are measured; accepting the server side and
 * closing both ends (with a reset, so that no TIME_WAIT piles up) happen in the invocation's tear-down. Each trial
 * prints how the descriptor lookups went (predicted, found next to the prediction, or scanned).
 *
 * <p>{@link ConnectOverhead} runs this benchmark and prints Lifeline's overhead per descriptor count.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ConnectOverheadBenchmark {

  /** Other open socket descriptors in the process. */
  @Param({"10", "1000", "10000"})
  public int otherSockets;

  private final LifelineSettings settings = LifelineSettings.defaults();
  private ServerSocket server;
  private SocketAddress address;
  private final List<Pair> others = new ArrayList<>();
  private Socket client;
  private DescriptorLookup.Counts lookupsAtStart;

  /** Opens the listener and the other connections, and checks that Lifeline really tunes sockets here. */
  @Setup(Level.Trial)
  public void setUp() throws IOException {
    server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
    address = server.getLocalSocketAddress();
    for (int i = 0; i < otherSockets / 2; i++) {
      Socket c = new Socket();
      c.connect(address, 5000);
      others.add(new Pair(c, server.accept()));
    }
    try (LifelineSocket probe = new LifelineSocket(settings, "bench")) {
      probe.connect(address, 5000);
      SocketRecord r = probe.record().orElseThrow();
      Pair.reset(server.accept());
      if (r == null || ((TunedSocket) r).fd() < 0 || !r.tuning().allMatch()) {
        throw new IllegalStateException("Lifeline did not fully tune a socket here: " + r);
      }
    }
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      System.out.println("descriptors open in the benchmark process: " + fds.count());
    }
    lookupsAtStart = DescriptorLookup.counts();
  }

  /** A plain JDK socket. */
  @Benchmark
  public Socket plainSocket() throws IOException {
    Socket s = new Socket();
    client = s;
    s.connect(address, 5000);
    return s;
  }

  /** A socket tuned, read back and registered by Lifeline. */
  @Benchmark
  public Socket lifelineSocket() throws IOException {
    Socket s = new LifelineSocket(settings, "bench");
    client = s;
    s.connect(address, 5000);
    return s;
  }

  /** Outside the measurement: accepts the server side and resets both ends. */
  @TearDown(Level.Invocation)
  public void release() throws IOException {
    Socket peer = server.accept();
    Pair.reset(client);
    Pair.reset(peer);
    client = null;
  }

  /** Reports the descriptor lookups, then closes everything. */
  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    System.out.println("descriptor lookups in this trial: " + DescriptorLookup.counts().since(lookupsAtStart));
    for (Pair p : others) {
      p.close();
    }
    others.clear();
    server.close();
  }
}
