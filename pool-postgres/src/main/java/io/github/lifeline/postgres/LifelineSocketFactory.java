package io.github.lifeline.postgres;

import io.github.lifeline.LifelineConfigException;
import io.github.lifeline.LifelineSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Map;
import java.util.Properties;
import javax.net.SocketFactory;

/**
 * pgjdbc socket factory that puts Lifeline's keepalive timing and TCP_USER_TIMEOUT on every socket the driver opens.
 *
 * <p>Name it in the connection properties: {@code socketFactory=io.github.lifeline.postgres.LifelineSocketFactory}.
 * pgjdbc instantiates it with all connection properties, so the {@code lifeline.*} keys can sit beside the driver's
 * own (HikariCP {@code dataSourceProperties}, URL query, {@code Properties}). With a {@code DataSource}
 * ({@code PGSimpleDataSource.setSocketFactoryArg}), the settings can also travel in {@code socketFactoryArg} as
 * {@code keepaliveIdle=30s,keepaliveInterval=5s,keepaliveCount=3,userTimeout=45s}. A key given both ways must have
 * the same value.
 *
 * <p>pgjdbc sets SO_KEEPALIVE from its own {@code tcpKeepAlive} (default {@code false}) after the factory returns;
 * Lifeline's sockets keep keepalive on regardless while Lifeline is enabled.
 *
 * <p>Why this class is public, and shares its simple name with the MySQL one: pgjdbc loads the factory by class name
 * from its {@code socketFactory} property and instantiates it by reflection, so it must be a public class with a
 * public constructor. Each driver module has its own, in its own package.
 *
 * <p>pgjdbc uses the same factory for cancel requests ({@code Statement.cancel()}, query timeouts). Those short-lived
 * sockets are tuned too, so that a cancel sent to a silent server fails within the user timeout instead of hanging;
 * they stay in the registry only until pgjdbc closes them, milliseconds later.
 */
public class LifelineSocketFactory extends SocketFactory {

  /** pgjdbc's property that carries the factory's string argument. */
  static final String SOCKET_FACTORY_ARG = "socketFactoryArg";

  private final LifelineSettings settings;

  /** Defaults only. */
  public LifelineSocketFactory() {
    this(LifelineSettings.defaults());
  }

  /**
   * The constructor pgjdbc prefers: all connection properties.
   *
   * @param info connection properties; the {@code lifeline.*} keys and {@code socketFactoryArg} are read
   * @throws LifelineConfigException if a Lifeline key or value is invalid
   */
  public LifelineSocketFactory(Properties info) {
    this(settingsFrom(info));
  }

  /**
   * The constructor for {@code socketFactoryArg} alone.
   *
   * @param spec {@code keepaliveIdle=30s,keepaliveInterval=5s,...}
   * @throws LifelineConfigException if a name or value is invalid
   */
  public LifelineSocketFactory(String spec) {
    this(LifelineSettings.fromSpec(spec));
  }

  /** @param settings the settings to apply to every socket */
  public LifelineSocketFactory(LifelineSettings settings) {
    this.settings = settings;
  }

  /** The settings this factory applies. */
  public LifelineSettings settings() {
    return settings;
  }

  static LifelineSettings settingsFrom(Properties info) {
    Properties merged = new Properties();
    if (info != null) {
      info.stringPropertyNames().forEach(k -> merged.setProperty(k, info.getProperty(k)));
      info.forEach((k, v) -> {
        if (k instanceof String && !(v instanceof String)) {
          merged.setProperty((String) k, String.valueOf(v));
        }
      });
    }
    String spec = info == null ? null : info.getProperty(SOCKET_FACTORY_ARG);
    for (Map.Entry<Object, Object> e : LifelineSettings.specToProperties(spec).entrySet()) {
      String key = (String) e.getKey();
      String value = (String) e.getValue();
      String existing = merged.getProperty(key);
      if (existing != null && !existing.trim().equals(value)) {
        throw new LifelineConfigException(key, "Lifeline property " + key + " is set twice with different values: '"
            + existing + "' in the connection properties and '" + value + "' in socketFactoryArg");
      }
      merged.setProperty(key, value);
    }
    return LifelineSettings.from(merged);
  }

  @Override
  public Socket createSocket() {
    return new PostgresLifelineSocket(settings);
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return connected(new InetSocketAddress(host, port), null);
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
    return connected(new InetSocketAddress(host, port), new InetSocketAddress(localHost, localPort));
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return connected(new InetSocketAddress(host, port), null);
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
      throws IOException {
    return connected(new InetSocketAddress(address, port), new InetSocketAddress(localAddress, localPort));
  }

  private Socket connected(InetSocketAddress remote, InetSocketAddress local) throws IOException {
    Socket s = createSocket();
    try {
      if (local != null) {
        s.bind(local);
      }
      s.connect(remote);
      return s;
    } catch (IOException | RuntimeException e) {
      try {
        s.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }
}
