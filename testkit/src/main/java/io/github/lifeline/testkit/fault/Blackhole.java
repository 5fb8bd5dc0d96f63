package io.github.lifeline.testkit.fault;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A silent peer on loopback: every TCP packet to or from one port, on {@code lo}, is dropped on the kernel's input
 * hook, in both directions. No FIN, no RST, no ACK, no ICMP: established connections retransmit into silence and new
 * connects time out, as they would when a database host loses power or a NAT drops the mapping. Needs root and
 * nftables (see {@link RequiresFaultInjection}).
 *
 * <p>Each blackhole is its own nftables table, {@code inet lifeline_<jvm pid>_<counter>}, with one chain on hook
 * {@code input} at priority -10 and two rules, {@code iif lo tcp dport PORT drop} and {@code iif lo tcp sport PORT
 * drop}, loaded atomically with {@code nft -f -}. {@link #heal()} deletes the table. A JVM shutdown hook deletes
 * every table this JVM created and did not heal; the first blackhole of a JVM deletes the tables that dead JVMs left
 * behind ({@code lifeline_<pid>_*} whose pid is not a live process). Tables of live processes and tables with other
 * names are never touched.
 *
 * <pre>{@code
 * Blackhole silence = Blackhole.drop(port);
 * try {
 *   ...
 * } finally {
 *   silence.heal();
 * }
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class Blackhole implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Blackhole.class);

  /** {@code lifeline_<pid>_<counter>}: the names of the tables that this class creates, in any JVM. */
  static final Pattern TABLE_NAME = Pattern.compile("lifeline_(\\d+)_(\\d+)");
  private static final Pattern LISTED_TABLE = Pattern.compile("table inet (" + TABLE_NAME.pattern() + ")");

  private static final long PID = ProcessHandle.current().pid();
  private static final AtomicInteger COUNTER = new AtomicInteger();
  /** Tables created by this JVM and not yet deleted. */
  private static final Set<String> ACTIVE = ConcurrentHashMap.newKeySet();
  private static final Object INIT_LOCK = new Object();
  private static boolean initialized;

  private final int port;
  private final String table;
  private boolean active;

  private Blackhole(int port, String table) {
    this.port = port;
    this.table = table;
    this.active = true;
  }

  /**
   * Drops every TCP packet to or from {@code port} on loopback, both ways, until {@link #heal()}.
   *
   * @param port a TCP port, 1 to 65535
   * @return the blackhole, in force; heal it in a {@code finally}
   * @throws IllegalStateException if nft fails; the message names the command and its stderr
   */
  public static Blackhole drop(int port) {
    return install(port, rules(port, ""), "blackhole on port " + port);
  }

  /**
   * A lossy path instead of a silent one: each TCP packet to or from {@code port} on loopback is dropped with
   * probability {@code percent} %, independently, both ways ({@code numgen random mod 100 < percent}), until
   * {@link #heal()}. Retransmissions then happen on live connections all the time, as on a bad network.
   *
   * @param port a TCP port, 1 to 65535
   * @param percent 1 to 99
   * @return the fault, in force; heal it in a {@code finally}
   */
  public static Blackhole lossy(int port, int percent) {
    if (percent < 1 || percent > 99) {
      throw new IllegalArgumentException("not a loss percentage: " + percent);
    }
    return install(port, rules(port, "numgen random mod 100 < " + percent + " "),
        "lossy path (" + percent + " % each way) on port " + port);
  }

  /**
   * Drops the packets of existing connections only: every TCP packet between server port {@code port} and one of
   * {@code clientPorts} on loopback, both ways, until {@link #heal()}. New connections (from other client ports) get
   * through. This is what a NAT or a load balancer does when it forgets the mappings of idle connections: those go
   * silent, while the server itself stays reachable.
   *
   * @param port the server's TCP port
   * @param clientPorts the local ports of the connections to silence; not empty
   * @return the blackhole, in force; heal it in a {@code finally}
   * @throws IllegalStateException if nft fails; the message names the command and its stderr
   */
  public static Blackhole dropConnections(int port, Collection<Integer> clientPorts) {
    checkPort(port);
    if (clientPorts.isEmpty()) {
      throw new IllegalArgumentException("no client port to silence");
    }
    clientPorts.forEach(Blackhole::checkPort);
    String set = clientPorts.stream().distinct().sorted().map(String::valueOf)
        .collect(Collectors.joining(", ", "{ ", " }"));
    return install(port, "    iif lo tcp dport " + port + " tcp sport " + set + " drop\n"
        + "    iif lo tcp sport " + port + " tcp dport " + set + " drop\n",
        "blackhole on port " + port + " to client ports " + set);
  }

  private static String rules(int port, String condition) {
    checkPort(port);
    return "    iif lo tcp dport " + port + " " + condition + "drop\n"
        + "    iif lo tcp sport " + port + " " + condition + "drop\n";
  }

  private static void checkPort(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("not a TCP port: " + port);
    }
  }

  private static Blackhole install(int port, String rules, String what) {
    initOnce();
    String table = "lifeline_" + PID + "_" + COUNTER.incrementAndGet();
    String ruleset = "table inet " + table + " {\n"
        + "  chain in {\n"
        + "    type filter hook input priority -10; policy accept;\n"
        + rules
        + "  }\n"
        + "}\n";
    ACTIVE.add(table);
    try {
      Nft.run(ruleset, "-f", "-");
    } catch (RuntimeException e) {
      ACTIVE.remove(table);
      throw e;
    }
    LOG.info("{}: table inet {}", what, table);
    return new Blackhole(port, table);
  }

  /** @return the port whose traffic is dropped */
  public int port() {
    return port;
  }

  /** @return the name of the nftables table, in family {@code inet} */
  public String table() {
    return table;
  }

  /** @return whether the packets are still being dropped, i.e. {@link #heal()} has not run */
  public synchronized boolean isActive() {
    return active;
  }

  /**
   * Deletes the table: packets flow again, and connections whose retransmissions are still running recover.
   * Idempotent; a table that someone else already deleted counts as healed.
   *
   * @throws IllegalStateException if nft fails; the message names the command and its stderr
   */
  public synchronized void heal() {
    if (!active) {
      return;
    }
    deleteTable(table);
    active = false;
    LOG.info("blackhole on port {} healed: table inet {} deleted", port, table);
  }

  /** Same as {@link #heal()}. */
  @Override
  public void close() {
    heal();
  }

  @Override
  public String toString() {
    return "Blackhole[port " + port + ", table inet " + table + (isActive() ? "" : ", healed") + "]";
  }

  /**
   * Lists the tables of this JVM that exist in the kernel right now, whatever this class believes.
   *
   * @return the table names, e.g. {@code lifeline_4711_3}; empty when all are healed
   * @throws IllegalStateException if {@code nft list tables} fails
   */
  public static List<String> tablesOfThisJvm() {
    List<String> result = new ArrayList<>();
    for (String table : listedTables()) {
      Matcher matcher = TABLE_NAME.matcher(table);
      if (matcher.matches() && Long.parseLong(matcher.group(1)) == PID) {
        result.add(table);
      }
    }
    return result;
  }

  /**
   * Deletes the tables of dead JVMs: {@code lifeline_<pid>_*} in family {@code inet} whose pid is not a live
   * process. Runs once per JVM, before its first blackhole; callable again.
   *
   * @return the names of the deleted tables
   */
  static List<String> sweepStale() {
    List<String> deleted = new ArrayList<>();
    for (String table : listedTables()) {
      Matcher matcher = TABLE_NAME.matcher(table);
      if (!matcher.matches()) {
        continue;
      }
      long pid = Long.parseLong(matcher.group(1));
      if (pid == PID || isLive(pid)) {
        continue;
      }
      deleteTable(table);
      deleted.add(table);
    }
    if (!deleted.isEmpty()) {
      LOG.warn("deleted nftables tables left behind by dead JVMs: {}", deleted);
    }
    return deleted;
  }

  /** @return the names of all tables of family {@code inet} that look like ours, from {@code nft list tables} */
  private static List<String> listedTables() {
    List<String> result = new ArrayList<>();
    for (String line : Nft.run(null, "list", "tables").split("\n")) {
      Matcher matcher = LISTED_TABLE.matcher(line.strip());
      if (matcher.matches()) {
        result.add(matcher.group(1));
      }
    }
    return result;
  }

  /** A pid that exists in {@code /proc} is live, even as a zombie or when reused by another program. */
  private static boolean isLive(long pid) {
    return Files.exists(Path.of("/proc", Long.toString(pid)));
  }

  /** Deletes a table; one that is already gone is not an error. */
  private static void deleteTable(String table) {
    Nft.Result result = Nft.exec(null, "delete", "table", "inet", table);
    if (!result.ok() && !result.stderr().contains("No such file or directory")) {
      throw new IllegalStateException(result.describe());
    }
    ACTIVE.remove(table);
  }

  private static void initOnce() {
    synchronized (INIT_LOCK) {
      if (initialized) {
        return;
      }
      Runtime.getRuntime().addShutdownHook(new Thread(Blackhole::deleteAllOnExit, "lifeline-blackhole-reaper"));
      initialized = true;
      try {
        sweepStale();
      } catch (RuntimeException e) {
        LOG.warn("cannot sweep stale blackhole tables", e);
      }
    }
  }

  /** Shutdown hook: no locks, just make sure that no table of this JVM outlives it. */
  private static void deleteAllOnExit() {
    for (String table : List.copyOf(ACTIVE)) {
      try {
        deleteTable(table);
        LOG.warn("table inet {} still in force at JVM exit: deleted", table);
      } catch (RuntimeException e) {
        LOG.error("cannot delete table inet {} at JVM exit", table, e);
      }
    }
  }
}
