package io.github.lifeline.internal.pool;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Lifeline's second (and last) thread, {@code lifeline-events}: eviction listeners and eviction logs run here, one at
 * a time, off the monitor thread, so that a slow listener or log appender never delays detection. The thread exists
 * only while there are events: it ends after 30 s without any.
 */
final class Events {

  private static final ThreadPoolExecutor EXECUTOR = new ThreadPoolExecutor(0, 1, 30, TimeUnit.SECONDS,
      new LinkedBlockingQueue<>(), r -> {
        Thread t = new Thread(r, "lifeline-events");
        t.setDaemon(true);
        return t;
      });

  private Events() {
  }

  static void submit(Runnable task) {
    EXECUTOR.execute(task);
  }
}
