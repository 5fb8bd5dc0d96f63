/**
 * Real PostgreSQL and MariaDB servers for the integration tests, run from binaries that Maven delivers, as direct
 * child processes of the test JVM: no Docker, no package manager. Start one with {@link
 * io.github.lifeline.it.server.PostgresServer#start()} or {@link io.github.lifeline.it.server.MariaDbServer#start()},
 * drive faults through {@link io.github.lifeline.it.server.DatabaseServer}, and close it.
 */
package io.github.lifeline.it.server;
