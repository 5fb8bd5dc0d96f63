package io.github.lifeline.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM running {@link PeerServer} from this process's class path: the peer of the benchmark's connections.
 * {@link #close()} closes the child's standard input, waits for it, and only if it does not exit ends that one process
 * (by its handle, so by its PID).
 */
final class PeerProcess implements AutoCloseable {

  private final Process process;
  private final Writer toChild;
  private final BufferedReader fromChild;
  private final InetSocketAddress address;

  private PeerProcess(Process process) throws IOException {
    this.process = process;
    this.toChild = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    this.fromChild = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line = fromChild.readLine();
    if (line == null || !line.startsWith("port ")) {
      throw new IOException("peer process " + process.pid() + " did not report its port: " + line);
    }
    this.address = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(line.substring(5)));
  }

  /** Starts the child and waits until it listens. */
  static PeerProcess start() throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
        System.getProperty("java.class.path"), PeerServer.class.getName());
    Process p = new ProcessBuilder(command).redirectError(Redirect.INHERIT).start();
    try {
      return new PeerProcess(p);
    } catch (IOException | RuntimeException e) {
      p.destroyForcibly();
      throw e;
    }
  }

  /** Where the child listens. */
  InetSocketAddress address() {
    return address;
  }

  /** The child's process id. */
  long pid() {
    return process.pid();
  }

  /** How many connections the child accepted and holds. */
  int held() throws IOException {
    toChild.write("count\n");
    toChild.flush();
    String line = fromChild.readLine();
    if (line == null || !line.startsWith("count ")) {
      throw new IOException("peer process " + process.pid() + " answered " + line);
    }
    return Integer.parseInt(line.substring(6));
  }

  /** Waits until the child holds at least {@code n} connections. */
  void awaitHeld(int n, long timeoutMillis) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    int held;
    while ((held = held()) < n) {
      if (System.nanoTime() > deadline) {
        throw new IOException("peer process holds " + held + " connections, expected " + n);
      }
      Thread.sleep(20);
    }
  }

  @Override
  public void close() {
    try {
      toChild.close();
    } catch (IOException ignored) {
      // the child is gone already
    }
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try {
      fromChild.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }
}
