package io.github.lifeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lifeline.Lifeline;
import io.github.lifeline.internal.socket.SocketRegistry;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.MariaDbServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** 1000 connection open/close cycles leave no registry entry and no file descriptor behind. */
class RegistryLeakIT {

  static final int CYCLES = 1000;

  @ParameterizedTest
  @EnumSource(Driver.class)
  void thousandCyclesLeaveNothingBehind(Driver driver) throws Exception {
    try (DatabaseServer server = driver == Driver.POSTGRESQL ? PostgresServer.start() : MariaDbServer.start()) {
      Properties props = server.baseProperties();
      props.setProperty("socketFactory", driver.socketFactory());
      props.setProperty("lifeline.keepaliveIdle", "9s");

      cycles(server, props, 20); // warm up: class loading, JNA, logging open their files once
      long fdsBefore = openFds();
      int registryBefore = SocketRegistry.global().size();

      cycles(server, props, CYCLES);

      assertThat(SocketRegistry.global().size()).isEqualTo(registryBefore);
      assertThat(SocketRegistry.global().records()).noneMatch(r -> r.remote().getPort() == server.port());
      assertThat(openFds()).as("open file descriptors after %d cycles", CYCLES).isEqualTo(fdsBefore);
    }
  }

  private static void cycles(DatabaseServer server, Properties props, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      try (Connection c = DriverManager.getConnection(server.jdbcUrl(), props)) {
        assertThat(Lifeline.lookup(c)).isPresent();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select 1")) {
          assertThat(rs.next()).isTrue();
        }
      }
    }
  }

  private static long openFds() throws IOException {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }
}
