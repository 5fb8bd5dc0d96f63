package io.github.lifeline.benchmarks;

/**
 * 64 bytes of padding before {@link BorrowBenchmark}'s own fields, which every benchmark thread reads on every
 * operation ({@code ds}). JMH pads the fields it adds to a state object, not the user's (its sample
 * {@code JMHSample_22_FalseSharing} pads them by hand): without this the first user fields share a cache line with the
 * object header and with whatever object the garbage collector put just before the state object. Should that be an
 * object another thread writes on every borrow (a pool entry, a driver lock), every operation of every thread misses
 * the cache. Measured, 2026-12-01, {@code threads04}, single forks alternating the two pools (benchmarks/README.md):
 * without the padding {@code LifelineDataSource}'s forks ran 0.67-0.99 of the plain pool's next to them (10 forks in
 * one run: 0.86 of plain), with it 0.92-1.12 (mean 1.016); in full runs at 4 threads 0.815 without it, 0.919 with
 * it. Why the unpadded layout hurt Lifeline's forks more often: {@code LifelineDataSource}'s own fields sat beside
 * the pool entries in use, fixed since ({@link BorrowLayout} shows it). {@code p00} fills the 4 bytes after a
 * compressed object header, where HotSpot would otherwise put a small field of the subclass
 * ({@code UseEmptySlotsInSupers}).
 */
abstract class BorrowBenchmarkPad {
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
