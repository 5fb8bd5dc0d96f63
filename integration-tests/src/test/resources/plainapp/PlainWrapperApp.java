import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.Lifeline;
import io.github.lifeline.LifelineDataSource;
import io.github.lifeline.LifelinePool;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.socket.TcpOption;
import java.io.Closeable;
import java.sql.Connection;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * A plain application that uses Lifeline's API: a {@code LifelineDataSource} ({@code wrapper}) or
 * {@code new HikariDataSource(Lifeline.install(config))} ({@code install}), configured by a HikariCP properties file.
 * Run with the single-file source launcher: {@code java -cp <jars> PlainWrapperApp.java pool.properties wrapper|install}.
 * It runs 20 queries and prints what it saw: {@code QUERIES <ok>}, {@code NATIVE <true|false>},
 * {@code MONITORING <on|reason>}, {@code KEEPIDLE <seconds read back>}, then {@code DONE}.
 */
public class PlainWrapperApp {
  public static void main(String[] args) throws Exception {
    HikariConfig config = new HikariConfig(args[0]);
    DataSource ds = args[1].equals("wrapper") ? new LifelineDataSource(config)
        : new HikariDataSource(Lifeline.install(config));
    int ok = 0;
    for (int i = 0; i < 20; i++) {
      try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
        st.execute("select 1");
        ok++;
      }
    }
    System.out.println("QUERIES " + ok);
    System.out.println("NATIVE " + Lifeline.capabilities().nativeAccess());
    LifelinePool pool = ds instanceof LifelineDataSource ? ((LifelineDataSource) ds).pool()
        : Lifeline.pool((HikariDataSource) ds).orElseThrow();
    System.out.println("MONITORING " + pool.monitoringProblem().orElse("on"));
    SocketRecord r = pool.sockets().get(0);
    System.out.println("KEEPIDLE " + r.tuning().get(TcpOption.TCP_KEEPIDLE).actual());
    ((Closeable) ds).close();
    System.out.println("DONE");
  }
}
