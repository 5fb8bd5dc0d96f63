package io.github.lifeline.drill.run;

import io.github.lifeline.drill.report.SideResult;
import io.github.lifeline.testkit.Borrower;
import io.github.lifeline.testkit.Borrower.Result;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Turns what was observed of one pool into its numbers, by one rule for both pools and by the kernel's clock.
 *
 * <ul>
 *   <li>A connection is dead from its own kernel verdict (restart, crash), or from the fault itself when the fault
 *       silenced it (blackholes, failover), whatever the kernel knew then.</li>
 *   <li>A failed statement is counted apart, as in flight, only if its connection was handed out before that
 *       connection's own kernel verdict; otherwise it is a failed borrow, as is every borrow that got no connection.
 *       A failure that no verdict explains counts as failed.</li>
 *   <li>A borrow or statement still blocked at the end of the window counts up to the window's end, as a lower bound
 *       ({@code capped}); its later end, forced by the drill's cleanup, is not judged.</li>
 * </ul>
 */
public final class Judge {

  private Judge() {
  }

  /** Judges one pool. */
  public static SideResult judge(Observed.Window w, Observed.Side side) {
    List<String> capped = new ArrayList<>();
    long fault = w.faultNanos();
    long end = w.endNanos();

    // Dead connections and their eviction.
    List<Observed.Conn> pre = side.conns().stream().filter(Observed.Conn::preFault).toList();
    Double deadInPool = null;
    for (Observed.Conn c : pre) {
      Long dead = deadAt(w, c);
      if (dead == null) {
        continue;
      }
      double until = c.closedNanos() == null || c.closedNanos() > end ? seconds(end - fault)
          : seconds(Math.max(c.closedNanos(), fault) - fault);
      if (c.closedNanos() == null || c.closedNanos() > end) {
        add(capped, "deadInPoolSeconds");
      }
      deadInPool = deadInPool == null ? until : Math.max(deadInPool, until);
    }

    // Borrows.
    long failed = 0;
    long failedBeforeKnew = 0;
    Long knew = side.lifelineVerdictNanos();
    long inflight = 0;
    double worst = 0;
    long count = 0;
    boolean worstCapped = false;
    List<double[]> borrowPoints = new ArrayList<>();
    for (Borrower.Sample s : side.borrows()) {
      if (s.startNanos() >= end) {
        continue;
      }
      count++;
      boolean blockedAtEnd = s.endNanos() > end;
      double ms = ((blockedAtEnd ? end : s.endNanos()) - s.startNanos()) / 1e6;
      int code = 0;
      if (blockedAtEnd) {
        code = 3;
      } else if (s.result() == Result.BORROW_FAILED) {
        failed++;
        code = 1;
      } else if (s.result() == Result.STATEMENT_FAILED) {
        if (inFlightAtDeath(side, s)) {
          inflight++;
          code = 2;
        } else {
          failed++;
          code = 1;
        }
      }
      if (code == 1 && knew != null && s.startNanos() - knew < 0) {
        failedBeforeKnew++;
      }
      if ((blockedAtEnd ? end : s.endNanos()) >= fault) {
        if (ms > worst) {
          worst = ms;
          worstCapped = blockedAtEnd;
        } else if (ms == worst && blockedAtEnd) {
          worstCapped = true;
        }
      }
      borrowPoints.add(new double[] {seconds(s.startNanos() - fault), round(ms), code, s.localPort(),
          s.borrowedNanos() > 0 ? round((s.borrowedNanos() - s.startNanos()) / 1e6) : -1});
    }
    if (side.inProgressSince() > 0 && side.inProgressSince() < end) {
      double ms = (end - side.inProgressSince()) / 1e6;
      count++;
      borrowPoints.add(new double[] {seconds(side.inProgressSince() - fault), round(ms), 3, -1, -1});
      if (ms >= worst) {
        worst = ms;
        worstCapped = true;
      }
    }
    if (worstCapped) {
      add(capped, "worstBorrowMs");
    }

    // The caller: the statement in flight at the fault, else the borrower.
    Double callerBlocked;
    String heldOutcome = null;
    double[] heldSpan = new double[0];
    if (side.held() != null) {
      Observed.Held h = side.held();
      boolean blocked = h.endNanos() < 0 || h.endNanos() > end;
      callerBlocked = seconds((blocked ? end : h.endNanos()) - h.startNanos());
      heldOutcome = blocked ? "blocked" : h.outcome();
      heldSpan = new double[] {seconds(h.startNanos() - fault), seconds((blocked ? end : h.endNanos()) - fault)};
      if (blocked) {
        add(capped, "callerBlockedSeconds");
      }
    } else {
      callerBlocked = worst / 1000.0;
      if (worstCapped) {
        add(capped, "callerBlockedSeconds");
      }
    }

    // The pool over time, and the refill.
    List<double[]> poolPoints = new ArrayList<>();
    Double refill = null;
    boolean anyDead = pre.stream().anyMatch(c -> deadAt(w, c) != null);
    Long reachable = w.reachableNanos();
    double[] last = null;
    for (Observed.PoolSample p : side.poolSamples()) {
      if (p.nanos() > end) {
        break;
      }
      int dead = 0;
      int evicted = 0;
      for (Observed.Conn c : pre) {
        Long d = deadAt(w, c);
        boolean closed = c.closedNanos() != null && c.closedNanos() <= p.nanos();
        if (closed) {
          evicted++;
        } else if (d != null && d <= p.nanos()) {
          dead++;
        }
      }
      int alive = Math.max(0, p.total() - dead);
      double[] point = {seconds(p.nanos() - fault), p.total(), alive, dead, evicted, p.waiting()};
      if (last == null || last[1] != point[1] || last[2] != point[2] || last[3] != point[3] || last[4] != point[4]
          || last[5] != point[5]) {
        poolPoints.add(point);
        last = point;
      }
      if (refill == null && anyDead && reachable != null && p.nanos() >= reachable && dead == 0
          && alive >= w.poolSize() && allDeadClosedBy(w, pre, p.nanos())) {
        refill = (p.nanos() - reachable) / 1e6;
      }
    }
    if (last != null) {
      double[] close = last.clone();
      close[0] = seconds(end - fault);
      poolPoints.add(close);
    }
    if (refill == null && anyDead && reachable != null) {
      refill = Math.max(0, (end - reachable) / 1e6);
      add(capped, "refillMs");
    }

    // The kernel's verdicts.
    List<double[]> verdicts = new ArrayList<>();
    Double firstVerdict = null;
    for (Observed.Conn c : side.conns()) {
      if (c.verdictNanos() != null && c.verdictNanos() <= end) {
        double t = seconds(c.verdictNanos() - fault);
        verdicts.add(new double[] {t, c.port()});
        if (c.preFault() && c.verdictNanos() >= fault && (firstVerdict == null || t < firstVerdict)) {
          firstVerdict = t;
        }
      }
    }
    verdicts.sort(Comparator.comparingDouble(v -> v[0]));
    List<SideResult.Connection> connections = new ArrayList<>();
    for (Observed.Conn c : side.conns()) {
      connections.add(new SideResult.Connection(c.port(), c.preFault(),
          c.verdictNanos() == null ? null : seconds(c.verdictNanos() - fault), c.verdictState(),
          c.closedNanos() == null ? null : seconds(c.closedNanos() - fault),
          c.lifelineNanos() == null ? null : seconds(c.lifelineNanos() - fault)));
    }

    return new SideResult(side.pool(), round3(callerBlocked), round3(deadInPool), failed, inflight, round(worst),
        refill == null ? null : round(refill), !capped.isEmpty(), List.copyOf(capped), round3(firstVerdict),
        heldOutcome, count, new SideResult.Timeline(poolPoints, borrowPoints, verdicts, heldSpan, connections),
        knew == null ? null : round3(seconds(knew - fault)), failedBeforeKnew);
  }

  /** When a connection died, for this scenario, or {@code null} if it did not within the window. */
  static Long deadAt(Observed.Window w, Observed.Conn c) {
    switch (w.scenario().death()) {
      case FAULT:
        return c.preFault() ? w.faultNanos() : c.verdictNanos();
      case KERNEL:
        return c.verdictNanos() != null && c.verdictNanos() <= w.endNanos() ? c.verdictNanos() : null;
      default:
        return null;
    }
  }

  private static boolean allDeadClosedBy(Observed.Window w, List<Observed.Conn> pre, long nanos) {
    for (Observed.Conn c : pre) {
      Long d = deadAt(w, c);
      if (d != null && d <= nanos && (c.closedNanos() == null || c.closedNanos() > nanos)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether a failed statement's connection was handed out before that connection's own kernel verdict: then the
   * statement was in flight when the connection died. The connection is the last one seen on that local port before
   * the hand-out.
   */
  static boolean inFlightAtDeath(Observed.Side side, Borrower.Sample s) {
    if (s.localPort() <= 0 || s.borrowedNanos() <= 0) {
      return false;
    }
    Observed.Conn conn = null;
    for (Observed.Conn c : side.conns()) {
      if (c.port() == s.localPort() && c.firstSeenNanos() <= s.borrowedNanos()
          && (conn == null || c.firstSeenNanos() > conn.firstSeenNanos())) {
        conn = c;
      }
    }
    return conn != null && conn.verdictNanos() != null && s.borrowedNanos() < conn.verdictNanos();
  }

  private static void add(List<String> list, String field) {
    if (!list.contains(field)) {
      list.add(field);
    }
  }

  private static double seconds(long nanos) {
    return Math.round(nanos / 1e5) / 10000.0;
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private static Double round3(Double v) {
    return v == null ? null : Math.round(v * 1000) / 1000.0;
  }
}
