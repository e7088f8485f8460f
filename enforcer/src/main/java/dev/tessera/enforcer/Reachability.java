package dev.tessera.enforcer;

import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.rules.RuleTable;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import java.util.Arrays;
import java.util.Objects;

/**
 * "Who can reach what": for a destination of a compiled filter, every (source, protocol, port
 * range) it admits as a new flow, with the granting rules — read off the {@link Matcher}'s own
 * tables, so that {@code matrix}, {@code diff} and {@code lint} state exactly what the agent's
 * packet path decides.
 *
 * <p>How: the Matcher admits a packet iff the row of its source interval and the row of its
 * (destination interval, protocol, port interval) share a rule. For one destination the destination
 * side is fixed (one destination class), so the admitted set is, per source row, the port intervals
 * of each protocol whose rows meet that source row. Source rows are few (addresses with the same
 * rule membership share one), so a destination's whole answer is a handful of lists, however many
 * sources there are ({@link Admission}).
 *
 * <p>Immutable and thread-safe; costs nothing until asked.
 */
public final class Reachability {
  private final Matcher matcher;

  private Reachability(Matcher matcher) {
    this.matcher = matcher;
  }

  public static Reachability of(Matcher matcher) {
    return new Reachability(Objects.requireNonNull(matcher, "matcher"));
  }

  public Matcher matcher() {
    return matcher;
  }

  public CompiledFilter filter() {
    return matcher.filter();
  }

  /** What new flows to {@code dst} the filter admits, by source. */
  public Admission to(IpAddress dst) {
    RuleTable t = matcher.table(dst.ipv6());
    int i = t.dstInterval(dst.hi(), dst.lo());
    int cls = i < 0 ? -1 : t.dstIntervalClass(i);
    return cls < 0 ? Admission.none(t, dst.ipv6()) : new Admission(t, dst.ipv6(), new int[] {cls});
  }

  /**
   * What the filter admits to every address of {@code dst} by the same rule (a subnet behind a
   * router: the access each rule grants to the whole subnet). For a host prefix this is {@link #to}
   * its address.
   */
  public Admission toEvery(IpPrefix dst) {
    RuleTable t = matcher.table(dst.ipv6());
    int i = t.dstInterval(dst.hi(), dst.lo());
    if (i < 0) {
      return Admission.none(t, dst.ipv6());
    }
    long lastHi = dst.lastHi();
    long lastLo = dst.lastLo();
    int n = t.dstIntervals();
    int[] classes = new int[4];
    int k = 0;
    for (boolean first = true; i < n; i++, first = false) {
      if (!first) {
        int c = Long.compareUnsigned(t.dstIntervalHi(i), lastHi);
        if (c > 0 || (c == 0 && Long.compareUnsigned(t.dstIntervalLo(i), lastLo) > 0)) {
          break;
        }
      }
      int cls = t.dstIntervalClass(i);
      if (cls < 0) {
        return Admission.none(t, dst.ipv6()); // part of the prefix is admitted nothing
      }
      if (k == classes.length) {
        classes = Arrays.copyOf(classes, k * 2);
      }
      classes[k++] = cls;
    }
    int[] distinct = Arrays.stream(classes, 0, k).distinct().toArray();
    return new Admission(t, dst.ipv6(), distinct);
  }
}
