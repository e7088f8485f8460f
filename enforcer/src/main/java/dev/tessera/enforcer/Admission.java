package dev.tessera.enforcer;

import dev.tessera.enforcer.rules.RuleTable;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.net.IpProtocol;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one destination admits, from whom: the answer of {@link Reachability#to} (one address) or
 * {@link Reachability#toEvery} (every address of a prefix, by the same rule).
 *
 * <p>Sources are partitioned into <em>source classes</em>: the rows of the Matcher's source table.
 * Every address of a class is admitted on the same protocols, ports and rules, so a tool asks once
 * per class and looks up each source's class ({@link #sourceClass}, the Matcher's own lookup, or
 * {@link #sourceClasses} for many addresses at once). {@link #access(int)} reads the class's row
 * against the destination's port rows of every protocol, exactly the two bitsets the packet path
 * intersects, so the answer for a packet is {@link Matcher#explain}'s.
 *
 * <p>Thread-safe: per-class answers are computed on first use and kept (a race computes the same
 * immutable list twice).
 */
public final class Admission {
  private static final int[] NO_CLASSES = {};

  private final RuleTable table;
  private final boolean ipv6;

  /** Destination classes a rule must cover (one for an address); empty: nothing is admitted. */
  private final int[] classes;

  private final int[] protocols;
  private final List<?>[] memo;

  Admission(RuleTable table, boolean ipv6, int[] classes) {
    this.table = table;
    this.ipv6 = ipv6;
    this.classes = classes;
    this.protocols = classes.length == 0 ? NO_CLASSES : table.protocols();
    this.memo = new List<?>[classes.length == 0 ? 0 : table.srcRows()];
  }

  static Admission none(RuleTable table, boolean ipv6) {
    return new Admission(table, ipv6, NO_CLASSES);
  }

  /** The destination's address family; sources of the other family are never admitted. */
  public boolean ipv6() {
    return ipv6;
  }

  /** Number of source classes (class ids are 0 .. classes() - 1). */
  public int classes() {
    return memo.length;
  }

  /** The source class of {@code src} (the Matcher's source lookup), or -1: nothing admitted. */
  int sourceClass(IpAddress src) {
    if (memo.length == 0 || src.ipv6() != ipv6) {
      return -1;
    }
    return ipv6 ? table.srcRow6(src.hi(), src.lo()) : table.srcRow4(src.v4());
  }

  /**
   * The source class of every address of {@code book}, in the book's order (-1: nothing admitted):
   * one merged pass over the sorted addresses and the source intervals.
   */
  int[] sourceClasses(AddressBook book) {
    int[] out = new int[book.size()];
    Arrays.fill(out, -1);
    if (memo.length == 0) {
      return out;
    }
    int[] order = ipv6 ? book.order6 : book.order4;
    long[] his = ipv6 ? book.hi6 : book.hi4;
    long[] los = ipv6 ? book.lo6 : book.lo4;
    int n = table.srcIntervals();
    int j = -1; // the last interval whose start is <= the current address
    for (int k = 0; k < order.length; k++) {
      long hi = his[k];
      long lo = los[k];
      while (j + 1 < n
          && compare(table.srcIntervalHi(j + 1), table.srcIntervalLo(j + 1), hi, lo) <= 0) {
        j++;
      }
      out[order[k]] = j < 0 ? -1 : table.srcIntervalRow(j);
    }
    return out;
  }

  /**
   * The addresses of a book that are admitted something: {@code addresses} are indices into the
   * book, ascending; {@code classes} their source classes.
   */
  public record Admitted(int[] addresses, int[] classes) {
    public int size() {
      return addresses.length;
    }
  }

  /**
   * The addresses of {@code book} admitted something, with their classes. One pass over the source
   * intervals, and for each interval whose class is admitted something, a binary search into the
   * book's sorted addresses: the cost follows who is admitted, not the book's size (a matrix asks
   * this for every destination of a large tailnet).
   */
  public Admitted admitted(AddressBook book) {
    if (memo.length == 0) {
      return new Admitted(NO_CLASSES, NO_CLASSES);
    }
    int[] order = ipv6 ? book.order6 : book.order4;
    long[] his = ipv6 ? book.hi6 : book.hi4;
    long[] los = ipv6 ? book.lo6 : book.lo4;
    int m = order.length;
    long[] found = new long[16];
    int count = 0;
    int n = table.srcIntervals();
    for (int i = 0; i < n; i++) {
      int row = table.srcIntervalRow(i);
      if (row < 0 || access(row).isEmpty()) {
        continue;
      }
      int k = lowerBound(his, los, m, table.srcIntervalHi(i), table.srcIntervalLo(i));
      boolean last = i + 1 == n;
      long endHi = last ? 0 : table.srcIntervalHi(i + 1);
      long endLo = last ? 0 : table.srcIntervalLo(i + 1);
      for (; k < m && (last || compare(his[k], los[k], endHi, endLo) < 0); k++) {
        if (count == found.length) {
          found = Arrays.copyOf(found, count * 2);
        }
        found[count++] = (long) order[k] << 32 | row;
      }
    }
    Arrays.sort(found, 0, count); // by book index (both halves are non-negative)
    int[] addresses = new int[count];
    int[] classes = new int[count];
    for (int k = 0; k < count; k++) {
      addresses[k] = (int) (found[k] >>> 32);
      classes[k] = (int) found[k];
    }
    return new Admitted(addresses, classes);
  }

  /** The first of the m sorted addresses that is >= (hi, lo). */
  private static int lowerBound(long[] his, long[] los, int m, long hi, long lo) {
    int a = 0;
    int b = m;
    while (a < b) {
      int mid = (a + b) >>> 1;
      if (compare(his[mid], los[mid], hi, lo) < 0) {
        a = mid + 1;
      } else {
        b = mid;
      }
    }
    return a;
  }

  /**
   * What sources of class {@code sourceClass} are admitted on, by protocol then port; empty for -1.
   */
  @SuppressWarnings("unchecked")
  public List<Access> access(int sourceClass) {
    if (sourceClass < 0) {
      return List.of();
    }
    List<Access> a = (List<Access>) memo[sourceClass];
    if (a == null) {
      a = compute(sourceClass);
      memo[sourceClass] = a;
    }
    return a;
  }

  /** What {@code src} is admitted on. */
  public List<Access> accessFrom(IpAddress src) {
    return access(sourceClass(src));
  }

  /**
   * What every address of {@code src} is admitted on by the same rule: the access of each source
   * class the prefix overlaps, intersected (rules included). Empty when part of the prefix is
   * admitted nothing.
   */
  public List<Access> accessFromEvery(IpPrefix src) {
    if (memo.length == 0 || src.ipv6() != ipv6) {
      return List.of();
    }
    int i = table.srcInterval(src.hi(), src.lo());
    if (i < 0) {
      return List.of();
    }
    long lastHi = src.lastHi();
    long lastLo = src.lastLo();
    int n = table.srcIntervals();
    List<Access> acc = null;
    for (;
        i < n
            && (acc == null
                || compare(table.srcIntervalHi(i), table.srcIntervalLo(i), lastHi, lastLo) <= 0);
        i++) {
      List<Access> one = access(table.srcIntervalRow(i));
      acc = acc == null ? one : intersect(acc, one);
      if (acc.isEmpty()) {
        return acc;
      }
    }
    return acc;
  }

  /** Sources, as prefixes, that are admitted the same access. */
  public record Reach(List<IpPrefix> sources, List<Access> access) {
    public Reach {
      sources = List.copyOf(sources);
      access = List.copyOf(access);
    }
  }

  /**
   * Everything admitted, enumerated: one entry per source class that is admitted something, its
   * addresses as the fewest prefixes, ordered by first source address. Every source not in an entry
   * is admitted nothing.
   */
  public List<Reach> reaches() {
    Map<Integer, List<IpPrefix>> byClass = new LinkedHashMap<>();
    int n = memo.length == 0 ? 0 : table.srcIntervals();
    for (int i = 0; i < n; i++) {
      int row = table.srcIntervalRow(i);
      if (row < 0 || access(row).isEmpty()) {
        continue;
      }
      BigInteger first = unsigned(table.srcIntervalHi(i), table.srcIntervalLo(i));
      BigInteger last =
          i + 1 < n
              ? unsigned(table.srcIntervalHi(i + 1), table.srcIntervalLo(i + 1))
                  .subtract(BigInteger.ONE)
              : BigInteger.ONE.shiftLeft(ipv6 ? 128 : 32).subtract(BigInteger.ONE);
      cover(first, last, byClass.computeIfAbsent(row, k -> new ArrayList<>()));
    }
    List<Reach> out = new ArrayList<>();
    byClass.forEach((row, prefixes) -> out.add(new Reach(prefixes, access(row))));
    return out;
  }

  // ---- computation ----

  private List<Access> compute(int row) {
    List<Access> acc = null;
    for (int cls : classes) {
      List<Access> one = forClass(row, cls);
      acc = acc == null ? one : intersect(acc, one);
      if (acc.isEmpty()) {
        break;
      }
    }
    return acc == null ? List.of() : acc;
  }

  /**
   * One destination class: per protocol, the port intervals whose rows share rules with the source
   * row. Portless protocols are looked up at port 0 by the packet path, so only the interval
   * starting at 0 counts for them, and it stands for every packet of the protocol.
   */
  private List<Access> forClass(int row, int cls) {
    List<Access> out = new ArrayList<>();
    List<Integer> rules = new ArrayList<>();
    for (int p : protocols) {
      int n = table.portIntervals(cls, p);
      boolean ported = IpProtocol.hasPorts(p);
      for (int i = 0; i < n; i++) {
        int first = table.portIntervalStart(cls, p, i);
        if (!ported && first != 0) {
          break;
        }
        int d = table.portIntervalRow(cls, p, i);
        if (d >= 0 && table.intersects(row, d)) {
          int last = ported && i + 1 < n ? table.portIntervalStart(cls, p, i + 1) - 1 : 65535;
          rules.clear();
          table.collect(row, d, rules);
          append(out, p, ported ? first : 0, last, toArray(rules));
        }
        if (!ported) {
          break;
        }
      }
    }
    return List.copyOf(out);
  }

  /** The pieces allowed by both lists with rules in both, rules intersected. */
  static List<Access> intersect(List<Access> a, List<Access> b) {
    List<Access> out = new ArrayList<>();
    int i = 0;
    int j = 0;
    while (i < a.size() && j < b.size()) {
      Access x = a.get(i);
      Access y = b.get(j);
      if (x.protocol() != y.protocol()) {
        if (x.protocol() < y.protocol()) {
          i++;
        } else {
          j++;
        }
        continue;
      }
      int lo = Math.max(x.firstPort(), y.firstPort());
      int hi = Math.min(x.lastPort(), y.lastPort());
      if (lo <= hi) {
        int[] rs = common(x.ruleArray(), y.ruleArray());
        if (rs.length > 0) {
          append(out, x.protocol(), lo, hi, rs);
        }
      }
      if (x.lastPort() < y.lastPort()) {
        i++;
      } else {
        j++;
      }
    }
    return List.copyOf(out);
  }

  /** Appends, merging with the previous piece when it continues it with the same rules. */
  private static void append(List<Access> out, int proto, int first, int last, int[] rules) {
    if (!out.isEmpty()) {
      Access prev = out.getLast();
      if (prev.protocol() == proto && prev.lastPort() + 1 == first && prev.sameRules(rules)) {
        out.set(out.size() - 1, new Access(proto, prev.firstPort(), last, rules));
        return;
      }
    }
    out.add(new Access(proto, first, last, rules));
  }

  private static int[] common(int[] a, int[] b) {
    int[] out = new int[Math.min(a.length, b.length)];
    int n = 0;
    for (int i = 0, j = 0; i < a.length && j < b.length; ) {
      if (a[i] == b[j]) {
        out[n++] = a[i];
        i++;
        j++;
      } else if (a[i] < b[j]) {
        i++;
      } else {
        j++;
      }
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }

  private static int[] toArray(List<Integer> l) {
    int[] a = new int[l.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = l.get(i);
    }
    return a;
  }

  /** Unsigned 128-bit comparison of (aHi, aLo) and (bHi, bLo). */
  private static int compare(long aHi, long aLo, long bHi, long bLo) {
    int c = Long.compareUnsigned(aHi, bHi);
    return c != 0 ? c : Long.compareUnsigned(aLo, bLo);
  }

  private static BigInteger unsigned(long hi, long lo) {
    return new BigInteger(Long.toUnsignedString(hi))
        .shiftLeft(64)
        .or(new BigInteger(Long.toUnsignedString(lo)));
  }

  /** Appends the fewest prefixes covering exactly [first, last]. */
  private void cover(BigInteger first, BigInteger last, List<IpPrefix> out) {
    int width = ipv6 ? 128 : 32;
    BigInteger cur = first;
    while (cur.compareTo(last) <= 0) {
      int k = cur.signum() == 0 ? width : Math.min(width, cur.getLowestSetBit());
      while (k > 0
          && cur.add(BigInteger.ONE.shiftLeft(k)).subtract(BigInteger.ONE).compareTo(last) > 0) {
        k--;
      }
      long hi = cur.shiftRight(64).longValue();
      long lo = cur.longValue();
      out.add(
          ipv6
              ? IpPrefix.of(IpAddress.ofV6(hi, lo), width - k)
              : IpPrefix.of(IpAddress.ofV4((int) lo), width - k));
      cur = cur.add(BigInteger.ONE.shiftLeft(k));
    }
  }
}
