package io.github.lifeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import io.github.lifeline.EvictionEvent;
import io.github.lifeline.LifelineDataSource;
import io.github.lifeline.LifelineSettings;
import io.github.lifeline.it.support.Sessions;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.Timed;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Issue 7 point 5: nothing Lifeline does on a verdict borrows from the pool or waits for it. Before the fix, a verdict
 * on a connection never borrowed through {@code LifelineDataSource} made the monitor thread sweep the pool, borrowing
 * each idle connection through HikariCP's internal {@code getConnection(timeout)}; on a suspended pool that borrow
 * waits until the pool is resumed, and every later verdict of the pool waited with it. Here two idle connections of
 * a suspended pool lose their backends one after the other: both verdicts must be handled at once.
 */
class SuspendedPoolIT {

  @Test
  void aSuspendedPoolDoesNotHoldTheMonitor() throws Exception {
    try (DatabaseServer server = PostgresServer.start()) {
      Properties p = Driver.POSTGRESQL.hikariProperties(server, "suspended", 3, null);
      p.setProperty("allowPoolSuspension", "true");
      List<EvictionEvent> events = new CopyOnWriteArrayList<>();
      try (LifelineDataSource ds = new LifelineDataSource(new HikariConfig(p), LifelineSettings.defaults(),
          events::add)) {
        assertThat(Timed.awaitAll(() -> List.of(ds.pool().sockets().size()), n -> n >= 3, System.nanoTime(), 10))
            .isNotNull();
        try (Connection c = ds.getConnection()) {
          assertThat(c.isValid(1)).isTrue(); // one connection is borrowed once; the others never are
        }
        ds.hikari().getHikariPoolMXBean().suspendPool();
        List<SocketRecord> sockets = ds.pool().sockets();
        Sessions.terminate(Driver.POSTGRESQL, server, sockets.get(0).local().getPort());
        Thread.sleep(200);
        Sessions.terminate(Driver.POSTGRESQL, server, sockets.get(1).local().getPort());
        assertThat(Timed.awaitAll(() -> List.of(events.size()), n -> n >= 2, System.nanoTime(), 3))
            .as("both deaths handled while the pool is suspended: %s", events).isNotNull();
        ds.hikari().getHikariPoolMXBean().resumePool();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
          assertThat(st.execute("select 1")).isTrue();
        }
      }
    }
  }

}
