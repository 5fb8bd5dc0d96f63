package io.github.lifeline.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The server side of many loopback connections, held in a process of its own so that the benchmark process only holds
 * the client side (10 000 connections with both ends in one process would need 20 000 descriptors).
 *
 * <p>It listens on an ephemeral port of the loopback address, prints {@code port <n>} on standard output, and accepts
 * and holds every connection. Each line {@code count} on standard input is answered with {@code count <held>}. When
 * standard input closes (the parent closed it, or died) it closes every connection and exits.
 *
 * <p>Started by {@link PeerProcess}; usage: {@code java -cp benchmarks.jar io.github.lifeline.benchmarks.PeerServer}.
 */
public final class PeerServer {

  private PeerServer() {
  }

  /**
   * Runs the server until standard input closes.
   *
   * @param args none
   */
  public static void main(String[] args) throws IOException {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    List<Socket> held = new ArrayList<>();
    try (ServerSocket server = new ServerSocket(0, 4096, InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> accept(server, held), "peer-acceptor");
      acceptor.setDaemon(true);
      acceptor.start();
      out.println("port " + server.getLocalPort());
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.equals("count")) {
          synchronized (held) {
            out.println("count " + held.size());
          }
        }
      }
    }
    synchronized (held) {
      for (Socket s : held) {
        try {
          s.close();
        } catch (IOException ignored) {
          // exiting anyway
        }
      }
    }
  }

  private static void accept(ServerSocket server, List<Socket> held) {
    while (true) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        return; // the server socket was closed
      }
      synchronized (held) {
        held.add(s);
      }
    }
  }
}
