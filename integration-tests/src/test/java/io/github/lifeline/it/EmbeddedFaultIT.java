package io.github.lifeline.it;

import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.MariaDbServer;
import io.github.lifeline.testkit.server.PostgresServer;

/**
 * The fault bench against PostgreSQL and MariaDB servers that the test JVM starts itself. Restart, crash, freeze and
 * the long query run everywhere; the blackhole scenarios need root and nftables and are gated one by one.
 */
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
