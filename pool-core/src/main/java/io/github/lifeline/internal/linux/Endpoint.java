package io.github.lifeline.internal.linux;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A resolved Java socket address in the form needed to compare it with a kernel {@code struct sockaddr}.
 *
 * <p>Java reports an IPv4 peer of a dual-stack (AF_INET6) socket as an {@code Inet4Address}, while the kernel holds
 * {@code ::ffff:a.b.c.d}; both forms match a 4-byte address here.
 *
 * <p>Kernel layouts (network byte order for port and address, host order for scope id):
 * <pre>
 * struct sockaddr_in  (16 bytes): u16 family=2  @0, be16 port @2, be32 addr @4, zero[8] @8
 * struct sockaddr_in6 (28 bytes): u16 family=10 @0, be16 port @2, be32 flowinfo @4, u8 addr[16] @8, u32 scope_id @24
 * </pre>
 */
final class Endpoint {

  /**
   * Buffer for a sockaddr: 28 bytes hold a {@code sockaddr_in6}; a longer address (another family) is truncated by
   * the kernel and does not match anyway. Smaller than {@code sockaddr_storage} (128) because JNA copies the array on
   * every call.
   */
  static final int SOCKADDR_SIZE = 32;

  private static final VarHandle HOST_SHORT =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.nativeOrder());
  private static final VarHandle HOST_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.nativeOrder());

  private static final byte[] V4_MAPPED_PREFIX = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff};

  /** 4 bytes for IPv4, 16 for IPv6. */
  final byte[] address;
  final int port;
  /** The IPv6 scope id, 0 when none was given (then any scope matches). */
  final int scopeId;

  private Endpoint(byte[] address, int port, int scopeId) {
    this.address = address;
    this.port = port;
    this.scopeId = scopeId;
  }

  static Endpoint of(InetSocketAddress a) {
    Objects.requireNonNull(a, "address");
    if (a.isUnresolved() || a.getAddress() == null) {
      throw new IllegalArgumentException("unresolved socket address " + a);
    }
    int scope = a.getAddress() instanceof Inet6Address ? ((Inet6Address) a.getAddress()).getScopeId() : 0;
    return new Endpoint(a.getAddress().getAddress(), a.getPort(), scope);
  }

  boolean isV4() {
    return address.length == 4;
  }

  /** Whether the first {@code len} bytes of {@code sa}, a kernel sockaddr, are this address and port. */
  boolean matches(byte[] sa, int len) {
    if (len < 4 || port(sa, 2) != port) {
      return false;
    }
    int family = (short) HOST_SHORT.get(sa, 0);
    if (family == LinuxConstants.AF_INET) {
      return len >= 8 && matchesAddress(family, sa, 4);
    }
    return family == LinuxConstants.AF_INET6 && len >= 28 && matchesAddress(family, sa, 8)
        && (scopeId == 0 || (int) HOST_INT.get(sa, 24) == scopeId);
  }

  /**
   * Whether the address at {@code buf[offset]} equals this one: 4 bytes for {@code AF_INET}, 16 for {@code AF_INET6}
   * (where a 4-byte Java address matches its v4-mapped form).
   */
  boolean matchesAddress(int family, byte[] buf, int offset) {
    if (family == LinuxConstants.AF_INET) {
      return isV4() && regionEquals(buf, offset, address, 0, 4);
    }
    if (family != LinuxConstants.AF_INET6) {
      return false;
    }
    return isV4()
        ? regionEquals(buf, offset, V4_MAPPED_PREFIX, 0, 12) && regionEquals(buf, offset + 12, address, 0, 4)
        : regionEquals(buf, offset, address, 0, 16);
  }

  /** A big-endian (network order) 16-bit port at {@code buf[offset]}. */
  static int port(byte[] buf, int offset) {
    return ((buf[offset] & 0xff) << 8) | (buf[offset + 1] & 0xff);
  }

  private static boolean regionEquals(byte[] a, int aFrom, byte[] b, int bFrom, int n) {
    for (int i = 0; i < n; i++) {
      if (a[aFrom + i] != b[bFrom + i]) {
        return false;
      }
    }
    return true;
  }
}
