package io.github.lifeline.internal.socket;

import io.github.lifeline.internal.linux.DiagResult;
import io.github.lifeline.internal.linux.LinuxSockets;
import io.github.lifeline.internal.linux.SockDiag;
import io.github.lifeline.socket.KernelState;
import io.github.lifeline.socket.SocketRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * On-demand lookups of sockets in the kernel (sock_diag, by 4-tuple and cookie). Each call opens its own netlink
 * channel and closes it before returning: nothing is left open between calls, and callers on different threads (pools,
 * an Actuator endpoint, a doctor) never wait for each other. A batch shares one channel. The monitor keeps a channel of
 * its own for its verdicts.
 */
public final class KernelLookup {

  private KernelLookup() {
  }

  /** The kernel's view of one socket now. */
  public static KernelState lookup(SocketRecord r) throws IOException {
    return lookupAll(List.of(r)).get(0);
  }

  /** The kernel's view of several sockets now, in order, through one netlink channel. */
  public static List<KernelState> lookupAll(List<? extends SocketRecord> records) throws IOException {
    if (!LinuxSockets.isAvailable()) {
      throw new IOException("Kernel lookup is unavailable: " + LinuxSockets.unavailableReason());
    }
    List<KernelState> out = new ArrayList<>(records.size());
    try (SockDiag diag = SockDiag.open()) {
      for (SocketRecord r : records) {
        out.add(lookup(diag, r));
      }
    }
    return out;
  }

  /** The kernel's view of one socket through a caller's channel. */
  public static KernelState lookup(SockDiag diag, SocketRecord r) throws IOException {
    return raw(diag, r).map(DiagResult::toKernelState).orElseGet(KernelState::gone);
  }

  /** The raw sock_diag answer for one socket through a caller's channel. */
  public static Optional<DiagResult> raw(SockDiag diag, SocketRecord r) throws IOException {
    long cookie = r instanceof TunedSocket ? ((TunedSocket) r).lookupCookie() : r.cookie() != 0 ? r.cookie() : -1;
    return diag.lookup(r.local(), r.remote(), cookie);
  }
}
