package io.github.lifeline;

import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.internal.pool.BorrowGate;

/**
 * The memory layout of {@link LifelineDataSource}: the two fields every {@code getConnection()} reads ({@link Hot})
 * sit between 64 bytes of padding on each side, so that no other object shares their cache line. Every borrowing
 * thread reads them; a neighbour that a borrow writes would make every other thread's borrow wait for the line. It
 * happened: G1 copies the data source, its pool and the pool's entries one after another (it follows references), and
 * HikariCP changes an entry's state with a CAS on every borrow and return; the benchmark's threads use the first
 * entries, right behind the data source (benchmarks README, "Where the borrow gap was"). The same technique as the
 * connection's and the server's hot fields ({@code internal.pool.CacheLines}, which explains it);
 * {@code LifelineDataSourceLayoutTest} checks the layout.
 */
final class DataSourceLines {

  private DataSourceLines() {
  }

  /** Padding before the hot fields. */
  abstract static class PadBefore {
    /** Fills the gap after a compressed object header, where HotSpot would otherwise put a subclass's field. */
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
  abstract static class Hot extends PadBefore {
    /** The HikariCP pool. */
    final HikariDataSource pool;
    /** The borrow check; {@code null} when Lifeline is disabled. */
    final BorrowGate gate;

    Hot(HikariDataSource pool, BorrowGate gate) {
      this.pool = pool;
      this.gate = gate;
    }
  }

  /** Padding after the hot fields. */
  abstract static class PadAfter extends Hot {
    long q01;
    long q02;
    long q03;
    long q04;
    long q05;
    long q06;
    long q07;
    long q08;

    PadAfter(HikariDataSource pool, BorrowGate gate) {
      super(pool, gate);
    }
  }
}
