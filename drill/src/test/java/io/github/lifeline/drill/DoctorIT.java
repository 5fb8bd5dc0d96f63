package io.github.lifeline.drill;

import static io.github.lifeline.drill.DrillIT.JAR;
import static io.github.lifeline.drill.DrillIT.runJar;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.lifeline.drill.report.ReportWriter;
import io.github.lifeline.lint.KernelTcp;
import io.github.lifeline.testkit.server.DatabaseServer;
import io.github.lifeline.testkit.server.MariaDbServer;
import io.github.lifeline.testkit.server.PostgresServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The doctor against real servers, as a user runs it: a pool without Lifeline gets the relevant findings and a
 * non-zero exit; the same database with Lifeline's defaults gets none of them. The password never shows.
 */
class DoctorIT {

  /** What Lifeline addresses: none of these may appear with its defaults. */
  static final List<String> LIFELINE_FINDINGS = List.of("KEEPALIVE_OFF", "KEEPALIVE_IDLE_TOO_LONG",
      "KEEPALIVE_IDLE_NEAR_NAT_TIMEOUT", "USER_TIMEOUT_BELOW_KEEPALIVE_BUDGET", "PROBES_TOO_FREQUENT",
      "HIKARI_KEEPALIVE_DISABLED", "MAX_LIFETIME_OVER_IDLE_TIMEOUT", "ALIVE_BYPASS_WINDOW",
      "TCP_RETRIES2_NO_USER_TIMEOUT");
  static final String SECRET = "s3cr3t-Pa55-drill";
  static final Path LOGS = Path.of("target", "doctor-it").toAbsolutePath();

  static DatabaseServer postgres;
  static DatabaseServer mariadb;

  @BeforeAll
  static void servers() {
    postgres = PostgresServer.start();
    mariadb = MariaDbServer.start();
  }

  @AfterAll
  static void close() {
    if (postgres != null) {
      postgres.close();
    }
    if (mariadb != null) {
      mariadb.close();
    }
  }

  static DrillIT.Proc doctor(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("doctor"));
    all.addAll(List.of(args));
    return runJar(List.of(), JAR, all, LOGS, 60, Map.of("DRILL_IT_PASSWORD", SECRET));
  }

  static List<String> codes(JsonNode report) {
    List<String> codes = new ArrayList<>();
    report.get("findings").forEach(f -> codes.add(f.get("code").asText()));
    return codes;
  }

  @Test
  void postgresWithoutLifelineFailsAndWithItsDefaultsPasses() throws Exception {
    // PostgreSQL trusts local clients: the password is accepted and ignored, and must never be printed.
    String url = postgres.jdbcUrl() + "?connectTimeout=5&password=" + SECRET;
    DrillIT.Proc stock = doctor("--jdbc-url", url, "--user", "postgres", "--password-env", "DRILL_IT_PASSWORD",
        "--as-configured", "--json");
    assertThat(stock.output()).doesNotContain(SECRET);
    assertThat(stock.exit()).as("exit code of the doctor on a stock pool:%n%s", stock.output()).isEqualTo(1);
    JsonNode r = ReportWriter.mapper().readTree(stock.output());
    assertThat(codes(r)).contains("KEEPALIVE_OFF", "ALIVE_BYPASS_WINDOW", "NO_SOCKET_TIMEOUT");
    if (KernelTcp.read().orElseThrow().inFlightBudget().getSeconds() > 120) {
      assertThat(codes(r)).contains("TCP_RETRIES2_NO_USER_TIMEOUT");
    }
    assertThat(r.at("/target/protection").asText()).isEqualTo("NONE");
    assertThat(r.at("/connections/0/state").asText()).isEqualTo("ESTABLISHED");
    assertThat(r.at("/connections/0/options/0/kernel").asText()).as("SO_KEEPALIVE read back").isEqualTo("off");
    assertThat(r.at("/kernel/sysctls/net.ipv4.tcp_retries2").asInt()).isPositive();

    DrillIT.Proc lifeline = doctor("--jdbc-url", url, "--user", "postgres", "--password-env",
        "DRILL_IT_PASSWORD");
    assertThat(lifeline.output()).doesNotContain(SECRET).contains("Capabilities", "tcp_keepalive_time",
        "2 h 11 min 15 s", "ss -tnoei:", "timer:(keepalive,", "TCP_USER_TIMEOUT   45000 ms     45000 ms");
    assertThat(lifeline.exit()).as("exit code with Lifeline's defaults:%n%s", lifeline.output()).isZero();
    for (String code : LIFELINE_FINDINGS) {
      assertThat(lifeline.output()).as("with Lifeline's defaults").doesNotContain(code);
    }
  }

  @Test
  void mysqlWithoutLifelineFailsAndWithItsDefaultsPasses() throws Exception {
    DrillIT.Proc stock = doctor("--jdbc-url", mariadb.jdbcUrl(), "--user", mariadb.user(), "--password-env",
        "DRILL_IT_PASSWORD", "-p", "sslMode=DISABLED", "--as-configured", "--json");
    // Wrong password on purpose first: the doctor says it cannot open the pool, exit 2, and does not print it.
    assertThat(stock.output()).doesNotContain(SECRET);
    assertThat(stock.exit()).isEqualTo(2);

    Map<String, String> env = Map.of("DRILL_IT_PASSWORD", mariadb.password());
    DrillIT.Proc asIs = runJar(List.of(), JAR, List.of("doctor", "--jdbc-url", mariadb.jdbcUrl(), "--user",
        mariadb.user(), "--password-env", "DRILL_IT_PASSWORD", "-p", "sslMode=DISABLED", "--as-configured",
        "--json"), LOGS, 60, env);
    assertThat(asIs.exit()).as("exit code of the doctor on a stock pool:%n%s", asIs.output()).isEqualTo(1);
    JsonNode r = ReportWriter.mapper().readTree(asIs.output());
    KernelTcp kernel = KernelTcp.read().orElseThrow();
    if (kernel.keepaliveTimeSeconds() >= 350) {
      // Connector/J turns keepalive on, with the kernel's 2-hour timing.
      assertThat(codes(r)).contains("KEEPALIVE_IDLE_TOO_LONG");
    }
    assertThat(codes(r)).contains("ALIVE_BYPASS_WINDOW").doesNotContain("KEEPALIVE_OFF");
    assertThat(r.at("/connections/0/options/1/kernel").asText()).isEqualTo(kernel.keepaliveTimeSeconds() + " s");

    DrillIT.Proc lifeline = runJar(List.of(), JAR, List.of("doctor", "--jdbc-url", mariadb.jdbcUrl(), "--user",
        mariadb.user(), "--password-env", "DRILL_IT_PASSWORD", "-p", "sslMode=DISABLED", "-p", "socketTimeout=60000",
        "--json"), LOGS, 60, env);
    assertThat(lifeline.exit()).as("exit code with Lifeline's defaults:%n%s", lifeline.output()).isZero();
    JsonNode l = ReportWriter.mapper().readTree(lifeline.output());
    assertThat(codes(l)).as("a socket timeout is set: no finding at all").isEmpty();
    assertThat(l.at("/target/protection").asText()).isEqualTo("MONITOR");
    assertThat(l.at("/connections/0/options/4/requested").asText()).isEqualTo("45000 ms");
  }
}
