package io.github.lifeline.it;

import io.github.lifeline.it.container.ContainerDatabaseServer;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.server.DatabaseServer;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The fault bench against PostgreSQL ({@code postgres:17}) and MySQL ({@code mysql:8.4}) in Docker containers,
 * started with Testcontainers: the same scenarios as {@link EmbeddedFaultIT}, each fault acting inside the container
 * (see {@link ContainerDatabaseServer}). Skipped where no Docker engine answers.
 *
 * <p>Images: {@code -Dlifeline.it.postgresImage=...} and {@code -Dlifeline.it.mysqlImage=...}. The pools connect to
 * the container's IP address ({@code -Dlifeline.it.containerAddress=direct}, the default); through a published port
 * ({@code =mapped}) the blackhole scenarios would meet {@code docker-proxy} instead of a silent peer, unless the engine
 * runs without its userland proxy.
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerFaultIT extends FaultScenarios {

  @Override
  protected DatabaseServer startServer(Driver driver) {
    return driver == Driver.POSTGRESQL ? ContainerDatabaseServer.postgres() : ContainerDatabaseServer.mysql();
  }

  @Override
  protected String provider() {
    return "container";
  }
}
