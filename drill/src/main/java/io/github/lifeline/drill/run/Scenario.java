package io.github.lifeline.drill.run;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The faults the drill runs, each for both drivers. */
public enum Scenario {
  /** A clean restart: fast shutdown, then start on the same port. */
  RESTART("restart", false, true, Death.KERNEL,
      "clean restart of the server (fast shutdown, start on the same port) under load"),
  /** SIGKILL, then start. */
  CRASH("crash", false, true, Death.KERNEL, "the server is killed (SIGKILL) and started again under load"),
  /** The pool's connections go silent; new ones get through. */
  BLACKHOLE_IDLE("blackhole-idle", true, true, Death.FAULT,
      "every packet of the pool's existing connections is dropped, both ways, as when a NAT or load balancer "
          + "forgets idle mappings; new connections get through"),
  /** The same, with a statement in flight. */
  BLACKHOLE_INFLIGHT("blackhole-inflight", true, true, Death.FAULT,
      "the same, with a statement sent into the silence on a connection held by the caller"),
  /** SIGSTOP: a hung server. */
  FREEZE("freeze", false, false, Death.NONE,
      "the server is stopped (SIGSTOP) with a statement in flight: a hung server, not a dead peer; its kernel "
          + "still ACKs"),
  /** Silence, crash and start behind it, heal. */
  SILENT_FAILOVER("silent-failover", true, true, Death.FAULT,
      "the server's port goes silent, the server crashes and a new one starts behind the silence, then the path "
          + "heals: a failover whose old primary never said goodbye"),
  /** A healthy query longer than the user timeout. */
  LONG_QUERY("long-query", false, false, Death.NONE,
      "a healthy query that runs longer than the user timeout: it must not be cut");

  /** When the pool's connections count as dead. */
  enum Death {
    /** At their own kernel verdict (FIN, reset): the server said goodbye. */
    KERNEL,
    /** At the fault: the path went silent, whatever the kernel knows. */
    FAULT,
    /** Never: the server is alive (hung or busy). */
    NONE
  }

  private final String id;
  private final boolean needsFaultInjection;
  private final boolean quick;
  private final Death death;
  private final String description;

  Scenario(String id, boolean needsFaultInjection, boolean quick, Death death, String description) {
    this.id = id;
    this.needsFaultInjection = needsFaultInjection;
    this.quick = quick;
    this.death = death;
    this.description = description;
  }

  /** The name on the command line and in the report, e.g. {@code blackhole-idle}. */
  public String id() {
    return id;
  }

  /** Whether it needs nftables (root). */
  public boolean needsFaultInjection() {
    return needsFaultInjection;
  }

  /** Whether {@code --quick} runs it. */
  public boolean quick() {
    return quick;
  }

  Death death() {
    return death;
  }

  /** One sentence: what the fault is. */
  public String description() {
    return description;
  }

  /** Whether a statement is held in flight at the fault (the caller of {@code callerBlockedSeconds}). */
  public boolean hasHeldCaller() {
    return this == BLACKHOLE_INFLIGHT || this == FREEZE || this == LONG_QUERY;
  }

  /**
   * The scenario named {@code id}.
   *
   * @throws IllegalArgumentException naming the valid ids
   */
  public static Scenario of(String id) {
    for (Scenario s : values()) {
      if (s.id.equals(id.strip().toLowerCase(Locale.ROOT))) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown scenario '" + id + "'; valid: "
        + Arrays.stream(values()).map(Scenario::id).collect(Collectors.joining(", ")));
  }
}
