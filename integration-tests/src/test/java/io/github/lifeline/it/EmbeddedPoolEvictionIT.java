package io.github.lifeline.it;

import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.MariaDbServer;
import io.github.lifeline.testkit.server.PostgresServer;

/**
 * Detect and evict against PostgreSQL and MariaDB servers that the test JVM starts itself. Restart and crash run
 * everywhere; the blackhole scenarios are gated by {@code @RequiresFaultInjection} one by one.
 */
class EmbeddedPoolEvictionIT extends EvictionScenarios {

  @Override
  protected DatabaseServer startServer(Driver driver) {
    return driver == Driver.POSTGRESQL ? PostgresServer.start() : MariaDbServer.start();
  }
}
