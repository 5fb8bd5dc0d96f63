package io.github.lifeline.benchmarks;

import java.io.IOException;
import java.net.Socket;

/**
 * One loopback connection with both ends in this process: the client side and the peer the server accepted.
 *
 * @param client the client side (a {@link io.github.lifeline.socket.LifelineSocket} or a plain socket)
 * @param peer the server side
 */
record Pair(Socket client, Socket peer) implements AutoCloseable {

  /**
   * Closes both ends with a reset, the client side first, so that no TIME_WAIT is left behind to collide with later
   * connections; errors are ignored.
   */
  @Override
  public void close() {
    reset(client);
    reset(peer);
  }

  /** Closes a socket, ignoring errors. */
  static void closeQuietly(Socket s) {
    if (s == null) {
      return;
    }
    try {
      s.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }

  /** Closes a socket with a reset (linger 0), so that neither end lingers in TIME_WAIT; errors are ignored. */
  static void reset(Socket s) {
    if (s == null) {
      return;
    }
    try {
      s.setSoLinger(true, 0);
    } catch (IOException ignored) {
      // closed already
    }
    closeQuietly(s);
  }
}
