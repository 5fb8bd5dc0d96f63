package io.github.lifeline.internal.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Issue 7 point 3: no descriptor is used after close. */
class EpollTest {

  /** Fails on the old code: wakeUp() after close() wrote 8 bytes into the file that got the eventfd's number. */
  @Test
  void callsAfterCloseTouchNoOtherFile() throws Exception {
    Epoll e = Epoll.open();
    e.close();
    assertThat(e.isClosed()).isTrue();
    List<Pipe> pipes = takeLowestDescriptors();
    try {
      e.wakeUp();
      assertThat(e.add(pipes.get(0).sink().hashCode() & 0, 7)).isFalse(); // a no-op, whatever the number
      e.remove(0);
      assertThat(e.await(Epoll.newBuffer(4), 0, (t, ev) -> { })).isEqualTo(-1);
      e.close();
      assertThat(strayBytes(pipes)).as("bytes written into other files after close").isZero();
    } finally {
      closeAll(pipes);
    }
  }

  /**
   * Many threads add, remove and wake up while another closes the instance; then new files take the freed numbers
   * while the threads go on. Nothing reaches the new files, and the instance's descriptors are released exactly once.
   */
  @Test
  void closeUnderConcurrentUseReleasesOnceAndTouchesNothingAfter() throws Exception {
    for (int round = 0; round < 20; round++) {
      long before = epollDescriptors();
      Epoll e = Epoll.open();
      try (LoopbackPair p = LoopbackPair.open("127.0.0.1")) {
        int fd = p.clientFd();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(4);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          int kind = t;
          Thread th = new Thread(() -> {
            started.countDown();
            long token = 1;
            while (!stop.get()) {
              try {
                switch (kind) {
                  case 0: e.wakeUp(); break;
                  case 1: e.add(fd, token++); e.remove(fd); break;
                  case 2: e.await(Epoll.newBuffer(8), 1, (tk, ev) -> { }); break;
                  default: e.wakeUp(); e.remove(fd); break;
                }
              } catch (ErrnoException ex) {
                if (ex.errno() != LinuxConstants.EBADF && ex.errno() != 17 /* EEXIST */) {
                  failure.compareAndSet(null, ex);
                }
              } catch (Throwable ex) {
                failure.compareAndSet(null, ex);
              }
            }
          });
          th.start();
          threads.add(th);
        }
        started.await();
        Thread.sleep(2);
        e.close();
        List<Pipe> pipes = takeLowestDescriptors();
        try {
          Thread.sleep(5); // the threads keep calling into the closed instance
          stop.set(true);
          for (Thread th : threads) {
            th.join(5000);
          }
          assertThat(failure.get()).isNull();
          assertThat(strayBytes(pipes)).as("bytes written into files opened after close (round %d)", round).isZero();
        } finally {
          closeAll(pipes);
        }
      }
      assertThat(epollDescriptors()).as("epoll and eventfd descriptors after close (round %d)", round)
          .isLessThanOrEqualTo(before);
    }
  }

  private static List<Pipe> takeLowestDescriptors() throws IOException {
    List<Pipe> pipes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Pipe p = Pipe.open();
      p.source().configureBlocking(false);
      pipes.add(p);
    }
    return pipes;
  }

  private static int strayBytes(List<Pipe> pipes) throws IOException {
    int n = 0;
    for (Pipe p : pipes) {
      n += Math.max(0, p.source().read(ByteBuffer.allocate(64)));
    }
    return n;
  }

  private static void closeAll(List<Pipe> pipes) throws IOException {
    for (Pipe p : pipes) {
      p.source().close();
      p.sink().close();
    }
  }

  /** Descriptors of epoll instances and eventfds in this process. */
  private static long epollDescriptors() throws IOException {
    long n = 0;
    try (var dir = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
      for (Path p : dir) {
        try {
          String link = Files.readSymbolicLink(p).toString();
          if (link.equals("anon_inode:[eventpoll]") || link.equals("anon_inode:[eventfd]")) {
            n++;
          }
        } catch (IOException ignored) {
          // closed meanwhile
        }
      }
    }
    return n;
  }
}
