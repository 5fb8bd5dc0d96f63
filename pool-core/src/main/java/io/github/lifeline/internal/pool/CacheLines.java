package io.github.lifeline.internal.pool;

import java.sql.Connection;

/**
 * The memory layout of {@link GuardedConnection} and {@link HostState}: the fields every borrow reads ({@link Hot},
 * {@link HostHot}) sit between 64 bytes of padding on each side, so that no other object's field shares their cache
 * line. HikariCP allocates a connection's
 * pool entry right beside it, and changes the entry's state with a CAS on every borrow and return; without the
 * padding, a borrow reading one connection's state could share a cache line with another thread's CAS on another
 * entry, depending on where the allocator happened to put them: measured, some JVM runs of the borrow benchmark were
 * then 20-40 % slower than others. HotSpot lays out a superclass's fields before its subclass's, hence the chain of
 * classes (the technique of the LMAX Disruptor's sequences); {@code @Contended} would need a JVM flag. HotSpot also
 * puts a subclass's small field into a gap of its superclass ({@code UseEmptySlotsInSupers}, on by default since JDK
 * 15): without {@code p00} the connection's {@code state} and the server's {@code settling} sat in the 4 bytes right
 * after the object header, before the padding (offset 12, measured), beside whatever object came before them in
 * memory; {@code CacheLinesTest} checks the layout.
 */
final class CacheLines {

  private CacheLines() {
  }

  /** Padding before the hot fields. */
  abstract static class ConnectionPadBefore {
    /** Fills the gap after a compressed object header, where HotSpot would otherwise put a subclass's int. */
    int p00;
    long p01;
    long p02;
    long p03;
    long p04;
    long p05;
    long p06;
    long p07;
    long p08;
  }

  /** What a borrow reads. */
  abstract static class Hot extends ConnectionPadBefore {
    /**
     * Where every JDBC call goes: the driver's connection, or, for the rest of one borrow, the fresh connection that
     * stands in for it ({@link GuardedConnection#standIn}). Written by the borrowing thread only.
     */
    volatile Connection delegate;
    /**
     * Set when HikariCP takes the connection back ({@code clearWarnings}): the next JDBC call is the first of a borrow
     * and looks at the kernel's pending verdicts first ({@link BorrowGate#firstUse}). Owner thread only.
     */
    boolean fresh;
    /** The connection's server, shared by every pool of the JVM, or {@code null} when unwatched. */
    final HostState host;
    /** The server's host-event count when the connection was made. */
    final long hostEpoch;
    /** The server's settle-window count when the connection was made. */
    final long hostWindow;
    /** {@link GuardedConnection#ALIVE} and so on; written by the monitor thread and by the owner's close. */
    volatile int state;
    /** A HikariCP proxy of this connection from a borrow through {@code LifelineDataSource}: its pool entry. */
    Connection proxy;

    Hot(Connection delegate, HostState host) {
      this.delegate = delegate;
      this.host = host;
      this.hostEpoch = host == null ? 0 : host.epoch();
      this.hostWindow = host == null ? 0 : host.window();
    }
  }

  /** Padding after the hot fields. */
  abstract static class ConnectionPadAfter extends Hot {
    long q01;
    long q02;
    long q03;
    long q04;
    long q05;
    long q06;
    long q07;
    long q08;

    ConnectionPadAfter(Connection delegate, HostState host) {
      super(delegate, host);
    }
  }

  /** Padding before the server's hot fields. */
  abstract static class HostPadBefore {
    /** Fills the gap after a compressed object header, where HotSpot would otherwise put a subclass's boolean. */
    int p00;
    long p01;
    long p02;
    long p03;
    long p04;
    long p05;
    long p06;
    long p07;
    long p08;
  }

  /** What a borrow reads of the server's state ({@link HostState}); only the monitor thread writes them. */
  abstract static class HostHot extends HostPadBefore {
    volatile long epoch;
    volatile long window;
    volatile boolean settling;
  }

  /** Padding after the server's hot fields. */
  abstract static class HostPadAfter extends HostHot {
    long q01;
    long q02;
    long q03;
    long q04;
    long q05;
    long q06;
    long q07;
    long q08;
  }
}
