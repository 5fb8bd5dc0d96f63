package io.github.lifeline.socket;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every open socket Lifeline tuned in this JVM, by 4-tuple.
 *
 * <p>Drivers instantiate socket factories by class name, with no handle to pass around, so the registry is one per JVM
 * ({@link #global()}). A socket enters it when it connects and leaves it when it closes.
 */
public final class SocketRegistry {

  private static final SocketRegistry GLOBAL = new SocketRegistry();

  private final Map<Key, SocketRecord> records = new ConcurrentHashMap<>();

  private record Key(InetSocketAddress local, InetSocketAddress remote) {
  }

  SocketRegistry() {
  }

  /** The registry of this JVM. */
  public static SocketRegistry global() {
    return GLOBAL;
  }

  void register(SocketRecord record) {
    records.put(new Key(record.local(), record.remote()), record);
  }

  void remove(SocketRecord record) {
    records.remove(new Key(record.local(), record.remote()), record);
  }

  /** The record of the open socket with this exact local and remote address. */
  public Optional<SocketRecord> find(InetSocketAddress local, InetSocketAddress remote) {
    return Optional.ofNullable(records.get(new Key(local, remote)));
  }

  /**
   * The record of this socket, looked up by its addresses. Works for a socket layered on a tuned one (an
   * {@code SSLSocket} over a {@link LifelineSocket}), which reports the same addresses.
   */
  public Optional<SocketRecord> find(Socket socket) {
    if (!(socket.getLocalSocketAddress() instanceof InetSocketAddress)
        || !(socket.getRemoteSocketAddress() instanceof InetSocketAddress)) {
      return Optional.empty();
    }
    return find((InetSocketAddress) socket.getLocalSocketAddress(), (InetSocketAddress) socket.getRemoteSocketAddress());
  }

  /** A snapshot of all records. */
  public List<SocketRecord> records() {
    return List.copyOf(records.values());
  }

  /** How many sockets are registered. */
  public int size() {
    return records.size();
  }
}
