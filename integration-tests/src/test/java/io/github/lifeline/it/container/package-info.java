/**
 * Database servers in Docker containers for the fault bench, started with Testcontainers: {@link
 * io.github.lifeline.it.container.ContainerDatabaseServer} implements {@link io.github.lifeline.testkit.server.DatabaseServer}
 * with every fault acting inside the container, so that the container, its address and its port binding outlive
 * restarts and crashes.
 */
package io.github.lifeline.it.container;
