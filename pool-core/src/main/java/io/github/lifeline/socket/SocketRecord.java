package io.github.lifeline.socket;

import io.github.lifeline.LifelineSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;

/**
 * A socket Lifeline tuned: its 4-tuple, its kernel identity, what was requested and what the kernel holds.
 *
 * <p>A record exists from the moment the socket connected until it is closed (or, for a socket its driver forgot to
 * close, until the socket is garbage collected: the record never keeps a socket alive). The 4-tuple names the
 * connection; the socket cookie ({@code SO_COOKIE}) is the kernel's own identity for it, which a later socket reusing
 * the same 4-tuple never shares.
 */
public interface SocketRecord {

  /** The driver that opened the socket, for example {@code postgresql} or {@code mysql}. */
  String driver();

  /** Local address and port. */
  InetSocketAddress local();

  /** Remote (server) address and port. */
  InetSocketAddress remote();

  /** The kernel's socket cookie ({@code SO_COOKIE}), or 0 where native access is unavailable. */
  long cookie();

  /** When the socket connected. */
  Instant createdAt();

  /** The settings the socket was tuned with. */
  LifelineSettings settings();

  /** Requested and actual values, read from the kernel right after connect. */
  TuningReport tuning();

  /** Whether the socket has been closed. */
  boolean isClosed();

  /**
   * Reads every option from the kernel again, now. A driver may change options after connect (pgjdbc sets
   * SO_KEEPALIVE from its own {@code tcpKeepAlive}); this shows what the socket really carries.
   *
   * @return requested and actual values now
   * @throws IOException if the socket is closed, native access is unavailable or the kernel refuses a read
   */
  TuningReport readKernel() throws IOException;

  /**
   * The kernel's view of this socket now ({@code ss -tnoei}), by 4-tuple and cookie. It stays meaningful after the
   * kernel dropped the connection: the state is then {@link TcpState#GONE}.
   *
   * @return the state
   * @throws IOException if native access is unavailable or the kernel refuses the lookup
   */
  KernelState kernelState() throws IOException;
}
