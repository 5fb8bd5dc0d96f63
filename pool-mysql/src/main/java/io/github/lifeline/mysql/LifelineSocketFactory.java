package io.github.lifeline.mysql;

import com.mysql.cj.conf.PropertySet;
import com.mysql.cj.protocol.StandardSocketFactory;
import io.github.lifeline.LifelineConfigException;
import io.github.lifeline.LifelineSettings;
import io.github.lifeline.spi.LifelineSocket;
import java.net.Socket;

/**
 * MySQL Connector/J socket factory that puts Lifeline's keepalive timing and TCP_USER_TIMEOUT on every socket the
 * driver opens.
 *
 * <p>Name it in the connection properties: {@code socketFactory=io.github.lifeline.mysql.LifelineSocketFactory}, with
 * the {@code lifeline.*} keys beside it (HikariCP {@code dataSourceProperties}, URL query, {@code Properties}).
 * Connector/J keeps unknown connection properties as user-defined ones, and this factory reads them from the
 * connection's {@link PropertySet}. With {@code MysqlDataSource}, put the keys in the URL
 * ({@code jdbc:mysql://host/db?socketFactory=...&lifeline.keepaliveIdle=30s}).
 *
 * <p>Why this class is public, and shares its simple name with the PostgreSQL one: Connector/J loads the factory by
 * class name from its {@code socketFactory} property and instantiates it by reflection, so it must be a public class
 * with a public no-argument constructor. Each driver module has its own, in its own package.
 *
 * <p>It extends Connector/J's {@link StandardSocketFactory} through its public hook: the raw socket comes from
 * {@link #createSocket(PropertySet)}; the driver's own {@code configureSocket} still applies {@code tcpNoDelay},
 * buffer sizes and the like before connect; Lifeline's options follow once the socket is connected, and SO_KEEPALIVE
 * is on whatever {@code tcpKeepAlive} says.
 */
public class LifelineSocketFactory extends StandardSocketFactory {

  /** Connector/J creates one factory per connection, with this no-arg constructor. */
  public LifelineSocketFactory() {
  }

  /**
   * Reads Lifeline's settings from a connection's property set.
   *
   * @param props the connection's properties
   * @return the settings
   * @throws LifelineConfigException if a Lifeline key or value is invalid
   */
  public static LifelineSettings settingsFrom(PropertySet props) {
    return LifelineSettings.from(props.exposeAsProperties());
  }

  @Override
  protected Socket createSocket(PropertySet props) {
    return new LifelineSocket(settingsFrom(props), "mysql");
  }
}
