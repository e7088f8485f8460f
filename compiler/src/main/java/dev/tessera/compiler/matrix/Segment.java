package dev.tessera.compiler.matrix;

import java.util.Arrays;

/**
 * A port interval of one protocol in a cell, with the rules that allow all of it.
 *
 * <p>Segments of a protocol are disjoint and sorted; adjacent segments differ in their rule set or
 * pair count (otherwise they are merged). {@code pairs} counts the (source member, destination
 * member) pairs that have this access; it is 1 in a node-level matrix and up to {@link
 * Cell#totalPairs()} when rows or columns are grouped, so a grouped cell can say "3 of 5 members"
 * instead of hiding that posture or self rules cover only some of them.
 *
 * @param first first port, inclusive (0 for protocols without ports)
 * @param last last port, inclusive
 * @param rules indexes into {@link AccessMatrix#rules()}, ascending, never empty
 * @param pairs member pairs that have this access
 */
public record Segment(int first, int last, int[] rules, int pairs) {
  public Segment {
    if (first < 0 || last > 65535 || first > last) {
      throw new IllegalArgumentException("bad port range " + first + "-" + last);
    }
    rules = rules.clone();
  }

  @Override
  public int[] rules() {
    return rules.clone();
  }

  /** Whether rule index {@code r} allows this segment. */
  boolean grantedBy(int r) {
    return Arrays.binarySearch(rules, r) >= 0;
  }

  boolean sameRules(int[] other) {
    return Arrays.equals(rules, other);
  }

  int ruleCount() {
    return rules.length;
  }

  int rule(int i) {
    return rules[i];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Segment s
        && first == s.first
        && last == s.last
        && pairs == s.pairs
        && Arrays.equals(rules, s.rules);
  }

  @Override
  public int hashCode() {
    return (first * 31 + last) * 31 + Arrays.hashCode(rules) + pairs;
  }

  @Override
  public String toString() {
    return first + "-" + last + Arrays.toString(rules) + "x" + pairs;
  }
}
