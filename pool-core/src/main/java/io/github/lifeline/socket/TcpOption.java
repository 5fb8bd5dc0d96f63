package io.github.lifeline.socket;

/** The socket options Lifeline sets and reads back, with the unit the kernel uses for each. */
public enum TcpOption {
  /** SO_KEEPALIVE: 1 on, 0 off. */
  SO_KEEPALIVE("flag"),
  /** TCP_KEEPIDLE, seconds. */
  TCP_KEEPIDLE("s"),
  /** TCP_KEEPINTVL, seconds. */
  TCP_KEEPINTVL("s"),
  /** TCP_KEEPCNT, probes. */
  TCP_KEEPCNT("probes"),
  /** TCP_USER_TIMEOUT, milliseconds; 0 is the kernel default (off). */
  TCP_USER_TIMEOUT("ms");

  private final String unit;

  TcpOption(String unit) {
    this.unit = unit;
  }

  /** The unit of the option's integer value. */
  public String unit() {
    return unit;
  }
}
