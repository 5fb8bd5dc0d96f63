package io.github.lifeline.internal.linux;

import java.util.concurrent.Callable;
import java.util.function.Predicate;

/** Polls a value until it satisfies a condition (kernel state changes on loopback take micro- to milliseconds). */
final class Await {

  private Await() {
  }

  static <T> T until(Callable<T> value, Predicate<T> condition) throws Exception {
    long deadline = System.nanoTime() + 3_000_000_000L;
    T v = value.call();
    while (!condition.test(v) && System.nanoTime() < deadline) {
      Thread.sleep(5);
      v = value.call();
    }
    return v;
  }
}
