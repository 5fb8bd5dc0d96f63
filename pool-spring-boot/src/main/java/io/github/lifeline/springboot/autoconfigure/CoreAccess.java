package io.github.lifeline.springboot.autoconfigure;

import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.EvictionEvent;
import io.github.lifeline.EvictionReason;
import io.github.lifeline.Lifeline;
import io.github.lifeline.LifelinePool;
import io.github.lifeline.LifelineSettings;
import io.github.lifeline.socket.KernelState;
import io.github.lifeline.socket.OptionValue;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.socket.TcpTimer;
import io.github.lifeline.socket.TuningReport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Everything this module reads from Lifeline's core, in one place: installing on a pool, the core's view of a pool
 * ({@link LifelinePool}), eviction events, and the kernel's view of a socket, turned into the plain records and maps
 * the meters, the endpoint and the health contributor show.
 */
final class CoreAccess {

  private CoreAccess() {
  }

  /** One eviction, as the meters need it. */
  record Eviction(String pool, String reason, String state, InetSocketAddress local, InetSocketAddress remote,
      long verdictNanos, Duration lagAfterVerdict) {
  }

  /** What the core knows of one guarded pool now. */
  record PoolView(int watched, int mismatched, List<SocketRecord> sockets, Optional<String> monitoringProblem,
      Map<String, Long> evictions) {
  }

  /** Whether Lifeline is already installed on the pool (by the application itself, or a LifelineDataSource). */
  static boolean installed(HikariDataSource ds) {
    return Lifeline.pool(ds).isPresent();
  }

  /**
   * Installs Lifeline on a pool that has not started.
   *
   * @throws io.github.lifeline.LifelineConfigException if no driver module matches or a data source property
   *     conflicts; the pool is left unchanged then
   */
  static void install(HikariDataSource ds, LifelineSettings settings, Consumer<Eviction> events) {
    Lifeline.install(ds, settings, e -> events.accept(eviction(e)));
  }

  static Eviction eviction(EvictionEvent e) {
    return new Eviction(e.pool(), reasonTag(e.reason()), e.state().name(), e.local(), e.remote(), e.verdictNanos(),
        e.lagAfterVerdict());
  }

  /** A reason as a tag value: lower case, words joined by '-' ({@code peer-closed}, {@code host-down}). */
  static String reasonTag(EvictionReason reason) {
    return reason.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Every reason the core reports, as tag values, so that every counter exists from the start. */
  static List<String> reasons() {
    List<String> out = new ArrayList<>();
    for (EvictionReason r : EvictionReason.values()) {
      out.add(reasonTag(r));
    }
    return out;
  }

  /** The core's view of a pool Lifeline guards, or empty when it guards none. */
  static Optional<PoolView> view(HikariDataSource ds) {
    return Lifeline.pool(ds).map(CoreAccess::view);
  }

  private static PoolView view(LifelinePool p) {
    Map<String, Long> evictions = new LinkedHashMap<>();
    for (EvictionReason r : EvictionReason.values()) {
      evictions.put(reasonTag(r), p.evictionCounts().getOrDefault(r, 0L));
    }
    return new PoolView(p.watchedCount(), p.mismatchedCount(), p.sockets(), p.monitoringProblem(), evictions);
  }

  /**
   * One connection as {@code ss -tnoe} shows it, beside the options read back from the kernel and the settings in
   * force. Nothing in it can carry a credential: addresses, kernel counters and option values only.
   */
  static Map<String, Object> socket(SocketRecord r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("local", address(r.local()));
    m.put("remote", address(r.remote()));
    m.put("driver", r.driver());
    m.put("connectedAt", r.createdAt().toString());
    try {
      KernelState k = r.kernelState();
      m.put("state", k.state().name());
      Map<String, Object> timer = new LinkedHashMap<>();
      timer.put("name", k.timer().name().toLowerCase(Locale.ROOT));
      if (k.timer() != TcpTimer.OFF) {
        timer.put("expiresMillis", k.timerMillis());
      }
      m.put("timer", timer);
      m.put("probes", k.probes());
      m.put("retransmits", k.retransmits());
      m.put("totalRetransmits", k.totalRetrans());
      m.put("unacked", k.unacked());
      m.put("rttMillis", k.rttMicros() / 1000.0);
      m.put("rttVarMillis", k.rttVarMicros() / 1000.0);
      m.put("lastSendMillis", k.lastDataSentMillis());
      m.put("lastReceiveMillis", k.lastDataRecvMillis());
      m.put("lastAckMillis", k.lastAckRecvMillis());
      m.put("ss", k.toString());
    } catch (IOException | RuntimeException e) {
      m.put("state", "UNKNOWN");
      m.put("kernelError", String.valueOf(e.getMessage()));
    }
    TuningReport now;
    try {
      now = r.readKernel();
    } catch (IOException | RuntimeException e) {
      now = r.tuning();
      m.put("readBackError", String.valueOf(e.getMessage()));
    }
    m.put("options", options(now));
    m.put("optionsMatch", now.allMatch());
    return m;
  }

  private static Map<String, Object> options(TuningReport report) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (OptionValue v : report.values()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("requested", v.requested());
      o.put("actual", v.actual());
      o.put("unit", v.option().unit());
      if (v.unavailable() != null) {
        o.put("unavailable", v.unavailable());
      }
      m.put(v.option().name(), o);
    }
    return m;
  }

  static String address(InetSocketAddress a) {
    return a == null ? null : a.getAddress().getHostAddress() + ":" + a.getPort();
  }
}
