package io.github.lifeline.it.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lifeline.internal.monitor.SocketMonitor;

/** The JVM's shared monitor, for tests that count descriptors or threads. */
public final class SharedMonitor {

  private SharedMonitor() {
  }

  /**
   * Waits up to 5 s for the shared monitor to stop (it does once no socket is watched and no timer is pending) and
   * releases its epoll, eventfd and netlink descriptors.
   */
  public static void awaitIdle() throws InterruptedException {
    for (int i = 0; i < 500 && SocketMonitor.get().isRunning(); i++) {
      Thread.sleep(10);
    }
    assertThat(SocketMonitor.get().isRunning()).as("the shared monitor is idle").isFalse();
  }
}
