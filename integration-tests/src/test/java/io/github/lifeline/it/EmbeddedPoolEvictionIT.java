package io.github.lifeline.it;

import io.github.lifeline.it.fault.RequiresFaultInjection;
import io.github.lifeline.it.server.DatabaseServer;
import io.github.lifeline.it.server.MariaDbServer;
import io.github.lifeline.it.server.PostgresServer;
import io.github.lifeline.it.support.Driver;

/** Detect and evict against PostgreSQL and MariaDB servers that the test JVM starts itself. */
@RequiresFaultInjection
class EmbeddedPoolEvictionIT extends EvictionScenarios {

  @Override
  protected DatabaseServer startServer(Driver driver) {
    return driver == Driver.POSTGRESQL ? PostgresServer.start() : MariaDbServer.start();
  }
}
