package io.github.lifeline.internal.socket;

import java.lang.ref.Reference;
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
 * ({@link #global()}). A socket enters it when it connects and leaves it when it closes, or, when its driver forgot to
 * close it, after it was garbage collected (the registry never keeps a socket alive; collected sockets are swept out
 * whenever the registry is used).
 */
public final class SocketRegistry {

  private static final SocketRegistry GLOBAL = new SocketRegistry();

  private final Map<Key, TunedSocket> records = new ConcurrentHashMap<>();

  private record Key(InetSocketAddress local, InetSocketAddress remote) {
  }

  SocketRegistry() {
  }

  /** The registry of this JVM. */
  public static SocketRegistry global() {
    return GLOBAL;
  }

  void register(TunedSocket record) {
    sweep();
    records.put(new Key(record.local(), record.remote()), record);
  }

  void remove(TunedSocket record) {
    records.remove(new Key(record.local(), record.remote()), record);
  }

  /** Takes out the records of sockets that were garbage collected without a close. */
  public static void sweep() {
    Reference<?> r;
    while ((r = TunedSocket.COLLECTED.poll()) != null) {
      ((TunedSocket.SocketRef) r).record.collected();
    }
  }

  /** The record of the open socket with this exact local and remote address. */
  public Optional<TunedSocket> find(InetSocketAddress local, InetSocketAddress remote) {
    return Optional.ofNullable(records.get(new Key(local, remote)));
  }

  /**
   * The record of this socket, looked up by its addresses. Works for a socket layered on a tuned one (an
   * {@code SSLSocket} over a {@code LifelineSocket}), which reports the same addresses.
   */
  public Optional<TunedSocket> find(Socket socket) {
    if (!(socket.getLocalSocketAddress() instanceof InetSocketAddress)
        || !(socket.getRemoteSocketAddress() instanceof InetSocketAddress)) {
      return Optional.empty();
    }
    return find((InetSocketAddress) socket.getLocalSocketAddress(), (InetSocketAddress) socket.getRemoteSocketAddress());
  }

  /** A snapshot of all records. */
  public List<TunedSocket> records() {
    sweep();
    return List.copyOf(records.values());
  }

  /** How many sockets are registered. */
  public int size() {
    sweep();
    return records.size();
  }
}
