package io.github.lifeline.internal.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.DatagramChannel;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prediction of a socket's descriptor against the real kernel and JDK: when the JDK creates the descriptor, that
 * the predicted number is verified, and that a wrong prediction falls back to the scan and never returns another
 * descriptor.
 */
class DescriptorLookupTest {

  @TempDir
  Path dir;

  private ServerSocket server;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeAll
  static void available() {
    assertThat(LinuxSockets.isAvailable()).as("unavailable: %s", LinuxSockets.unavailableReason()).isTrue();
  }

  @BeforeEach
  void listen() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    open.add(server);
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private static String link(int fd) {
    try {
      return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
    } catch (IOException e) {
      return "closed";
    }
  }

  private FileChannel file(String name) throws IOException {
    FileChannel c = FileChannel.open(Files.createFile(dir.resolve(name)));
    open.add(c);
    return c;
  }

  private Socket connect(Socket s) throws IOException {
    open.add(s);
    s.connect(server.getLocalSocketAddress(), 2000);
    open.add(server.accept());
    return s;
  }

  private static InetSocketAddress local(Socket s) {
    return (InetSocketAddress) s.getLocalSocketAddress();
  }

  private static InetSocketAddress remote(Socket s) {
    return (InetSocketAddress) s.getRemoteSocketAddress();
  }

  @Test
  void lowestFreeIsTheNumberTheNextDescriptorGetsEvenBelowOpenOnes() throws IOException {
    int a = DescriptorLookup.lowestFree();
    assertThat(a).isNotNegative();
    file("a");
    assertThat(link(a)).endsWith("/a");
    int b = DescriptorLookup.lowestFree();
    FileChannel fileB = file("b");
    assertThat(link(b)).endsWith("/b");
    int c = DescriptorLookup.lowestFree();
    file("c");
    assertThat(link(c)).endsWith("/c");
    fileB.close();
    assertThat(DescriptorLookup.lowestFree()).as("the hole below c").isEqualTo(b);
    file("d");
    assertThat(link(b)).endsWith("/d");
  }

  @Test
  void theJdkCreatesTheDescriptorOnTheFirstOptionCallNotInTheConstructor() throws IOException {
    int before = DescriptorLookup.lowestFree();
    Socket s = new Socket();
    open.add(s);
    assertThat(DescriptorLookup.lowestFree()).as("new Socket() creates no descriptor").isEqualTo(before);
    int predicted = DescriptorLookup.predictCreation(s::getSoTimeout);
    assertThat(predicted).isEqualTo(before);
    assertThat(link(predicted)).as("getSoTimeout() created the socket's descriptor").startsWith("socket:[");

    DescriptorLookup.Counts start = DescriptorLookup.counts();
    connect(s);
    int fd = DescriptorLookup.find(predicted, local(s), remote(s));
    assertThat(fd).isEqualTo(predicted).isEqualTo(LinuxSockets.findFd(local(s), remote(s)));
    assertThat(DescriptorLookup.counts().since(start)).isEqualTo(new DescriptorLookup.Counts(1, 0, 0, 0));
  }

  @Test
  void aNumberTakenBetweenPredictionAndCreationIsFoundNextToIt() throws IOException {
    Socket s = new Socket();
    open.add(s);
    int predicted = DescriptorLookup.predictCreation(() -> {
      file("thief"); // another thread's open, between the prediction and the socket's creation
      s.getSoTimeout();
    });
    assertThat(link(predicted)).endsWith("/thief");
    connect(s);
    DescriptorLookup.Counts start = DescriptorLookup.counts();
    int fd = DescriptorLookup.find(predicted, local(s), remote(s));
    assertThat(fd).isNotEqualTo(predicted).isEqualTo(LinuxSockets.findFd(local(s), remote(s)));
    assertThat(link(fd)).startsWith("socket:[");
    assertThat(DescriptorLookup.counts().since(start)).isEqualTo(new DescriptorLookup.Counts(0, 1, 0, 0));
  }

  @Test
  void aNumberFreedBelowThePredictionIsFoundNextToIt() throws IOException {
    Socket s = null;
    int predicted = -1;
    // The JVM's own threads may close a descriptor below ours meanwhile (the Cleaner, a monitor of an earlier test
    // stopping): then the premise (our file holds the lower number) does not hold, and the scenario is set up again.
    for (int attempt = 0; attempt < 5; attempt++) {
      int lowerFd = DescriptorLookup.lowestFree();
      FileChannel lower = file("lower");
      Socket candidate = new Socket();
      open.add(candidate);
      int p = DescriptorLookup.predictCreation(() -> {
        lower.close(); // another thread's close: the socket gets the lower number
        candidate.getSoTimeout();
      });
      if (lowerFd < p) {
        s = candidate;
        predicted = p;
        break;
      }
    }
    assertThat(s).as("a lower descriptor than the prediction could be freed in one of 5 attempts").isNotNull();
    connect(s);
    DescriptorLookup.Counts start = DescriptorLookup.counts();
    int fd = DescriptorLookup.find(predicted, local(s), remote(s));
    assertThat(fd).isLessThan(predicted).isEqualTo(LinuxSockets.findFd(local(s), remote(s)));
    assertThat(DescriptorLookup.counts().since(start)).isEqualTo(new DescriptorLookup.Counts(0, 1, 0, 0));
  }

  @Test
  void aSocketFarFromThePredictionIsFoundByTheScan() throws IOException {
    Socket s = new Socket();
    open.add(s);
    int predicted = DescriptorLookup.predictCreation(() -> {
      for (int i = 0; i <= DescriptorLookup.RADIUS; i++) {
        file("thief-" + i);
      }
      s.getSoTimeout();
    });
    connect(s);
    DescriptorLookup.Counts start = DescriptorLookup.counts();
    int fd = DescriptorLookup.find(predicted, local(s), remote(s));
    assertThat(fd).isGreaterThan(predicted + DescriptorLookup.RADIUS)
        .isEqualTo(LinuxSockets.findFd(local(s), remote(s)));
    assertThat(DescriptorLookup.counts().since(start)).isEqualTo(new DescriptorLookup.Counts(0, 0, 1, 0));
  }

  @Test
  void aPredictionThatIsAnotherConnectedSocketIsRejected() throws IOException {
    Socket s = new Socket();
    open.add(s);
    int[] otherFd = new int[1];
    Socket[] other = new Socket[1];
    int predicted = DescriptorLookup.predictCreation(() -> {
      // The number goes to another socket to the same server, which then connects first.
      otherFd[0] = DescriptorLookup.lowestFree();
      other[0] = connect(new Socket());
      s.getSoTimeout();
    });
    assertThat(predicted).isEqualTo(otherFd[0]);
    assertThat(LinuxSockets.findFd(local(other[0]), remote(other[0]))).isEqualTo(predicted);
    connect(s);
    assertThat(LinuxSockets.isSocket(predicted, local(s), remote(s))).isFalse();
    int fd = DescriptorLookup.find(predicted, local(s), remote(s));
    assertThat(fd).isNotEqualTo(predicted).isEqualTo(LinuxSockets.findFd(local(s), remote(s)));
  }

  @Test
  void findNearLooksNearestFirstAndOnlyWithinTheRadius() throws IOException {
    Socket s = connect(new Socket());
    int fd = LinuxSockets.findFd(local(s), remote(s));
    assertThat(LinuxSockets.findNear(fd, 0, local(s), remote(s))).isEqualTo(fd);
    assertThat(LinuxSockets.findNear(fd + 3, 3, local(s), remote(s))).isEqualTo(fd);
    assertThat(LinuxSockets.findNear(fd + 3, 2, local(s), remote(s))).isEqualTo(-1);
    assertThat(LinuxSockets.findNear(Math.max(0, fd - 3), 3, local(s), remote(s))).isEqualTo(fd);
    assertThat(LinuxSockets.findNear(fd, 5, remote(s), local(s))).as("the mirrored addresses are the server side")
        .isNotEqualTo(fd);
    assertThat(LinuxSockets.findNear(-1, 5, local(s), remote(s))).isEqualTo(-1);
  }

  @Test
  void noPredictionScans() throws IOException {
    Socket s = connect(new Socket());
    DescriptorLookup.Counts start = DescriptorLookup.counts();
    assertThat(DescriptorLookup.find(-1, local(s), remote(s))).isEqualTo(LinuxSockets.findFd(local(s), remote(s)))
        .isNotNegative();
    assertThat(DescriptorLookup.counts().since(start)).isEqualTo(new DescriptorLookup.Counts(0, 0, 0, 1));
  }

  @Test
  void aUdpSocketWithTheSameAddressesIsNotTheTcpSocket() throws IOException {
    Socket tcp = connect(new Socket());
    DatagramChannel udp = DatagramChannel.open();
    open.add(udp);
    udp.bind(local(tcp)); // TCP and UDP port numbers are separate spaces
    udp.connect(remote(tcp));
    assertThat(udp.getLocalAddress()).isEqualTo(local(tcp));
    assertThat(udp.getRemoteAddress()).isEqualTo(remote(tcp));

    int tcpFd = LinuxSockets.findFd(local(tcp), remote(tcp));
    List<Integer> sameAddresses = new ArrayList<>();
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path p : (Iterable<Path>) fds::iterator) {
        int fd = Integer.parseInt(p.getFileName().toString());
        if (LinuxSockets.isSocket(fd, local(tcp), remote(tcp))) {
          sameAddresses.add(fd);
        }
      }
    }
    assertThat(sameAddresses).containsExactly(tcpFd);
    assertThat(link(tcpFd)).startsWith("socket:[");
  }
}
