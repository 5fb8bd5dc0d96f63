package io.github.lifeline.testkit.server;

import java.nio.file.Path;
import java.util.Properties;

/**
 * A real database server, run from binaries that Maven delivers, as a direct child process of the test JVM.
 *
 * <p>The server listens on {@code 127.0.0.1} only, on a port chosen once and kept for the life of the object, so
 * that a connection pool's URL survives {@link #restart()}, {@link #crash()} and a later {@link #start()}. Every
 * fault acts on exactly the processes of this server, by PID; a JVM shutdown hook kills whatever is still running
 * when the JVM exits.
 *
 * <p>Faults: {@link #stop()}/{@link #restart()} (clean shutdown: the clients see FIN), {@link #crash()} (SIGKILL:
 * FIN, or RST for unread data), {@link #blackhole()} (a silent peer: packets dropped both ways, needs root and
 * nftables) and {@link #freeze()} (a hung process whose kernel still ACKs). They combine: a server may be crashed
 * and started again while blackholed, which is a silent failover.
 *
 * <p>All methods are thread-safe. {@link #close()} never throws for a server that is already stopped or closed.
 *
 * @see PostgresServer
 * @see MariaDbServer
 */
public interface DatabaseServer extends AutoCloseable {

  /** The database product behind a {@link DatabaseServer}. */
  enum Kind {
    /** PostgreSQL, spoken to with pgjdbc. */
    POSTGRESQL,
    /** MariaDB, spoken to with MySQL Connector/J. */
    MARIADB
  }

  /** @return the database product */
  Kind kind();

  /** @return always {@code "127.0.0.1"} */
  String host();

  /** @return the TCP port; fixed for the life of this object */
  int port();

  /** @return the database that {@link #jdbcUrl()} names */
  String database();

  /** @return a user with all privileges */
  String user();

  /** @return the password of {@link #user()} */
  String password();

  /**
   * @return the driver URL with no parameters, e.g. {@code jdbc:postgresql://127.0.0.1:PORT/postgres} or
   *     {@code jdbc:mysql://127.0.0.1:PORT/test}
   */
  String jdbcUrl();

  /**
   * Driver properties that bound every connection attempt, so that a stopped or paused server can never hang the
   * build: user, password, and the driver's connect (and, for pgjdbc, login) timeout; for Connector/J also
   * {@code sslMode=DISABLED}. Socket read timeouts are deliberately not set. A fresh copy on each call.
   *
   * @return a new, mutable set of properties
   */
  Properties baseProperties();

  /**
   * @return the PID of the main server process (postmaster or mariadbd) currently running, or of the last one if
   *     the server is down
   * @throws IllegalStateException if the server was never started
   */
  long pid();

  /**
   * Starts the server if it is not running, and waits until it answers {@code select 1}. Does nothing if it is
   * already running. While {@linkplain #blackhole() blackholed} no client can reach it, so readiness is then read
   * from the server itself instead (its log, or a probe that does not cross the blackholed port), still bounded.
   *
   * @throws IllegalStateException if the server is closed, or does not become ready in time (the message holds
   *     the tail of {@link #logFile()})
   */
  void start();

  /** Stops the server cleanly and fast (resuming it first if paused) and waits for it to exit. */
  void stop();

  /** {@link #stop()} then {@link #start()}: same port, same data directory. */
  void restart();

  /**
   * Kills the main server process with SIGKILL and waits until no process of this server is left. The server stays
   * down until {@link #start()}.
   */
  void crash();

  /**
   * Sends SIGSTOP to the main server process and to all of its descendants (PostgreSQL backends), and returns once the
   * kernel has stopped them.
   */
  void pause();

  /** Sends SIGCONT to the processes that {@link #pause()} stopped, and to any current descendant. */
  void resume();

  /**
   * Freezes the whole server, as a hung host process would be: same as {@link #pause()}. The kernel still ACKs, so
   * neither keepalive nor {@code TCP_USER_TIMEOUT} detects it; only application-level timeouts do.
   */
  void freeze();

  /** Undoes {@link #freeze()}: same as {@link #resume()}. */
  void thaw();

  /**
   * Makes the server a silent peer: every TCP packet to or from {@link #port()} is dropped, both ways, with no FIN,
   * RST or ACK, until {@link #heal()}. Established connections retransmit into silence; new connects time out. The
   * server process itself keeps running and may be {@linkplain #crash() crashed} and {@linkplain #start()
   * started} meanwhile. Idempotent.
   *
   * @throws IllegalStateException if the firewall cannot be changed (not root, no nftables); the message says why
   */
  void blackhole();

  /** Undoes {@link #blackhole()}: packets flow again. Idempotent; does nothing if not blackholed. */
  void heal();

  /** @return whether {@link #blackhole()} is in force */
  boolean isBlackholed();

  /** @return whether the main server process is alive (paused counts as running) */
  boolean isRunning();

  /** @return the data directory of this server */
  Path dataDir();

  /** @return the file that receives the server's stdout and stderr; kept after {@link #close()} */
  Path logFile();

  /** Heals and thaws the server, stops it and deletes its data directory. Idempotent; never throws. */
  @Override
  void close();
}
