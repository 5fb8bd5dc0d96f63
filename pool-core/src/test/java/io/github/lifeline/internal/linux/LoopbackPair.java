package io.github.lifeline.internal.linux;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** A connected client socket and its accepted server-side peer on a loopback address. */
final class LoopbackPair implements AutoCloseable {

  final ServerSocket server;
  final Socket client;
  final Socket accepted;

  private LoopbackPair(ServerSocket server, Socket client, Socket accepted) {
    this.server = server;
    this.client = client;
    this.accepted = accepted;
  }

  static LoopbackPair open(String loopback) throws IOException {
    ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName(loopback));
    try {
      Socket client = new Socket();
      client.connect(server.getLocalSocketAddress(), 2000);
      server.setSoTimeout(2000);
      return new LoopbackPair(server, client, server.accept());
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
  }

  InetSocketAddress clientLocal() {
    return (InetSocketAddress) client.getLocalSocketAddress();
  }

  InetSocketAddress clientRemote() {
    return (InetSocketAddress) client.getRemoteSocketAddress();
  }

  InetSocketAddress acceptedLocal() {
    return (InetSocketAddress) accepted.getLocalSocketAddress();
  }

  InetSocketAddress acceptedRemote() {
    return (InetSocketAddress) accepted.getRemoteSocketAddress();
  }

  int clientFd() throws IOException {
    return LinuxSockets.findFd(clientLocal(), clientRemote());
  }

  @Override
  public void close() throws IOException {
    try {
      client.close();
    } finally {
      try {
        accepted.close();
      } finally {
        server.close();
      }
    }
  }
}
