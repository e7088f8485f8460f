package dev.tessera.enforcer;

import java.util.Arrays;

/**
 * One protocol and port range that a destination admits from a source, with the rules that admit
 * it: an answer of the {@link Reachability} query.
 *
 * <p>{@code protocol} is an IP protocol number (0-255). For TCP, UDP and SCTP the port range is the
 * destination ports admitted; every other protocol is matched without ports, and its range is
 * always 0-65535. {@code rules} are indices into the filter's {@code rules()}, ascending and never
 * empty: exactly the rules {@link Matcher#explain} names for a packet of this access.
 */
public record Access(int protocol, int firstPort, int lastPort, int[] rules) {

  public Access {
    if (protocol < 0 || protocol > 255) {
      throw new IllegalArgumentException("protocol " + protocol + " out of range 0..255");
    }
    if (firstPort < 0 || lastPort > 65535 || firstPort > lastPort) {
      throw new IllegalArgumentException("bad port range " + firstPort + "-" + lastPort);
    }
    if (rules.length == 0) {
      throw new IllegalArgumentException("an access names at least one rule");
    }
    rules = rules.clone();
  }

  /** The granting rules' indices (a copy). */
  @Override
  public int[] rules() {
    return rules.clone();
  }

  public int ruleCount() {
    return rules.length;
  }

  /** The i-th granting rule's index, ascending in i. */
  public int rule(int i) {
    return rules[i];
  }

  /** Whether {@code port} is in the range (always true for protocols without ports). */
  public boolean containsPort(int port) {
    return port >= firstPort && port <= lastPort;
  }

  boolean sameRules(int[] other) {
    return Arrays.equals(rules, other);
  }

  /** Package access to the array, no copy. */
  int[] ruleArray() {
    return rules;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Access a
        && protocol == a.protocol
        && firstPort == a.firstPort
        && lastPort == a.lastPort
        && Arrays.equals(rules, a.rules);
  }

  @Override
  public int hashCode() {
    return ((protocol * 31 + firstPort) * 31 + lastPort) * 31 + Arrays.hashCode(rules);
  }

  @Override
  public String toString() {
    return protocol
        + ":"
        + (firstPort == lastPort ? Integer.toString(firstPort) : firstPort + "-" + lastPort)
        + " by "
        + Arrays.toString(rules);
  }
}
