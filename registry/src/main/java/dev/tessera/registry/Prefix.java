package dev.tessera.registry;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Optional;

/**
 * An IP prefix in canonical form (host bits zero), IPv4 or IPv6: what routes and address pools are.
 * Parsed from literals only, never through DNS.
 */
public record Prefix(InetAddress address, int length) {

  public Prefix {
    int max = address.getAddress().length * 8;
    if (length < 0 || length > max) {
      throw new IllegalArgumentException("prefix length " + length + " out of 0.." + max);
    }
  }

  /** Parses {@code 10.0.0.0/24} or {@code fd00::/64}; empty if malformed or host bits are set. */
  public static Optional<Prefix> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    int slash = text.indexOf('/');
    if (slash <= 0 || slash == text.length() - 1) {
      return Optional.empty();
    }
    String addr = text.substring(0, slash);
    String len = text.substring(slash + 1);
    if (!len.chars().allMatch(c -> c >= '0' && c <= '9') || len.length() > 3) {
      return Optional.empty();
    }
    InetAddress a;
    try {
      if (!addr.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
        return Optional.empty();
      }
      a = InetAddress.ofLiteral(addr);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    int l = Integer.parseInt(len);
    int bits = a.getAddress().length * 8;
    if (l > bits || (a instanceof Inet4Address) != !addr.contains(":")) {
      return Optional.empty();
    }
    Prefix p = new Prefix(a, l);
    return p.base().equals(p.value()) ? Optional.of(p) : Optional.empty();
  }

  public boolean isIpv4() {
    return address instanceof Inet4Address;
  }

  public int bits() {
    return address.getAddress().length * 8;
  }

  /** How many addresses the prefix holds. */
  public BigInteger size() {
    return BigInteger.ONE.shiftLeft(bits() - length);
  }

  /** The address as an unsigned number. */
  public BigInteger value() {
    return new BigInteger(1, address.getAddress());
  }

  /** The first address of the prefix as a number (the address with host bits cleared). */
  public BigInteger base() {
    BigInteger v = value();
    return v.shiftRight(bits() - length).shiftLeft(bits() - length);
  }

  /** The address {@code offset} after the first one. */
  public InetAddress at(BigInteger offset) {
    return toAddress(base().add(offset), bits() / 8);
  }

  public boolean contains(InetAddress a) {
    if (a.getAddress().length * 8 != bits()) {
      return false;
    }
    BigInteger v = new BigInteger(1, a.getAddress());
    return v.shiftRight(bits() - length).equals(base().shiftRight(bits() - length));
  }

  static InetAddress toAddress(BigInteger value, int bytes) {
    byte[] raw = value.toByteArray();
    byte[] out = new byte[bytes];
    int n = Math.min(raw.length, bytes);
    System.arraycopy(raw, raw.length - n, out, bytes - n, n);
    try {
      return InetAddress.getByAddress(out);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e); // only thrown for a wrong length
    }
  }

  /** Canonical text: {@code 100.64.0.0/10}, {@code fd7a:115c:a1e0::/48}. */
  @Override
  public String toString() {
    return format(address) + "/" + length;
  }

  /** An address in canonical text (IPv6 compressed, lowercase). */
  public static String format(InetAddress a) {
    if (a instanceof Inet4Address) {
      return a.getHostAddress();
    }
    byte[] b = a.getAddress();
    int[] w = new int[8];
    for (int i = 0; i < 8; i++) {
      w[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLen = 1;
    for (int i = 0; i < 8; ) {
      if (w[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && w[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(w[i]));
    }
    return sb.toString();
  }
}
