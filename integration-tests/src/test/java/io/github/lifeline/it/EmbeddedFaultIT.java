package io.github.lifeline.it;

import io.github.lifeline.it.fault.RequiresFaultInjection;
import io.github.lifeline.it.server.DatabaseServer;
import io.github.lifeline.it.server.MariaDbServer;
import io.github.lifeline.it.server.PostgresServer;
import io.github.lifeline.it.support.Driver;

/** The fault bench against PostgreSQL and MariaDB servers that the test JVM starts itself. */
@RequiresFaultInjection
class EmbeddedFaultIT extends FaultScenarios {

  @Override
  protected DatabaseServer startServer(Driver driver) {
    return driver == Driver.POSTGRESQL ? PostgresServer.start() : MariaDbServer.start();
  }

  @Override
  protected String provider() {
    return "embedded";
  }
}
