package dev.tessera.compiler.ipset;

import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable set of IPv4 and IPv6 addresses, kept as sorted, disjoint, non-adjacent inclusive
 * ranges per family.
 *
 * <p>Design note: every address is a 128-bit unsigned number (hi, lo); IPv4 uses hi = 0 and the low
 * 32 bits of lo, in a separate array so the families never mix. A range is four longs {@code
 * [startHi, startLo, endHi, endLo]}. All set operations are linear merges over the sorted arrays,
 * so a union of n host addresses costs O(n log n) once (in {@link Builder}) and every later
 * operation is linear. {@link #toPrefixes()} yields the minimal CIDR cover of each range (the
 * classic "largest aligned block that fits" walk), which is what the compiler's normalize pass
 * emits: adjacent prefixes merged, duplicates gone. Equality is by content (the canonical ranges),
 * so two sets built from entries in different orders are equal.
 */
public final class IpSet {
  private static final long[] NONE = new long[0];
  private static final long V4_MAX = 0xFFFF_FFFFL;

  public static final IpSet EMPTY = new IpSet(NONE, NONE);

  /** 0.0.0.0/0 and ::/0. */
  public static final IpSet ALL =
      new IpSet(new long[] {0, 0, 0, V4_MAX}, new long[] {0, 0, -1L, -1L});

  private final long[] v4;
  private final long[] v6;
  private int hash;

  private IpSet(long[] v4, long[] v6) {
    this.v4 = v4;
    this.v6 = v6;
  }

  public static IpSet of(IpPrefix... prefixes) {
    Builder b = builder();
    for (IpPrefix p : prefixes) {
      b.add(p);
    }
    return b.build();
  }

  public static IpSet of(Iterable<IpPrefix> prefixes) {
    Builder b = builder();
    for (IpPrefix p : prefixes) {
      b.add(p);
    }
    return b.build();
  }

  public static IpSet range(IpAddress first, IpAddress last) {
    return builder().addRange(first, last).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public boolean isEmpty() {
    return v4.length == 0 && v6.length == 0;
  }

  /** Number of disjoint ranges (both families). */
  public int rangeCount() {
    return (v4.length + v6.length) / 4;
  }

  public boolean contains(IpAddress a) {
    long[] r = a.ipv6() ? v6 : v4;
    return find(r, a.hi(), a.lo()) >= 0;
  }

  /** True if every address of {@code p} is in this set. */
  public boolean contains(IpPrefix p) {
    long[] r = p.ipv6() ? v6 : v4;
    int i = find(r, p.hi(), p.lo());
    return i >= 0 && cmp(p.lastHi(), p.lastLo(), r[i + 2], r[i + 3]) <= 0;
  }

  /** True if some address of {@code p} is in this set (binary search, no allocation). */
  public boolean overlaps(IpPrefix p) {
    long[] r = p.ipv6() ? v6 : v4;
    long lastHi = p.lastHi();
    long lastLo = p.lastLo();
    // First range whose end >= p's start; it overlaps iff its start <= p's end.
    int lo = 0;
    int hi = r.length / 4;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      int b = mid * 4;
      if (cmp(r[b + 2], r[b + 3], p.hi(), p.lo()) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo == r.length / 4) {
      return false;
    }
    int b = lo * 4;
    return cmp(r[b], r[b + 1], lastHi, lastLo) <= 0;
  }

  /** True if the sets share an address: binary searches from the smaller set, no allocation. */
  public boolean overlaps(IpSet o) {
    return overlapsRanges(v4, o.v4) || overlapsRanges(v6, o.v6);
  }

  private static boolean overlapsRanges(long[] a, long[] b) {
    if (a.length == 0 || b.length == 0) {
      return false;
    }
    long[] small = a.length <= b.length ? a : b;
    long[] big = small == a ? b : a;
    for (int k = 0; k < small.length; k += 4) {
      int j = firstEndingAtOrAfter(big, small[k], small[k + 1]);
      if (j < big.length && cmp(big[j], big[j + 1], small[k + 2], small[k + 3]) <= 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * Offset (multiple of 4) of the first range of {@code r} whose end is >= (hi, lo), or r.length.
   */
  private static int firstEndingAtOrAfter(long[] r, long hi, long lo) {
    int low = 0;
    int high = r.length / 4;
    while (low < high) {
      int mid = (low + high) >>> 1;
      int b = mid * 4;
      if (cmp(r[b + 2], r[b + 3], hi, lo) < 0) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low * 4;
  }

  /**
   * Intersection when one list is much shorter than the other (the compiler's common case: a user's
   * few addresses against a rule's sources with thousands of ranges): for each short range, binary
   * search the long list and clip the ranges it spans. O(short * log long + output) instead of the
   * sweep's O(short + long). Both inputs are canonical (sorted, disjoint, non-adjacent), so the
   * clipped pieces are too, and the result is the sweep's exactly.
   */
  private static long[] intersectSkewed(long[] small, long[] big) {
    RangeOut out = new RangeOut(small.length);
    for (int k = 0; k < small.length; k += 4) {
      long sHi = small[k];
      long sLo = small[k + 1];
      long eHi = small[k + 2];
      long eLo = small[k + 3];
      for (int j = firstEndingAtOrAfter(big, sHi, sLo);
          j < big.length && cmp(big[j], big[j + 1], eHi, eLo) <= 0;
          j += 4) {
        boolean startInside = cmp(big[j], big[j + 1], sHi, sLo) >= 0;
        boolean endInside = cmp(big[j + 2], big[j + 3], eHi, eLo) <= 0;
        out.add(
            startInside ? big[j] : sHi,
            startInside ? big[j + 1] : sLo,
            endInside ? big[j + 2] : eHi,
            endInside ? big[j + 3] : eLo);
      }
    }
    return out.toArray();
  }

  private static long[] intersectRanges(long[] a, long[] b, boolean ipv6) {
    if (a.length == 0 || b.length == 0) {
      return NONE;
    }
    if (a.length * 8 <= b.length) {
      return intersectSkewed(a, b);
    }
    if (b.length * 8 <= a.length) {
      return intersectSkewed(b, a);
    }
    return combine(a, b, Op.INTERSECT, ipv6);
  }

  /** True if this set contains every address of {@code o}. */
  public boolean containsAll(IpSet o) {
    return o.subtract(this).isEmpty();
  }

  /** Index of the range containing (hi, lo), or -1. Binary search over range starts. */
  private static int find(long[] r, long hi, long lo) {
    int lowI = 0;
    int highI = r.length / 4 - 1;
    while (lowI <= highI) {
      int mid = (lowI + highI) >>> 1;
      int b = mid * 4;
      if (cmp(hi, lo, r[b], r[b + 1]) < 0) {
        highI = mid - 1;
      } else if (cmp(hi, lo, r[b + 2], r[b + 3]) > 0) {
        lowI = mid + 1;
      } else {
        return b;
      }
    }
    return -1;
  }

  public IpSet union(IpSet o) {
    if (o.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return o;
    }
    return new IpSet(combine(v4, o.v4, Op.UNION, false), combine(v6, o.v6, Op.UNION, true));
  }

  public IpSet intersect(IpSet o) {
    if (isEmpty() || o.isEmpty()) {
      return EMPTY;
    }
    long[] r4 = intersectRanges(v4, o.v4, false);
    long[] r6 = intersectRanges(v6, o.v6, true);
    return r4.length == 0 && r6.length == 0 ? EMPTY : new IpSet(r4, r6);
  }

  public IpSet subtract(IpSet o) {
    if (isEmpty() || o.isEmpty()) {
      return this;
    }
    return new IpSet(combine(v4, o.v4, Op.SUBTRACT, false), combine(v6, o.v6, Op.SUBTRACT, true));
  }

  /** Only the IPv4 (false) or IPv6 (true) part. */
  public IpSet family(boolean ipv6) {
    return ipv6 ? new IpSet(NONE, v6) : new IpSet(v4, NONE);
  }

  private enum Op {
    UNION,
    INTERSECT,
    SUBTRACT
  }

  /**
   * {@code op} over two range lists: a {@link #sweep}, or a window of it when one side is short.
   */
  private static long[] combine(long[] a, long[] b, Op op, boolean ipv6) {
    if (a.length == 0 && b.length == 0) {
      return NONE;
    }
    if (op == Op.UNION && a.length < b.length) {
      long[] t = a; // union is symmetric: the long list is the one copied around the window
      a = b;
      b = t;
    }
    if (op != Op.INTERSECT && b.length > 0 && a.length >= 256 && b.length * 16 <= a.length) {
      return combineWindow(a, b, op, ipv6);
    }
    return sweep(a, b, op, ipv6);
  }

  /**
   * {@link #combine} for a long {@code a} and a short {@code b} (an incremental update adds or cuts
   * one node's addresses in a rule's sources): union and subtract leave {@code a}'s ranges away
   * from {@code b} as they are, so only the window of {@code a} around {@code b}'s span (plus one
   * range each side, the only ones that can touch the result) is swept; the rest is copied.
   */
  private static long[] combineWindow(long[] a, long[] b, Op op, boolean ipv6) {
    int ranges = a.length / 4;
    // First range ending at or after b's first address, minus one; last starting at or before
    // b's last address, plus one.
    int lo = 0;
    int hi = ranges;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cmp(a[mid * 4 + 2], a[mid * 4 + 3], b[0], b[1]) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    int first = Math.max(0, lo - 1);
    lo = 0;
    hi = ranges;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cmp(a[mid * 4], a[mid * 4 + 1], b[b.length - 2], b[b.length - 1]) <= 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    int end = Math.min(ranges, lo + 1); // exclusive
    long[] mid = sweep(Arrays.copyOfRange(a, first * 4, Math.max(first, end) * 4), b, op, ipv6);
    int tail = a.length - end * 4;
    long[] out = new long[first * 4 + mid.length + Math.max(0, tail)];
    System.arraycopy(a, 0, out, 0, first * 4);
    System.arraycopy(mid, 0, out, first * 4, mid.length);
    if (tail > 0) {
      System.arraycopy(a, end * 4, out, first * 4 + mid.length, tail);
    }
    return out;
  }

  /**
   * Sweep over the boundary points of both range lists. Each range contributes +1 at its start and
   * -1 after its end; the output holds the points where the op's predicate is true.
   */
  private static long[] sweep(long[] a, long[] b, Op op, boolean ipv6) {
    if (a.length == 0 && b.length == 0) {
      return NONE;
    }
    // Ranges are disjoint within each list, so a and b each have "inside" state 0/1.
    RangeOut out = new RangeOut(a.length + b.length);
    int i = 0;
    int j = 0;
    boolean inA = false;
    boolean inB = false;
    // Ends are inclusive, so "end + 1" never has to be computed for the top of the space.
    boolean open = false;
    long startHi = 0;
    long startLo = 0;
    while (true) {
      // Next event from a.
      long aHi;
      long aLo;
      boolean aIsEnd;
      boolean aHas = i < a.length;
      if (aHas) {
        aIsEnd = inA;
        aHi = inA ? a[i + 2] : a[i];
        aLo = inA ? a[i + 3] : a[i + 1];
      } else {
        aIsEnd = false;
        aHi = 0;
        aLo = 0;
      }
      boolean bHas = j < b.length;
      long bHi;
      long bLo;
      boolean bIsEnd;
      if (bHas) {
        bIsEnd = inB;
        bHi = inB ? b[j + 2] : b[j];
        bLo = inB ? b[j + 3] : b[j + 1];
      } else {
        bIsEnd = false;
        bHi = 0;
        bLo = 0;
      }
      if (!aHas && !bHas) {
        break;
      }
      // Compare event positions. An end event at x means "inside up to and including x"; a start
      // event at x means "inside from x". Order: start(x) before end(x) is wrong for equality of
      // points: a start at x and an end at x both include x. We process by "effective position":
      // start at x -> boundary before x; end at x -> boundary after x. Compare (pos, kind) where
      // start sorts at x-0.5 and end at x+0.5.
      boolean takeA;
      if (!aHas) {
        takeA = false;
      } else if (!bHas) {
        takeA = true;
      } else {
        int c = cmp(aHi, aLo, bHi, bLo);
        if (c != 0) {
          takeA = c < 0;
        } else if (aIsEnd != bIsEnd) {
          takeA = !aIsEnd; // start (x-0.5) before end (x+0.5)
        } else {
          takeA = true;
        }
      }
      boolean before = predicate(op, inA, inB);
      boolean isEnd;
      long hi;
      long lo;
      if (takeA) {
        isEnd = aIsEnd;
        hi = aHi;
        lo = aLo;
        if (inA) {
          i += 4;
        }
        inA = !inA;
      } else {
        isEnd = bIsEnd;
        hi = bHi;
        lo = bLo;
        if (inB) {
          j += 4;
        }
        inB = !inB;
      }
      // Another event at the same point and of the same kind (both starts or both ends) belongs
      // to the same boundary: apply it before judging the transition, or a zero-width range
      // would be emitted.
      if (takeA && bHas && bIsEnd == isEnd && bHi == hi && bLo == lo) {
        if (inB) {
          j += 4;
        }
        inB = !inB;
      } else if (!takeA && aHas && aIsEnd == isEnd && aHi == hi && aLo == lo) {
        if (inA) {
          i += 4;
        }
        inA = !inA;
      }
      boolean after = predicate(op, inA, inB);
      if (before == after) {
        continue;
      }
      if (after) {
        // Output range starts: at x for a start event, at x+1 for an end event.
        if (isEnd) {
          long nlo = lo + 1;
          long nhi = nlo == 0 ? hi + 1 : hi;
          startHi = nhi;
          startLo = nlo;
        } else {
          startHi = hi;
          startLo = lo;
        }
        open = true;
      } else {
        // Output range ends: at x for an end event, at x-1 for a start event.
        long eHi;
        long eLo;
        if (isEnd) {
          eHi = hi;
          eLo = lo;
        } else {
          eLo = lo - 1;
          eHi = lo == 0 ? hi - 1 : hi;
        }
        out.add(startHi, startLo, eHi, eLo);
        open = false;
      }
    }
    if (open) {
      throw new IllegalStateException("unbalanced range sweep");
    }
    return out.toArray();
  }

  private static boolean predicate(Op op, boolean a, boolean b) {
    return switch (op) {
      case UNION -> a || b;
      case INTERSECT -> a && b;
      case SUBTRACT -> a && !b;
    };
  }

  /** Collects output ranges, merging a range that touches the previous one. */
  private static final class RangeOut {
    long[] buf;
    int n;

    RangeOut(int cap) {
      buf = new long[Math.max(4, cap)];
    }

    void add(long sHi, long sLo, long eHi, long eLo) {
      if (n > 0) {
        long pHi = buf[n - 2];
        long pLo = buf[n - 1];
        // adjacent: prev end + 1 == start
        long nLo = pLo + 1;
        long nHi = nLo == 0 ? pHi + 1 : pHi;
        if (nHi == sHi && nLo == sLo || cmp(sHi, sLo, pHi, pLo) <= 0) {
          if (cmp(eHi, eLo, pHi, pLo) > 0) {
            buf[n - 2] = eHi;
            buf[n - 1] = eLo;
          }
          return;
        }
      }
      if (n + 4 > buf.length) {
        buf = Arrays.copyOf(buf, buf.length * 2);
      }
      buf[n++] = sHi;
      buf[n++] = sLo;
      buf[n++] = eHi;
      buf[n++] = eLo;
    }

    long[] toArray() {
      return n == 0 ? NONE : Arrays.copyOf(buf, n);
    }
  }

  static int cmp(long aHi, long aLo, long bHi, long bLo) {
    int c = Long.compareUnsigned(aHi, bHi);
    return c != 0 ? c : Long.compareUnsigned(aLo, bLo);
  }

  /** The minimal list of CIDR prefixes covering exactly this set, IPv4 first, ascending. */
  public List<IpPrefix> toPrefixes() {
    List<IpPrefix> out = new ArrayList<>();
    appendPrefixes(v4, false, out);
    appendPrefixes(v6, true, out);
    return List.copyOf(out);
  }

  /** The inclusive ranges, as (first, last) address pairs, IPv4 first. */
  public List<IpAddress[]> ranges() {
    List<IpAddress[]> out = new ArrayList<>();
    for (int k = 0; k < v4.length; k += 4) {
      out.add(
          new IpAddress[] {new IpAddress(false, 0, v4[k + 1]), new IpAddress(false, 0, v4[k + 3])});
    }
    for (int k = 0; k < v6.length; k += 4) {
      out.add(
          new IpAddress[] {
            new IpAddress(true, v6[k], v6[k + 1]), new IpAddress(true, v6[k + 2], v6[k + 3])
          });
    }
    return out;
  }

  /** Receives a set's inclusive ranges as 128-bit (hi, lo) bounds; IPv4 uses hi = 0. */
  @FunctionalInterface
  public interface RangeVisitor {
    void range(boolean ipv6, long startHi, long startLo, long endHi, long endLo);
  }

  /** The ranges, IPv4 first, ascending, without allocating an address per bound. */
  public void forEachRange(RangeVisitor v) {
    for (int k = 0; k < v4.length; k += 4) {
      v.range(false, 0, v4[k + 1], 0, v4[k + 3]);
    }
    for (int k = 0; k < v6.length; k += 4) {
      v.range(true, v6[k], v6[k + 1], v6[k + 2], v6[k + 3]);
    }
  }

  private static void appendPrefixes(long[] r, boolean ipv6, List<IpPrefix> out) {
    int width = ipv6 ? 128 : 32;
    for (int k = 0; k < r.length; k += 4) {
      long sHi = r[k];
      long sLo = r[k + 1];
      long eHi = r[k + 2];
      long eLo = r[k + 3];
      while (true) {
        // Largest block size 2^s aligned at start and not passing end.
        int tz = trailingZeros(sHi, sLo, ipv6);
        int s = Math.min(tz, width);
        while (s > 0) {
          // block end = start + 2^s - 1
          long[] bEnd = addPow2Minus1(sHi, sLo, s);
          if (cmp(bEnd[0], bEnd[1], eHi, eLo) <= 0) {
            break;
          }
          s--;
        }
        out.add(new IpPrefix(ipv6, sHi, sLo, width - s));
        long[] bEnd = addPow2Minus1(sHi, sLo, s);
        if (bEnd[0] == eHi && bEnd[1] == eLo) {
          break;
        }
        long nLo = bEnd[1] + 1;
        sHi = nLo == 0 ? bEnd[0] + 1 : bEnd[0];
        sLo = ipv6 ? nLo : nLo & V4_MAX;
      }
    }
  }

  private static int trailingZeros(long hi, long lo, boolean ipv6) {
    if (!ipv6) {
      return lo == 0 ? 32 : Long.numberOfTrailingZeros(lo);
    }
    if (lo != 0) {
      return Long.numberOfTrailingZeros(lo);
    }
    return hi == 0 ? 128 : 64 + Long.numberOfTrailingZeros(hi);
  }

  /** (hi, lo) + 2^s - 1, assuming the start is aligned to 2^s (so no carry beyond the block). */
  private static long[] addPow2Minus1(long hi, long lo, int s) {
    if (s == 0) {
      return new long[] {hi, lo};
    }
    if (s < 64) {
      return new long[] {hi, lo | ((1L << s) - 1)};
    }
    if (s == 64) {
      return new long[] {hi, -1L};
    }
    return new long[] {s == 128 ? -1L : hi | ((1L << (s - 64)) - 1), -1L};
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    return o instanceof IpSet s
        && hashCode() == s.hashCode()
        && Arrays.equals(v4, s.v4)
        && Arrays.equals(v6, s.v6);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = 31 * Arrays.hashCode(v4) + Arrays.hashCode(v6);
      hash = h == 0 ? 1 : h;
    }
    return hash;
  }

  /** The prefixes, comma-separated. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (IpPrefix p : toPrefixes()) {
      if (sb.length() > 1) {
        sb.append(", ");
      }
      sb.append(p);
    }
    return sb.append('}').toString();
  }

  /**
   * Accumulates prefixes and ranges in any order; {@link #build()} sorts and merges them once. Not
   * thread-safe.
   */
  public static final class Builder {
    private long[] v4 = new long[16];
    private int n4;
    private long[] v6 = new long[16];
    private int n6;

    private Builder() {}

    public Builder add(IpPrefix p) {
      if (p.ipv6()) {
        push6(p.hi(), p.lo(), p.lastHi(), p.lastLo());
      } else {
        push4(p.lo(), p.lastLo());
      }
      return this;
    }

    public Builder add(IpAddress a) {
      if (a.ipv6()) {
        push6(a.hi(), a.lo(), a.hi(), a.lo());
      } else {
        push4(a.lo(), a.lo());
      }
      return this;
    }

    public Builder addAll(Iterable<IpPrefix> ps) {
      for (IpPrefix p : ps) {
        add(p);
      }
      return this;
    }

    public Builder addRange(IpAddress first, IpAddress last) {
      if (first.ipv6() != last.ipv6() || first.compareTo(last) > 0) {
        throw new IllegalArgumentException("bad range " + first + "-" + last);
      }
      if (first.ipv6()) {
        push6(first.hi(), first.lo(), last.hi(), last.lo());
      } else {
        push4(first.lo(), last.lo());
      }
      return this;
    }

    public Builder addAll(IpSet s) {
      for (int k = 0; k < s.v4.length; k += 4) {
        push4(s.v4[k + 1], s.v4[k + 3]);
      }
      for (int k = 0; k < s.v6.length; k += 4) {
        push6(s.v6[k], s.v6[k + 1], s.v6[k + 2], s.v6[k + 3]);
      }
      return this;
    }

    private void push4(long s, long e) {
      if (n4 + 2 > v4.length) {
        v4 = Arrays.copyOf(v4, v4.length * 2);
      }
      v4[n4++] = s;
      v4[n4++] = e;
    }

    private void push6(long sHi, long sLo, long eHi, long eLo) {
      if (n6 + 4 > v6.length) {
        v6 = Arrays.copyOf(v6, v6.length * 2);
      }
      v6[n6++] = sHi;
      v6[n6++] = sLo;
      v6[n6++] = eHi;
      v6[n6++] = eLo;
    }

    public IpSet build() {
      return new IpSet(merge4(), merge6());
    }

    private long[] merge4() {
      int count = n4 / 2;
      if (count == 0) {
        return NONE;
      }
      // Sort pairs by start: pack (start << 32 | end) into one long; both are unsigned 32-bit.
      long[] packed = new long[count];
      for (int k = 0; k < count; k++) {
        packed[k] = (v4[2 * k] << 32) | v4[2 * k + 1];
      }
      // Starts >= 2^31 set the sign bit of the packed value: sort signed, then rotate.
      Arrays.sort(packed);
      sortUnsigned(packed);
      RangeOut out = new RangeOut(count * 4);
      for (long pk : packed) {
        long s = pk >>> 32;
        long e = pk & V4_MAX;
        out.add(0, s, 0, e);
      }
      return out.toArray();
    }

    private static void sortUnsigned(long[] a) {
      // After a signed sort, negative values (unsigned >= 2^63) come first; rotate them to the end.
      int neg = 0;
      while (neg < a.length && a[neg] < 0) {
        neg++;
      }
      if (neg == 0 || neg == a.length) {
        return;
      }
      long[] copy = a.clone();
      System.arraycopy(copy, neg, a, 0, a.length - neg);
      System.arraycopy(copy, 0, a, a.length - neg, neg);
    }

    private long[] merge6() {
      int count = n6 / 4;
      if (count == 0) {
        return NONE;
      }
      Integer[] idx = new Integer[count];
      for (int k = 0; k < count; k++) {
        idx[k] = k;
      }
      long[] r = v6;
      Arrays.sort(
          idx,
          (x, y) -> {
            int c = cmp(r[4 * x], r[4 * x + 1], r[4 * y], r[4 * y + 1]);
            return c != 0 ? c : cmp(r[4 * x + 2], r[4 * x + 3], r[4 * y + 2], r[4 * y + 3]);
          });
      RangeOut out = new RangeOut(count * 4);
      for (int k : idx) {
        out.add(r[4 * k], r[4 * k + 1], r[4 * k + 2], r[4 * k + 3]);
      }
      return out.toArray();
    }
  }
}
