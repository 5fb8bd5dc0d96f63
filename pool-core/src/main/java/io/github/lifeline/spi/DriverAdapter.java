package io.github.lifeline.spi;

import io.github.lifeline.LifelineSettings;
import java.util.Map;

/**
 * Service-provider interface for driver modules (lifeline-postgres, lifeline-mysql); applications never implement
 * or call it. What Lifeline needs to know about one JDBC driver to configure it: which configurations are this driver's, and
 * which connection properties install Lifeline's socket factory with given settings. Driver modules provide one each,
 * through {@link java.util.ServiceLoader} ({@code META-INF/services/io.github.lifeline.spi.DriverAdapter}); driver
 * quirks live there and nowhere else.
 */
public interface DriverAdapter extends ConnectionSocketResolver {

  /** Whether a JDBC URL is this driver's (for example {@code jdbc:postgresql:}). */
  boolean acceptsUrl(String jdbcUrl);

  /** Whether a {@code java.sql.Driver} or {@code javax.sql.DataSource} class name is this driver's. */
  boolean acceptsClassName(String className);

  /**
   * The connection properties that make the driver open Lifeline's sockets with these settings.
   *
   * @param settings the settings
   * @param dataSourceClassName the driver's {@code DataSource} class when the pool configures one by bean setters
   *     ({@code dataSourceClassName} mode), or {@code null} in JDBC URL mode, where any key is accepted
   * @return property names and values, in the form the mode accepts
   */
  Map<String, String> connectionProperties(LifelineSettings settings, String dataSourceClassName);

  /**
   * Driver properties whose value (compared ignoring case) contradicts Lifeline: installing on a configuration that
   * sets one is refused with an error naming it, rather than silently overridden. For example pgjdbc's
   * {@code tcpKeepAlive=false}.
   *
   * @return property names and the contradicting value
   */
  default Map<String, String> incompatibleProperties() {
    return Map.of();
  }
}
