package io.github.lifeline.postgres;

import io.github.lifeline.LifelineProperty;
import io.github.lifeline.LifelineSettings;
import io.github.lifeline.spi.DriverAdapter;
import java.net.Socket;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * pgjdbc: {@code jdbc:postgresql:} URLs, {@code org.postgresql.Driver} and the {@code org.postgresql.ds} data sources.
 *
 * <p>In URL mode the {@code lifeline.*} keys travel as connection properties; in data-source mode, where pgjdbc's
 * data sources accept only their own bean properties, they travel in {@code socketFactoryArg}. pgjdbc's own
 * {@code tcpKeepAlive} (default {@code false}) needs no change: Lifeline's socket keeps SO_KEEPALIVE on; a
 * configuration that sets it to {@code false} explicitly is refused, since it asks for the opposite of Lifeline.
 *
 * <p>The module works without pgjdbc on the class path: it then recognises no connection.
 */
public final class PostgresDriverAdapter implements DriverAdapter {

  private final PostgresSocketResolver resolver = new PostgresSocketResolver();

  @Override
  public String driver() {
    return "postgresql";
  }

  @Override
  public boolean acceptsUrl(String jdbcUrl) {
    return jdbcUrl != null && jdbcUrl.startsWith("jdbc:postgresql:");
  }

  @Override
  public boolean acceptsClassName(String className) {
    return className != null && className.startsWith("org.postgresql.");
  }

  @Override
  public Map<String, String> connectionProperties(LifelineSettings settings, String dataSourceClassName) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("socketFactory", LifelineSocketFactory.class.getName());
    Properties keys = settings.toProperties();
    if (dataSourceClassName == null) {
      keys.stringPropertyNames().stream().sorted().forEach(k -> p.put(k, keys.getProperty(k)));
    } else {
      StringBuilder spec = new StringBuilder();
      keys.stringPropertyNames().stream().sorted().forEach(k -> spec.append(spec.length() == 0 ? "" : ",")
          .append(k.substring(LifelineProperty.PREFIX.length())).append('=').append(keys.getProperty(k)));
      p.put(LifelineSocketFactory.SOCKET_FACTORY_ARG, spec.toString());
    }
    return p;
  }

  @Override
  public Map<String, String> incompatibleProperties() {
    return Map.of("tcpKeepAlive", "false");
  }

  @Override
  public Optional<Socket> socketOf(Connection connection) throws SQLException {
    return resolver.socketOf(connection);
  }
}
