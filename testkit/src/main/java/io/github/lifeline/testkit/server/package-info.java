/**
 * Real PostgreSQL and MariaDB servers, run from binaries that Maven delivers, as direct child processes of the JVM:
 * no Docker, no package manager. Start one with {@link io.github.lifeline.testkit.server.PostgresServer#start()} or
 * {@link io.github.lifeline.testkit.server.MariaDbServer#start()}, drive faults through
 * {@link io.github.lifeline.testkit.server.DatabaseServer}, and close it. The binaries are unpacked once under the
 * directory named by the system property {@code lifeline.testkit.dir} (default {@code target/testkit}).
 */
package io.github.lifeline.testkit.server;
