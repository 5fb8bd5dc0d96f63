package io.github.lifeline.drill.doctor;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.lifeline.Lifeline;
import io.github.lifeline.LifelineDataSource;
import io.github.lifeline.drill.report.ReportWriter;
import io.github.lifeline.lint.KernelTcp;
import io.github.lifeline.lint.Lint;
import io.github.lifeline.lint.LintFinding;
import io.github.lifeline.lint.LintInput;
import io.github.lifeline.lint.PoolSettings;
import io.github.lifeline.lint.Protection;
import io.github.lifeline.lint.SocketOptions;
import io.github.lifeline.socket.OptionValue;
import io.github.lifeline.socket.SocketCapabilities;
import io.github.lifeline.socket.SocketRecord;
import io.github.lifeline.socket.TcpOption;
import io.github.lifeline.socket.TuningReport;
import io.github.lifeline.testkit.Driver;
import io.github.lifeline.testkit.TcpDiag;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code doctor}: opens a small pool against your database, changes nothing on the server (it runs {@code select 1}),
 * and prints what applies on this host, the kernel's TCP settings and what they mean, each connection's socket as the
 * kernel sees it ({@code ss -tnoei}: state, timers, probes, retransmissions, RTT, last ACK, and every option requested
 * against read back), and the lint's findings. Exits 1 on a lint error, 2 if the pool cannot be opened.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
    description = {"Inspects a live pool against your database: capabilities, kernel settings, each connection's "
        + "socket as the kernel sees it, and lint findings. Changes nothing on the server.",
        "By default the pool is opened with Lifeline (its defaults, or the lifeline.* keys you pass); with "
            + "--as-configured exactly as configured, which is how to check a pool that runs without Lifeline.",
        "Exit codes: 0 no lint error, 1 a lint error, 2 the pool could not be opened or the options are wrong."})
public final class DoctorCommand implements Callable<Integer> {

  @Option(names = "--jdbc-url", paramLabel = "URL", description = "The JDBC URL (jdbc:postgresql://... or "
      + "jdbc:mysql://...). May also come from --config as jdbcUrl.")
  String jdbcUrl;

  @Option(names = "--user", paramLabel = "USER", description = "The database user.")
  String user;

  @Option(names = "--password-env", paramLabel = "VAR",
      description = "The environment variable that holds the password (never printed).")
  String passwordEnv;

  @Option(names = "--config", paramLabel = "FILE",
      description = "A HikariCP properties file, as your application uses it (jdbcUrl, username, dataSource.*, "
          + "keepaliveTime, maxLifetime, ...).")
  Path config;

  @Option(names = {"-p", "--property"}, paramLabel = "KEY=VALUE",
      description = "A driver property (dataSource.KEY), e.g. -p socketTimeout=30 or -p lifeline.keepaliveIdle=60s.")
  Map<String, String> driverProperties = new LinkedHashMap<>();

  @Option(names = {"-H", "--hikari"}, paramLabel = "KEY=VALUE",
      description = "A HikariCP setting, e.g. -H keepaliveTime=0 -H maxLifetime=1800000.")
  Map<String, String> hikariProperties = new LinkedHashMap<>();

  @Option(names = "--as-configured", description = "Open the pool exactly as configured, without adding Lifeline.")
  boolean asConfigured;

  @Option(names = "--nat-idle-timeout", paramLabel = "SECONDS", defaultValue = "350",
      description = "The shortest idle timeout of a NAT, firewall or load balancer between you and the database "
          + "(default ${DEFAULT-VALUE}: AWS NLB and NAT gateway).")
  long natIdleTimeoutSeconds;

  @Option(names = "--connections", paramLabel = "N", defaultValue = "2",
      description = "How many connections to open and inspect (default ${DEFAULT-VALUE}).")
  int connections;

  @Option(names = "--json", description = "Print JSON for machines instead of text.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
    PrintStream out = System.out;
    Properties props = new Properties();
    if (config != null) {
      try (InputStream in = Files.newInputStream(config)) {
        props.load(in);
      }
    }
    if (jdbcUrl != null) {
      props.setProperty("jdbcUrl", jdbcUrl);
    }
    if (user != null) {
      props.setProperty("username", user);
    }
    if (passwordEnv != null) {
      String password = System.getenv(passwordEnv);
      if (password == null) {
        System.err.println("doctor: the environment variable " + passwordEnv + " (--password-env) is not set");
        return 2;
      }
      props.setProperty("password", password);
    }
    driverProperties.forEach((k, v) -> props.setProperty("dataSource." + k, v));
    hikariProperties.forEach(props::setProperty);
    String url = props.getProperty("jdbcUrl");
    if (url == null) {
      System.err.println("doctor: no JDBC URL: give --jdbc-url, or jdbcUrl in --config");
      return 2;
    }
    Driver driver;
    if (url.startsWith("jdbc:postgresql:")) {
      driver = Driver.POSTGRESQL;
    } else if (url.startsWith("jdbc:mysql:")) {
      driver = Driver.MYSQL;
    } else {
      System.err.println("doctor: unsupported JDBC URL " + Redaction.url(url)
          + "; Lifeline supports jdbc:postgresql: (pgjdbc) and jdbc:mysql: (MySQL Connector/J)");
      return 2;
    }
    int size = Math.max(1, connections);
    props.setProperty("maximumPoolSize", Integer.toString(size));
    props.setProperty("minimumIdle", Integer.toString(size));
    props.putIfAbsent("poolName", "lifeline-doctor");

    HikariConfig hikari = new HikariConfig(props);
    PoolSettings poolSettings = PoolSettings.of(hikari);
    Protection protection = asConfigured ? (usesLifelineFactory(hikari) ? Protection.SOCKETS : Protection.NONE)
        : Protection.MONITOR;
    Duration socketTimeout = socketTimeout(driver, url, hikari.getDataSourceProperties());

    DoctorReport report;
    try (Pool pool = open(hikari)) {
      List<Connection> held = new ArrayList<>();
      try {
        for (int i = 0; i < size; i++) {
          Connection c = pool.ds().getConnection();
          held.add(c);
          try (Statement st = c.createStatement()) {
            st.execute("select 1");
          }
        }
        report = inspect(driver, hikari, url, protection, poolSettings, socketTimeout, held);
      } finally {
        for (Connection c : held) {
          c.close();
        }
      }
    } catch (SQLException | RuntimeException e) {
      System.err.println("doctor: cannot open the pool against " + Redaction.url(url) + ": " + describe(e));
      return 2;
    }
    if (json) {
      out.println(ReportWriter.mapper().writeValueAsString(report));
    } else {
      print(report, out);
    }
    return report.exitCode();
  }

  private record Pool(DataSource ds, AutoCloseable closer) implements AutoCloseable {
    @Override
    public void close() throws Exception {
      closer.close();
    }
  }

  private Pool open(HikariConfig hikari) {
    if (asConfigured) {
      HikariDataSource ds = new HikariDataSource(hikari);
      return new Pool(ds, ds);
    }
    LifelineDataSource ds = new LifelineDataSource(hikari);
    return new Pool(ds, ds);
  }

  private DoctorReport inspect(Driver driver, HikariConfig hikari, String url, Protection protection,
      PoolSettings poolSettings, Duration socketTimeout, List<Connection> held) throws Exception {
    List<DoctorReport.Conn> conns = new ArrayList<>();
    SocketOptions lintSockets = null;
    try (TcpDiag diag = TcpDiag.open()) {
      for (Connection c : held) {
        Socket socket = driver.socketOf(c);
        InetSocketAddress local = (InetSocketAddress) socket.getLocalSocketAddress();
        InetSocketAddress remote = (InetSocketAddress) socket.getRemoteSocketAddress();
        Optional<TcpDiag.TcpSocket> k = diag.find(local, remote);
        Optional<TcpDiag.Options> read = k.isPresent() ? diag.options(k.get().inode()) : Optional.empty();
        TuningReport requested = lifelineTuning(c);
        List<DoctorReport.Option> options = new ArrayList<>();
        for (TcpOption o : TcpOption.values()) {
          String req = "-";
          if (requested != null) {
            OptionValue v = requested.get(o);
            req = format(o, v.requested());
          }
          options.add(new DoctorReport.Option(o.name(), req, read.map(r -> format(o, value(r, o))).orElse("?")));
        }
        if (lintSockets == null && read.isPresent()) {
          TcpDiag.Options r = read.get();
          lintSockets = new SocketOptions(r.keepalive(), Duration.ofSeconds(r.keepaliveIdleSeconds()),
              Duration.ofSeconds(r.keepaliveIntervalSeconds()), r.keepaliveCount(),
              Duration.ofMillis(r.userTimeoutMillis()), true);
        }
        TcpDiag.TcpSocket s = k.orElse(null);
        TcpDiag.Info info = s == null ? null : s.info();
        conns.add(new DoctorReport.Conn(address(local), address(remote), s == null ? "GONE" : s.state(),
            s == null ? "-" : s.ssTimer(), info == null ? 0 : info.probes(),
            info == null ? "-" : info.retransmits() + "/" + info.totalRetrans(),
            info == null ? null : info.rttMicros() / 1000.0, info == null ? null : info.lastAckRecvMillis(),
            info == null ? null : info.lastDataRecvMillis(), options, ss(local, remote)));
      }
    }
    Optional<KernelTcp> kernel = KernelTcp.read();
    if (lintSockets == null) {
      // Nothing could be read back: say what the configuration implies, and that it is inferred.
      KernelTcp k = kernel.orElse(KernelTcp.LINUX_DEFAULTS);
      lintSockets = new SocketOptions(protection != Protection.NONE || driver == Driver.MYSQL,
          Duration.ofSeconds(k.keepaliveTimeSeconds()), Duration.ofSeconds(k.keepaliveIntervalSeconds()),
          k.keepaliveProbes(), null, false);
    }
    LintInput input = new LintInput(poolSettings, protection, lintSockets, kernel.orElse(null),
        LintInput.jvmDnsCacheTtl(), socketTimeout, Duration.ofSeconds(natIdleTimeoutSeconds));
    List<LintFinding> findings = Lint.check(input);

    SocketCapabilities caps = Lifeline.capabilities();
    DoctorReport.Capabilities capabilities = new DoctorReport.Capabilities(caps.os(),
        System.getProperty("os.version"), caps.java(), caps.nativeAccess(), caps.nativeUnavailableReason(),
        caps.keepaliveOptions(), caps.userTimeout(), caps.nativeAccess() && caps.os().startsWith("Linux"));
    Map<String, Object> pool = new LinkedHashMap<>();
    pool.put("poolName", poolSettings.poolName());
    pool.put("connectionTimeoutMs", poolSettings.connectionTimeout().toMillis());
    pool.put("validationTimeoutMs", poolSettings.validationTimeout().toMillis());
    pool.put("maxLifetimeMs", poolSettings.maxLifetime().toMillis());
    pool.put("keepaliveTimeMs", poolSettings.keepaliveTime().toMillis());
    pool.put("effectiveKeepaliveTimeMs", poolSettings.effectiveKeepaliveTime().toMillis());
    pool.put("aliveBypassWindowMs", poolSettings.aliveBypassWindow().toMillis());
    pool.put("socketTimeoutMs", socketTimeout == null ? null : socketTimeout.toMillis());
    pool.put("dnsCacheTtlSeconds", input.dnsCacheTtl().getSeconds());
    pool.put("natIdleTimeoutSeconds", natIdleTimeoutSeconds);
    Map<String, String> shown = new LinkedHashMap<>();
    hikari.getDataSourceProperties().stringPropertyNames().stream().sorted()
        .forEach(k -> shown.put(k, Redaction.value(k, hikari.getDataSourceProperties().getProperty(k))));
    DoctorReport.Target target = new DoctorReport.Target(Redaction.url(url), hikari.getUsername(),
        driver.name().toLowerCase(Locale.ROOT), asConfigured ? "as-configured" : "lifeline", protection.name(),
        shown);
    return new DoctorReport(target, capabilities, kernel(kernel.orElse(null)), pool, conns, findings,
        Lint.hasErrors(findings) ? 1 : 0);
  }

  private static DoctorReport.Kernel kernel(KernelTcp k) {
    if (k == null) {
      return new DoctorReport.Kernel(Map.of(), null, null, List.of("the kernel's TCP settings cannot be read here "
          + "(not Linux)"));
    }
    Map<String, Integer> sysctls = new LinkedHashMap<>();
    sysctls.put("net.ipv4.tcp_keepalive_time", k.keepaliveTimeSeconds());
    sysctls.put("net.ipv4.tcp_keepalive_intvl", k.keepaliveIntervalSeconds());
    sysctls.put("net.ipv4.tcp_keepalive_probes", k.keepaliveProbes());
    sysctls.put("net.ipv4.tcp_retries2", k.retries2());
    sysctls.put("net.ipv4.tcp_rto_max_ms", k.rtoMaxMillis());
    List<String> meaning = List.of(
        "idle: a socket with keepalive on and no timing of its own declares a silent peer dead after "
            + k.keepaliveTimeSeconds() + " s + " + k.keepaliveProbes() + " x " + k.keepaliveIntervalSeconds()
            + " s = " + k.idleBudget().getSeconds() + " s (about " + KernelTcp.human(k.idleBudget())
            + "); with keepalive off (pgjdbc's default), never",
        "in flight: without TCP_USER_TIMEOUT, data sent to a silent peer is retransmitted " + k.retries2()
            + " times (tcp_retries2) for about " + KernelTcp.human(k.inFlightBudget())
            + " before the kernel gives up; keepalive does not run meanwhile");
    return new DoctorReport.Kernel(sysctls, k.idleBudget().getSeconds(), k.inFlightBudget().toMillis() / 1000.0,
        meaning);
  }

  private static TuningReport lifelineTuning(Connection c) {
    try {
      return Lifeline.lookup(c).map(SocketRecord::tuning).orElse(null);
    } catch (SQLException | RuntimeException | LinkageError e) {
      return null;
    }
  }

  private static int value(TcpDiag.Options r, TcpOption o) {
    switch (o) {
      case SO_KEEPALIVE:
        return r.keepalive() ? 1 : 0;
      case TCP_KEEPIDLE:
        return r.keepaliveIdleSeconds();
      case TCP_KEEPINTVL:
        return r.keepaliveIntervalSeconds();
      case TCP_KEEPCNT:
        return r.keepaliveCount();
      case TCP_USER_TIMEOUT:
        return r.userTimeoutMillis();
      default:
        throw new AssertionError(o);
    }
  }

  private static String format(TcpOption o, int v) {
    switch (o) {
      case SO_KEEPALIVE:
        return v != 0 ? "on" : "off";
      case TCP_KEEPIDLE:
      case TCP_KEEPINTVL:
        return v + " s";
      case TCP_KEEPCNT:
        return Integer.toString(v);
      case TCP_USER_TIMEOUT:
        return v == 0 ? "0 (off)" : v + " ms";
      default:
        return Integer.toString(v);
    }
  }

  private static boolean usesLifelineFactory(HikariConfig c) {
    Object f = c.getDataSourceProperties().get("socketFactory");
    return f != null && String.valueOf(f).startsWith("io.github.lifeline.");
  }

  private static final Pattern URL_PARAM = Pattern.compile("[?&;]socketTimeout=(\\d+)");

  /** The driver's socketTimeout: pgjdbc counts seconds, Connector/J milliseconds; {@code null} for none. */
  static Duration socketTimeout(Driver driver, String url, Properties dataSource) {
    String v = dataSource.getProperty("socketTimeout");
    if (v == null) {
      Matcher m = URL_PARAM.matcher(url);
      v = m.find() ? m.group(1) : null;
    }
    if (v == null || v.isBlank()) {
      return null;
    }
    long n;
    try {
      n = Long.parseLong(v.strip());
    } catch (NumberFormatException e) {
      return null;
    }
    return driver == Driver.POSTGRESQL ? Duration.ofSeconds(n) : Duration.ofMillis(n);
  }

  /** The socket's line from {@code ss -tnoei}, or {@code null} when ss is not installed. */
  private static String ss(InetSocketAddress local, InetSocketAddress remote) {
    try {
      Process p = new ProcessBuilder("ss", "-tnoei", "state", "all", "src", address(local), "dst", address(remote))
          .redirectErrorStream(true).start();
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return null;
      }
      String[] lines = text.strip().split("\n");
      StringBuilder b = new StringBuilder();
      for (int i = 1; i < lines.length; i++) {
        b.append(b.length() == 0 ? "" : " ").append(lines[i].strip().replaceAll("\\s+", " "));
      }
      return b.length() == 0 ? null : b.toString();
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static String address(InetSocketAddress a) {
    return a.getAddress().getHostAddress() + ":" + a.getPort();
  }

  private static String describe(Throwable e) {
    StringBuilder b = new StringBuilder(String.valueOf(e.getMessage()));
    for (Throwable c = e.getCause(); c != null && c != e; c = c.getCause()) {
      b.append(" (").append(c.getMessage()).append(')');
    }
    return b.toString();
  }

  private static void print(DoctorReport r, PrintStream out) {
    DoctorReport.Target t = r.target();
    out.println("Lifeline doctor: " + t.jdbcUrl() + (t.user() == null ? "" : " as " + t.user()) + " (" + t.driver()
        + ", pool opened " + (t.mode().equals("lifeline") ? "with Lifeline" : "as configured") + ": protection "
        + t.protection() + ")");
    out.println();
    DoctorReport.Capabilities c = r.capabilities();
    out.println("Capabilities");
    out.println("  OS " + c.os() + ", kernel " + c.kernel() + ", JDK " + c.jdk());
    out.println("  native access (JNA): " + (c.nativeAccess() ? "yes" : "no: " + c.nativeUnavailableReason()));
    out.println("  keepalive timing (TCP_KEEPIDLE/INTVL/CNT through the JDK): " + yes(c.keepaliveTiming()));
    out.println("  TCP_USER_TIMEOUT (setsockopt through JNA): " + yes(c.userTimeout()));
    out.println("  detection and eviction (epoll, sock_diag): " + yes(c.detection()));
    out.println();
    out.println("Kernel");
    r.kernel().sysctls().forEach((k, v) -> out.println("  " + k + " = " + v));
    for (String m : r.kernel().meaning()) {
      out.println("  → " + m);
    }
    out.println();
    out.println("Pool");
    r.pool().forEach((k, v) -> out.println("  " + k + " = " + (v == null ? "none" : v)));
    out.println();
    int i = 1;
    for (DoctorReport.Conn conn : r.connections()) {
      out.println("Connection " + i++ + ": " + conn.local() + " -> " + conn.remote());
      out.println("  " + conn.state() + "  " + conn.timer() + "  probes " + conn.probes() + "  retrans "
          + conn.retransmits() + "  rtt " + (conn.rttMs() == null ? "-" : conn.rttMs() + " ms") + "  last ack "
          + (conn.lastAckMs() == null ? "-" : conn.lastAckMs() + " ms ago") + "  last data received "
          + (conn.lastDataRecvMs() == null ? "-" : conn.lastDataRecvMs() + " ms ago"));
      if (conn.ss() != null) {
        out.println("  ss -tnoei: " + conn.ss());
      }
      out.printf(Locale.ROOT, "  %-18s %-12s %s%n", "option", "requested", "kernel (getsockopt)");
      for (DoctorReport.Option o : conn.options()) {
        out.printf(Locale.ROOT, "  %-18s %-12s %s%n", o.option(), o.requested(), o.kernel());
      }
    }
    out.println();
    if (r.findings().isEmpty()) {
      out.println("Lint: no findings.");
    } else {
      out.println("Lint: " + r.findings().size() + " finding" + (r.findings().size() == 1 ? "" : "s"));
      for (LintFinding f : r.findings()) {
        out.println("  " + f.level() + " " + f.code());
        out.println("    why: " + f.why());
        out.println("    fix: " + f.fix());
      }
    }
    out.println();
    out.println(r.exitCode() == 0 ? "Exit 0: no lint error." : "Exit " + r.exitCode() + ": lint errors above.");
  }

  private static String yes(boolean b) {
    return b ? "yes" : "no";
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
