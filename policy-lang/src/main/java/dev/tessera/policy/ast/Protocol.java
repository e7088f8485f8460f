package dev.tessera.policy.ast;

import java.util.Locale;
import java.util.Map;
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

  /** Tailscale's protocol names (KB 1337, proto): name to IANA number. */
  public static final Map<String, Integer> NAMES =
      Map.ofEntries(
          Map.entry("icmp", 1),
          Map.entry("igmp", 2),
          Map.entry("ipv4", 4),
          Map.entry("ip-in-ip", 4),
          Map.entry("tcp", 6),
          Map.entry("egp", 8),
          Map.entry("igp", 9),
          Map.entry("udp", 17),
          Map.entry("gre", 47),
          Map.entry("esp", 50),
          Map.entry("ah", 51),
          Map.entry("ipv6-icmp", 58),
          Map.entry("sctp", 132),
          Map.entry("fc", 133));

  public static final int ICMP = 1;
  public static final int TCP = 6;
  public static final int UDP = 17;
  public static final int ICMPV6 = 58;
  public static final int SCTP = 132;

  public Protocol {
    if (number < 0 || number > 255) {
      throw new IllegalArgumentException("protocol number out of range: " + number);
    }
    if (name != null && !Integer.valueOf(number).equals(NAMES.get(name))) {
      throw new IllegalArgumentException("protocol name " + name + " is not " + number);
    }
  }

  /** Parses a name (case-insensitive) or a decimal 0-255 without leading zeros. */
  public static Optional<Protocol> parse(String text) {
    if (text == null || text.isEmpty()) {
      return Optional.empty();
    }
    String lower = text.toLowerCase(Locale.ROOT);
    Integer byName = NAMES.get(lower);
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
    return number == TCP || number == UDP || number == SCTP;
  }

  /** The spelling as written: the name, else the number. */
  @Override
  public String toString() {
    return name != null ? name : Integer.toString(number);
  }
}
