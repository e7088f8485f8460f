package dev.tessera.agent.config;

/**
 * wg-quick's {@code Table =} setting: where the routes for AllowedIPs go.
 *
 * <ul>
 *   <li>{@link Auto} (also when absent): the main table; a {@code /0} prefix (full tunnel) goes to
 *       a table of its own, selected by fwmark policy rules (see {@code
 *       dev.tessera.agent.tun.PolicyRouting}).
 *   <li>{@link Off}: no routes at all (the user routes).
 *   <li>{@link Named}: every route, {@code /0} included, into that table (a number or a name from
 *       {@code /etc/iproute2/rt_tables}); no rules (the user writes them), as wg-quick does.
 * </ul>
 */
public sealed interface RouteTable {
  record Auto() implements RouteTable {}

  record Off() implements RouteTable {}

  /**
   * @param name a table number (1..2^32-1) or an iproute2 table name
   */
  record Named(String name) implements RouteTable {
    public Named {
      if (!valid(name)) {
        throw new IllegalArgumentException("not a routing table name or number: '" + name + "'");
      }
    }

    /**
     * Digits, or the characters iproute2 table names use; never anything a shell or ip would split.
     */
    public static boolean valid(String name) {
      return name != null
          && !name.isEmpty()
          && name.length() <= 64
          && name.chars()
              .allMatch(
                  c -> Character.isLetterOrDigit(c) && c < 128 || c == '_' || c == '-' || c == '.');
    }
  }

  RouteTable AUTO = new Auto();
  RouteTable OFF = new Off();

  /** Parses a {@code Table =} value; null when it is not valid. */
  static RouteTable parseOrNull(String value) {
    String v = value.strip();
    if (v.equalsIgnoreCase("auto")) {
      return AUTO;
    }
    if (v.equalsIgnoreCase("off")) {
      return OFF;
    }
    if (v.chars().allMatch(Character::isDigit) && !v.isEmpty()) {
      if (v.length() > 10 || Long.parseLong(v) == 0 || Long.parseLong(v) > 0xffffffffL) {
        return null; // table 0 is "unspecified" to the kernel
      }
      return new Named(Long.toString(Long.parseLong(v)));
    }
    return Named.valid(v) ? new Named(v) : null;
  }
}
