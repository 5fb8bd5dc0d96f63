package io.github.lifeline.drill.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lifeline.drill.report.SideResult;
import io.github.lifeline.testkit.Borrower.Result;
import io.github.lifeline.testkit.Borrower.Sample;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The judgement of one pool, on observations made up to the millisecond. */
class JudgeTest {

  private static final long F = 1_000_000_000_000L; // the fault
  private static final long MS = 1_000_000L;

  private static Sample ok(long startMs, long endMs, int port) {
    return new Sample(F + startMs * MS, F + endMs * MS, port, Result.OK, null, F + startMs * MS + MS / 10);
  }

  private static Sample failed(long startMs, long endMs, int port) {
    return new Sample(F + startMs * MS, F + endMs * MS, port, Result.STATEMENT_FAILED, "57P01",
        F + startMs * MS + MS / 10);
  }

  private static Sample noConnection(long startMs, long endMs) {
    return new Sample(F + startMs * MS, F + endMs * MS, -1, Result.BORROW_FAILED, "08001", -1);
  }

  private static Observed.Conn conn(int port, Long verdictMs, Long closedMs) {
    return conn(port, verdictMs, closedMs, null);
  }

  private static Observed.Conn conn(int port, Long verdictMs, Long closedMs, Long lifelineMs) {
    return new Observed.Conn(port, true, F - 1000 * MS, verdictMs == null ? null : F + verdictMs * MS,
        verdictMs == null ? null : "CLOSE_WAIT", closedMs == null ? null : F + closedMs * MS,
        lifelineMs == null ? null : F + lifelineMs * MS);
  }

  private static Observed.PoolSample pool(long ms, int total) {
    return new Observed.PoolSample(F + ms * MS, total, 0, total, 0);
  }

  @Test
  void restartJudgesEachFailureByItsOwnConnectionsVerdict() {
    Observed.Window w = new Observed.Window(Scenario.RESTART, 2, F - 700 * MS, F, F + 2000 * MS, F + 30 * MS, null);
    Observed.Side side = new Observed.Side("p",
        List.of(conn(1001, 10L, 15L, 11L), conn(1002, 12L, 40L)),
        List.of(ok(-20, -19, 1001),
            failed(-5, 11, 1001),      // handed out before 1001's verdict at +10: in flight
            failed(20, 21, 1002),      // handed out at +20.1, after 1002's verdict at +12: failed
            noConnection(25, 30),      // no connection at all: failed
            failed(60, 61, 4242),      // a socket the drill never saw: no verdict explains it, failed
            ok(50, 51, 3000)),
        -1, null,
        List.of(pool(-10, 2), pool(20, 2), pool(45, 0), pool(70, 1), pool(80, 2), pool(90, 2)), null);
    SideResult r = Judge.judge(w, side);
    assertThat(r.inflightFailures()).isEqualTo(1);
    assertThat(r.failedBorrows()).isEqualTo(3);
    assertThat(r.deadInPoolSeconds()).as("until 1002 was closed").isEqualTo(0.040);
    assertThat(r.kernelVerdictSeconds()).isEqualTo(0.010);
    assertThat(r.worstBorrowMs()).isEqualTo(16.0);
    assertThat(r.callerBlockedSeconds()).as("the borrower's longest borrow").isEqualTo(0.016);
    assertThat(r.refillMs()).as("from reachable (+30) to two live connections (+80)").isEqualTo(50.0);
    assertThat(r.capped()).isFalse();
    assertThat(r.cappedFields()).isEmpty();
    assertThat(r.borrows()).isEqualTo(6);
    assertThat(r.timeline().borrows()).extracting(b -> (int) b[2]).containsExactly(0, 2, 1, 1, 1, 0);
    assertThat(r.timeline().borrows().get(1)[4]).as("hand-out, ms after the start").isEqualTo(0.1);
    assertThat(r.timeline().connections()).extracting(SideResult.Connection::port).containsExactly(1001, 1002);
    assertThat(r.timeline().connections().get(0).verdict()).isEqualTo(0.010);
    assertThat(r.timeline().connections()).extracting(SideResult.Connection::lifeline).as("Lifeline's own verdict")
        .containsExactly(0.011, null);
    assertThat(r.timeline().verdicts()).extracting(v -> v[1]).containsExactly(1001.0, 1002.0);
    // the pool over time: [t, total, alive, dead, evicted, waiting], on change, closed at the window's end
    assertThat(r.timeline().pool().get(0)).containsExactly(-0.01, 2, 2, 0, 0, 0);
    assertThat(r.timeline().pool().get(1)).containsExactly(0.02, 2, 1, 1, 1, 0);
    assertThat(r.timeline().pool().get(r.timeline().pool().size() - 1)[0]).isEqualTo(2.0);
  }

  @Test
  void aConnectionHandedOutAtItsVerdictIsNotInFlight() {
    Observed.Window w = new Observed.Window(Scenario.CRASH, 1, F - 700 * MS, F, F + 1000 * MS, null, null);
    Sample handedAfter = new Sample(F, F + 2 * MS, 1001, Result.STATEMENT_FAILED, "08006", F + 10 * MS);
    Sample handedBefore = new Sample(F, F + 12 * MS, 1001, Result.STATEMENT_FAILED, "08006", F + 10 * MS - 1);
    Observed.Side after = new Observed.Side("p", List.of(conn(1001, 10L, 20L)), List.of(handedAfter), -1, null,
        List.of(), null);
    Observed.Side before = new Observed.Side("p", List.of(conn(1001, 10L, 20L)), List.of(handedBefore), -1, null,
        List.of(), null);
    assertThat(Judge.judge(w, after).failedBorrows()).isEqualTo(1);
    assertThat(Judge.judge(w, before).inflightFailures()).isEqualTo(1);
    assertThat(Judge.judge(w, before).failedBorrows()).isZero();
  }

  @Test
  void aFailureBeforeLifelinesFirstVerdictIsCountedAndMarked() {
    Observed.Window w = new Observed.Window(Scenario.CRASH, 1, F - 700 * MS, F, F + 1000 * MS, null, null);
    // The kernel's verdict at +10 ms; handed out at +11 ms, after it: a failed borrow either way.
    Sample early = new Sample(F + 11 * MS, F + 12 * MS, 1001, Result.STATEMENT_FAILED, "08006", F + 11 * MS);
    Observed.Side lateMonitor = new Observed.Side("lifeline", List.of(conn(1001, 10L, 20L)), List.of(early), -1,
        null, List.of(), F + 13 * MS);
    Observed.Side promptMonitor = new Observed.Side("lifeline", List.of(conn(1001, 10L, 20L)), List.of(early), -1,
        null, List.of(), F + 10 * MS);
    SideResult late = Judge.judge(w, lateMonitor);
    assertThat(late.failedBorrows()).isEqualTo(1);
    assertThat(late.failedBeforeLifelineKnew()).isEqualTo(1);
    assertThat(late.lifelineVerdictSeconds()).isEqualTo(0.013);
    SideResult prompt = Judge.judge(w, promptMonitor);
    assertThat(prompt.failedBorrows()).isEqualTo(1);
    assertThat(prompt.failedBeforeLifelineKnew()).isZero();
  }

  @Test
  void aBlackholeKillsFromTheFaultAndWhatIsStillBlockedIsALowerBound() {
    long end = F + 8000 * MS;
    Observed.Window w = new Observed.Window(Scenario.BLACKHOLE_IDLE, 2, F - 700 * MS, F, end, F, null);
    Sample blocked = new Sample(F + 5 * MS, end + 3000 * MS, 1001, Result.STATEMENT_FAILED, "08006", F + 5 * MS);
    Observed.Side stuck = new Observed.Side("stock", List.of(conn(1001, null, null), conn(1002, null, null)),
        List.of(ok(-15, -14, 1001), blocked), -1, null, List.of(pool(-10, 2), pool(100, 2)), null);
    SideResult r = Judge.judge(w, stuck);
    assertThat(r.failedBorrows()).as("a failure forced by the cleanup is not judged").isZero();
    assertThat(r.deadInPoolSeconds()).isEqualTo(8.0);
    assertThat(r.worstBorrowMs()).isEqualTo(7995.0);
    assertThat(r.callerBlockedSeconds()).isEqualTo(7.995);
    assertThat(r.refillMs()).isEqualTo(8000.0);
    assertThat(r.capped()).isTrue();
    assertThat(r.cappedFields()).containsExactlyInAnyOrder("deadInPoolSeconds", "worstBorrowMs",
        "callerBlockedSeconds", "refillMs");
    assertThat(r.kernelVerdictSeconds()).isNull();
    assertThat(r.timeline().borrows().get(1)[2]).isEqualTo(3.0);

    // Lifeline's side of the same fault: the kernel's verdict at +3 s, both closed at once, refilled at +3.2 s.
    Observed.Side guarded = new Observed.Side("lifeline",
        List.of(conn(1001, 3000L, 3001L), conn(1002, 3000L, 3002L)),
        List.of(ok(-15, -14, 1001), failed(5, 3400, 1001), ok(3500, 3501, 2001)), -1, null,
        List.of(pool(-10, 2), pool(3001, 1), pool(3003, 0), pool(3200, 2)), null);
    SideResult l = Judge.judge(w, guarded);
    assertThat(l.deadInPoolSeconds()).isEqualTo(3.002);
    assertThat(l.inflightFailures()).as("handed out at +5 ms, its own verdict at +3 s").isEqualTo(1);
    assertThat(l.failedBorrows()).isZero();
    assertThat(l.refillMs()).isEqualTo(3200.0);
    assertThat(l.capped()).isFalse();
  }

  @Test
  void aBorrowInProgressAtTheEndIsBlockedUpToTheEnd() {
    long end = F + 4000 * MS;
    Observed.Window w = new Observed.Window(Scenario.SILENT_FAILOVER, 1, F - 700 * MS, F, end, null, null);
    Observed.Side s = new Observed.Side("p", List.of(conn(1001, null, null)), List.of(ok(-5, -4, 1001)),
        F + 1000 * MS, null, List.of(), null);
    SideResult r = Judge.judge(w, s);
    assertThat(r.worstBorrowMs()).isEqualTo(3000.0);
    assertThat(r.cappedFields()).contains("worstBorrowMs", "callerBlockedSeconds");
    assertThat(r.refillMs()).as("never reachable within the window: does not apply").isNull();
  }

  @Test
  void theHeldStatementIsTheCaller() {
    long end = F + 6000 * MS;
    Observed.Window w = new Observed.Window(Scenario.FREEZE, 1, F - 700 * MS, F, end, null, F + 6000 * MS);
    Observed.Side blocked = new Observed.Side("p", List.of(conn(1001, null, null)), List.of(ok(-5, -4, 1001)), -1,
        new Observed.Held(F, -1, "blocked"), List.of(), null);
    SideResult r = Judge.judge(w, blocked);
    assertThat(r.callerBlockedSeconds()).isEqualTo(6.0);
    assertThat(r.heldCaller()).isEqualTo("blocked");
    assertThat(r.cappedFields()).contains("callerBlockedSeconds");
    assertThat(r.deadInPoolSeconds()).as("a hung server kills nothing").isNull();
    assertThat(r.timeline().held()).containsExactly(0.0, 6.0);

    Observed.Side failed = new Observed.Side("p", List.of(conn(1001, null, null)), List.of(), -1,
        new Observed.Held(F, F + 3420 * MS, "error 08006"), List.of(), null);
    SideResult f = Judge.judge(w, failed);
    assertThat(f.callerBlockedSeconds()).isEqualTo(3.42);
    assertThat(f.heldCaller()).isEqualTo("error 08006");
    assertThat(f.capped()).isFalse();
  }
}
