/**
 * Lifeline core: settings, socket tuning with kernel read-back, the kernel monitor and the HikariCP guard.
 *
 * <p>The API is {@code io.github.lifeline} (install, the standalone data source, settings, pool views and eviction
 * events) and {@code io.github.lifeline.socket} (what the kernel holds for a socket); {@code io.github.lifeline.spi}
 * is for driver modules. Everything under {@code io.github.lifeline.internal} is not exported and may change at any
 * time. JNA and HikariCP are optional at run time: without JNA Lifeline applies what the JDK supports and says so
 * once; without HikariCP only the socket factories are usable.
 */
module io.github.lifeline {
  requires java.sql;
  requires jdk.net;
  requires org.slf4j;
  requires static com.sun.jna;
  requires static com.zaxxer.hikari;

  exports io.github.lifeline;
  exports io.github.lifeline.lint;
  exports io.github.lifeline.socket;
  exports io.github.lifeline.spi;

  uses io.github.lifeline.spi.DriverAdapter;
}
