package io.github.lifeline.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import io.github.lifeline.EvictionListener;
import io.github.lifeline.LifelineDataSource;
import io.github.lifeline.LifelineSettings;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.SQLTransientConnectionException;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * Issue 7 point 7: {@code LifelineDataSource.getConnection()} never hands out a connection Lifeline does not trust;
 * when it cannot find one within the connection timeout it throws {@link SQLTransientConnectionException}. (Before
 * the fix it handed the last refused one out after {@code maximumPoolSize + 1} tries.) Here the server's state is held
 * "in doubt" (a settle window that never closes), which makes every old connection untrusted, however often HikariCP
 * lends it.
 */
class BorrowGateIT {

  @Test
  void aConnectionInDoubtIsNeverHandedOut() throws Exception {
    try (DatabaseServer server = PostgresServer.start()) {
      Properties p = Driver.POSTGRESQL.hikariProperties(server, "gate", 2, null);
      p.setProperty("connectionTimeout", "1000");
      try (LifelineDataSource ds = new LifelineDataSource(new HikariConfig(p), LifelineSettings.defaults(),
          EvictionListener.NONE)) {
        try (Connection c = ds.getConnection()) {
          assertThat(c.isValid(1)).isTrue();
        }
        HostState host = HostState.of(new InetSocketAddress(server.host(), server.port()));
        host.openWindow(System.nanoTime()); // a close of the server that is never judged
        long t0 = System.nanoTime();
        assertThatThrownBy(ds::getConnection).isInstanceOf(SQLTransientConnectionException.class)
            .hasMessageContaining("gate - Connection is not available: Lifeline refused");
        assertThat((System.nanoTime() - t0) / 1e6).as("ms until it gave up").isGreaterThanOrEqualTo(1000);
        host.closeWindow();
        try (Connection c = ds.getConnection()) {
          assertThat(c.isValid(1)).as("trusted again once the window closed").isTrue();
        }
      }
    }
  }
}
