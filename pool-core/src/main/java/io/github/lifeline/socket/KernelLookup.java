package io.github.lifeline.socket;

import io.github.lifeline.internal.linux.LinuxSockets;
import io.github.lifeline.internal.linux.SockDiag;
import java.io.IOException;

/** One shared sock_diag channel for on-demand lookups ({@link SocketRecord#kernelState()}). */
final class KernelLookup {

  private static SockDiag diag;

  private KernelLookup() {
  }

  static synchronized KernelState lookup(SocketRecord r) throws IOException {
    if (!LinuxSockets.isAvailable()) {
      throw new IOException("Kernel lookup is unavailable: " + LinuxSockets.unavailableReason());
    }
    if (diag == null) {
      diag = SockDiag.open();
    }
    return KernelState.of(diag.lookup(r.local(), r.remote(), r.cookie()));
  }
}
