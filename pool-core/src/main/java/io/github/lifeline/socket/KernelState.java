package io.github.lifeline.socket;

import io.github.lifeline.internal.linux.DiagResult;
import io.github.lifeline.internal.linux.SockDiag;
import java.io.IOException;
import io.github.lifeline.internal.linux.TcpState;
import java.util.Optional;

/**
 * The kernel's state of one tuned socket, looked up by 4-tuple and cookie through sock_diag: no file descriptor, so
 * it can be asked from any thread while the owner is blocked in a read.
 *
 * @param tcpState the TCP state name ({@code ESTABLISHED}, {@code CLOSE_WAIT}, ...) or {@link #GONE} when the kernel
 *     holds no socket with this 4-tuple and cookie (closed by keepalive, user timeout or reset)
 * @param probes unanswered keepalive (or zero-window) probes
 * @param retransmits retransmissions of unacknowledged data
 */
public record KernelState(String tcpState, int probes, int retransmits) {

  /** The state name when the kernel no longer has the socket. */
  public static final String GONE = "GONE";

  /**
   * Looks a socket up through a caller-owned sock_diag channel (for monitors that keep their own).
   *
   * @param diag the channel
   * @param record the socket
   * @return its state now
   */
  public static KernelState lookup(SockDiag diag, SocketRecord record) throws IOException {
    return of(diag.lookup(record.local(), record.remote(), record.cookie()));
  }

  static KernelState of(Optional<DiagResult> diag) {
    return diag.map(d -> new KernelState(d.state().name(), d.probes(), d.retransmits()))
        .orElseGet(() -> new KernelState(GONE, 0, 0));
  }

  /** Whether the connection is established. */
  public boolean established() {
    return TcpState.ESTABLISHED.name().equals(tcpState);
  }

  /** The liveness this state implies. */
  public Liveness liveness() {
    if (!established()) {
      return Liveness.DEAD;
    }
    return probes > 0 || retransmits > 0 ? Liveness.SUSPECT : Liveness.ALIVE;
  }
}
