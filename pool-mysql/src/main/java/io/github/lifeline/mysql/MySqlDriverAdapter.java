package io.github.lifeline.mysql;

import io.github.lifeline.LifelineConfigException;
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
 * MySQL Connector/J: {@code jdbc:mysql:} URLs (also {@code jdbc:mysql+srv:}), {@code com.mysql.cj.jdbc.Driver} and
 * its data sources.
 *
 * <p>Connector/J's data sources accept only their own bean properties, so data-source mode is not configured by
 * properties: put the keys in the data source's {@code url} instead (see the README), or use URL mode.
 */
public final class MySqlDriverAdapter implements DriverAdapter {

  private final MySqlSocketResolver resolver = new MySqlSocketResolver();

  @Override
  public String driver() {
    return "mysql";
  }

  @Override
  public boolean acceptsUrl(String jdbcUrl) {
    return jdbcUrl != null && (jdbcUrl.startsWith("jdbc:mysql:") || jdbcUrl.startsWith("jdbc:mysql+srv:"));
  }

  @Override
  public boolean acceptsClassName(String className) {
    return className != null && className.startsWith("com.mysql.");
  }

  @Override
  public Map<String, String> connectionProperties(LifelineSettings settings, String dataSourceClassName) {
    if (dataSourceClassName != null) {
      throw new LifelineConfigException("dataSourceClassName", "Lifeline cannot configure " + dataSourceClassName
          + " through bean properties: Connector/J's data sources have no property for Lifeline's keys. Use a "
          + "jdbcUrl, or put socketFactory=" + LifelineSocketFactory.class.getName()
          + " and the lifeline.* keys in the data source's url");
    }
    Map<String, String> p = new LinkedHashMap<>();
    p.put("socketFactory", LifelineSocketFactory.class.getName());
    Properties keys = settings.toProperties();
    keys.stringPropertyNames().stream().sorted().forEach(k -> p.put(k, keys.getProperty(k)));
    return p;
  }

  @Override
  public Optional<Socket> socketOf(Connection connection) throws SQLException {
    return resolver.socketOf(connection);
  }
}
