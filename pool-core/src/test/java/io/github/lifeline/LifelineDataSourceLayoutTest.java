package io.github.lifeline;

import io.github.lifeline.internal.pool.FieldLayout;
import org.junit.jupiter.api.Test;

/**
 * The fields {@link LifelineDataSource#getConnection()} reads on every borrow share no cache line with another object,
 * in the layout this JVM gives them. Every thread of a service reads them; had they a neighbour that a borrow writes
 * (HikariCP's pool entry changes its state with a CAS on each borrow and return), every borrow of every other thread
 * would wait for that line. Measured (benchmarks README, "Where the borrow gap was"): the garbage collector copied the
 * data source right in front of the pool entries the benchmark's threads used.
 */
class LifelineDataSourceLayoutTest {

  @Test
  void whatEveryBorrowReadsSharesNoCacheLine() throws Exception {
    FieldLayout.assertAlone(LifelineDataSource.class, "pool", "gate");
  }
}
