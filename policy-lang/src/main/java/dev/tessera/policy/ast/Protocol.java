package dev.tessera.policy.ast;

import dev.tessera.net.IpProtocol;
import java.util.Locale;
import java.util.Optional;

/**
 * An IP protocol: its number and, when written as a name, that name (lower case). {@code tcp} and
 * {@code 6} are different spellings of the same protocol; they compare unequal so printers keep the
 * author's choice, and {@link #number()} is what the compiler uses. A rule without {@code proto}
 * has no Protocol at all (Tailscale's default: TCP, UDP, ICMP, ICMPv6).
 *
 * @param name the spelled name, or {@code null} when written as a number
 */
public record Protocol(int number, String name) {

  public Protocol {
    if (number < 0 || number > 255) {
      throw new IllegalArgumentException("protocol number out of range: " + number);
    }
    if (name != null && !Integer.valueOf(number).equals(IpProtocol.NAMES.get(name))) {
      throw new IllegalArgumentException("protocol name " + name + " is not " + number);
    }
  }

  /** Parses a name (case-insensitive) or a decimal 0-255 without leading zeros. */
  public static Optional<Protocol> parse(String text) {
    if (text == null || text.isEmpty()) {
      return Optional.empty();
    }
    String lower = text.toLowerCase(Locale.ROOT);
    Integer byName = IpProtocol.NAMES.get(lower);
    if (byName != null) {
      return Optional.of(new Protocol(byName, lower));
    }
    if (text.length() > 3 || (text.length() > 1 && text.charAt(0) == '0')) {
      return Optional.empty();
    }
    int v = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return Optional.empty();
      }
      v = v * 10 + (c - '0');
    }
    return v <= 255 ? Optional.of(new Protocol(v, null)) : Optional.empty();
  }

  public static Protocol number(int n) {
    return new Protocol(n, null);
  }

  public static Protocol named(String name) {
    return parse(name)
        .filter(p -> p.name != null)
        .orElseThrow(() -> new IllegalArgumentException(name));
  }

  /** Only TCP, UDP and SCTP carry ports; every other protocol needs the {@code *} port. */
  public boolean supportsPorts() {
    return IpProtocol.hasPorts(number);
  }

  /** The spelling as written: the name, else the number. */
  @Override
  public String toString() {
    return name != null ? name : Integer.toString(number);
  }
}
