package io.github.lifeline.benchmarks;

import io.github.lifeline.internal.linux.LinuxConstants;
import io.github.lifeline.internal.linux.LinuxSockets;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a kernel check on every borrow would cost: one {@code getsockopt(SO_ERROR)} on a connected loopback socket
 * through JNA, the cheapest call that tells a socket's fate without the monitor. Lifeline does not do this (its borrow
 * path reads two volatile fields); the figure is the README's reason, set beside {@link BorrowBenchmark}'s cost of a
 * whole HikariCP borrow and return.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class KernelCheckBenchmark {

  private ServerSocket server;
  private Socket client;
  private Socket accepted;
  private int fd;

  /** A connected loopback pair and the client's descriptor. */
  @Setup(Level.Trial)
  public void setUp() throws IOException {
    server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
    client = new Socket();
    client.connect(server.getLocalSocketAddress());
    accepted = server.accept();
    fd = LinuxSockets.findFd((InetSocketAddress) client.getLocalSocketAddress(),
        (InetSocketAddress) client.getRemoteSocketAddress());
    if (fd < 0) {
      throw new IllegalStateException("descriptor not found");
    }
  }

  /** Closes the sockets. */
  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    accepted.close();
    client.close();
    server.close();
  }

  /** One {@code getsockopt(SO_ERROR)} through JNA. */
  @Benchmark
  public int soError() throws IOException {
    return LinuxSockets.getIntOption(fd, LinuxConstants.SOL_SOCKET, LinuxConstants.SO_ERROR);
  }
}
