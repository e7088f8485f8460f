package dev.tessera.enforcer.rules;

import java.util.Arrays;

/**
 * Build-time helper: turns a set of (closed) address or port intervals, each carrying a payload
 * number, into the elementary intervals between all their boundaries, with the set of payloads
 * active on each (as a bitset). Points are unsigned 128-bit values (hi, lo); IPv4 addresses and
 * ports use hi = 0. A sweep line over sorted start/end events makes this O(n·passes + n·W).
 *
 * <p>Speed (Matcher.of runs once per destination in {@code policyc test}): events live in parallel
 * primitive arrays and are ordered by an LSD radix sort (counting-sort passes over only the bits
 * that vary, see {@link #sortedEvents}): no comparator, no boxing. Only the order of distinct
 * points matters: all events at one point are applied before that segment is visited.
 */
final class IntervalSweep {

  // once wide: one array per field; ev is payload << 1 | 1 for a start, payload << 1 for an end
  private long[] hi;
  private long[] lo;
  private int[] ev;
  private int n;
  private int payloads;
  private final long topHi;
  private final long topLo;

  /**
   * @param payloads number of distinct payloads (bitset width)
   * @param topHi,topLo the largest point of the space (IPv4: 2^32-1, ports: 65535, IPv6: all ones)
   */
  IntervalSweep(int payloads, long topHi, long topLo) {
    this(payloads, topHi, topLo, 8);
  }

  /**
   * As above, sized for {@code intervals} calls to {@link #add} (growing is what a build spends
   * most on otherwise).
   */
  IntervalSweep(int payloads, long topHi, long topLo, int intervals) {
    this(payloads, topHi, topLo, intervals, null);
  }

  /**
   * As above, taking its event array from {@code buffer} when that has room (a reused build buffer,
   * see {@link BuildScratch}); {@link #buffer()} hands it back, perhaps grown.
   */
  IntervalSweep(int payloads, long topHi, long topLo, int intervals, long[] buffer) {
    if (payloads < 0 || payloads > (1 << 30)) {
      throw new IllegalArgumentException("too many payloads: " + payloads);
    }
    this.payloads = payloads;
    this.topHi = topHi;
    this.topLo = topLo;
    int cap = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(16, 2L * intervals));
    packed = buffer != null && buffer.length >= cap ? buffer : new long[cap];
  }

  /** The packed event array (to reuse after the sweep), or null once the sweep went wide. */
  long[] buffer() {
    return packed;
  }

  /** Events added so far (at most two per interval). */
  int size() {
    return n;
  }

  void add(long firstHi, long firstLo, long lastHi, long lastLo, int payload) {
    event(firstHi, firstLo, payload, 1);
    if (lastHi == topHi && lastLo == topLo) {
      return; // runs to the end of the space: no end event
    }
    long endLo = lastLo + 1;
    long endHi = endLo == 0 ? lastHi + 1 : lastHi;
    event(endHi, endLo, payload, 0);
  }

  /**
   * Adds one rule's intervals of one family from their prepared form: the same events as {@link
   * #add} over them in order, copied in bulk while the points stay within the sweep's shared upper
   * 96 bits (one array pass instead of a call and a check per event).
   */
  void addAll(SourceEvents s, boolean ipv6, int payload) {
    int count = ipv6 ? s.n6 : s.n4;
    long[] ev = ipv6 ? s.packed6 : s.packed4;
    long bHi = ipv6 ? s.baseHi6 : 0;
    long bMid = ipv6 ? s.baseMid6 : 0;
    if (count == 0) {
      return;
    }
    if (ev != null && !wide && (n == 0 || (baseHi == bHi && baseMid == bMid))) {
      if (n == 0) {
        baseHi = bHi;
        baseMid = bMid;
      }
      int m = ipv6 ? s.events6 : s.events4;
      if (n + m > packed.length) {
        packed =
            Arrays.copyOf(packed, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(n + m, n * 2L)));
      }
      long p = (payload << 1) & 0xFFFF_FFFFL;
      for (int k = 0; k < m; k++) {
        packed[n++] = ev[k] | p;
      }
      return;
    }
    for (int k = 0; k < count; k++) {
      if (ipv6) {
        add(s.firstHi6[k], s.firstLo6[k], s.lastHi6[k], s.lastLo6[k], payload);
      } else {
        add(0, s.first4[k], 0, s.last4[k], payload);
      }
    }
  }

  private void event(long h, long l, int payload, int start) {
    int e = payload << 1 | start;
    if (!wide) {
      if (n == 0) {
        baseHi = h;
        baseMid = l >>> 32;
      }
      if (h == baseHi && (l >>> 32) == baseMid) {
        if (n == packed.length) {
          packed = Arrays.copyOf(packed, (int) Math.min(Integer.MAX_VALUE - 8, n * 2L));
        }
        packed[n++] = l << 32 | (e & 0xFFFF_FFFFL);
        return;
      }
      unpack();
    }
    if (n == ev.length) {
      int cap = (int) Math.min(Integer.MAX_VALUE - 8, n * 2L);
      hi = Arrays.copyOf(hi, cap);
      lo = Arrays.copyOf(lo, cap);
      ev = Arrays.copyOf(ev, cap);
    }
    hi[n] = h;
    lo[n] = l;
    ev[n] = e;
    n++;
  }

  /** The first point outside the shared upper 96 bits: from now on, one array per field. */
  private void unpack() {
    int cap = Math.max(16, packed.length);
    hi = new long[cap];
    lo = new long[cap];
    ev = new int[cap];
    for (int i = 0; i < n; i++) {
      long k = packed[i];
      hi[i] = baseHi;
      lo[i] = baseMid << 32 | k >>> 32;
      ev[i] = (int) k;
    }
    packed = null;
    wide = true;
  }

  /**
   * Whether the points differ above their low 32 bits. If not (IPv4, ports, and IPv6 sources inside
   * one /96, as tailnet hosts are: Tailscale's fd7a:115c:a1e0:ab12:4843:cd96::/96), the points are
   * (baseHi, baseMid, low 32 bits) and the sweep packs them; otherwise events are sorted through an
   * index permutation.
   */
  private boolean wide;

  private long baseHi;
  private long baseMid;

  /** While not wide: event i as {@code low 32 bits of the point << 32 | event}. */
  private long[] packed;

  /**
   * Sets the number of payloads when it was not known at construction (a builder that numbers
   * payloads while adding intervals); every payload added must be below it.
   */
  void payloads(int count) {
    if (count < 0 || count > (1 << 30)) {
      throw new IllegalArgumentException("too many payloads: " + count);
    }
    this.payloads = count;
  }

  /** Receives each elementary interval: its start and the payloads active on it. */
  interface Visitor {
    /** {@code active} is live (reused for the next segment): copy it to keep it. */
    void segment(long hi, long lo, long[] active);
  }

  /** Visits the segments in ascending order; a segment's active set may be empty (a gap). */
  void sweep(Visitor visitor) {
    if (!wide) {
      sweepNarrow(visitor);
      return;
    }
    int[] order = sortedEvents();
    int words = (payloads + 63) >>> 6;
    int[] count = new int[payloads];
    long[] active = new long[words];
    int i = 0;
    while (i < n) {
      long h = hi[order[i]];
      long l = lo[order[i]];
      while (i < n && hi[order[i]] == h && lo[order[i]] == l) {
        int e = ev[order[i]];
        int p = e >>> 1;
        count[p] += (e & 1) != 0 ? 1 : -1;
        if (count[p] > 0) {
          active[p >>> 6] |= 1L << p;
        } else {
          active[p >>> 6] &= ~(1L << p);
        }
        i++;
      }
      visitor.segment(h, l, active);
    }
  }

  /**
   * As {@link #sweep} with a visitor that interns each segment's active set in {@code pool} and
   * appends (start, row) to {@code out} (which merges a row equal to the previous one): the source
   * side of every rule table. For narrow points and one-word rows (up to 64 rules) the set is a
   * single long: the sweep records (point, set) pairs in one branch-light pass ({@link
   * #segmentSets}) and then interns them, without an array or a visitor call per segment. {@code
   * out} is cleared first.
   */
  void sweepRows(RowPool pool, RuleTable.Segments out, BuildScratch scratch) {
    if (wide || pool.words() != 1 || payloads > 64) {
      out.clear();
      sweep((h, l, active) -> out.add(h, l, pool.intern(active)));
      return;
    }
    long[] keys = packed;
    scratch.sortTmp = BuildScratch.room(scratch.sortTmp, n);
    sortByHighHalf(keys, n, scratch.sortTmp, scratch.radixCount);
    out.clear();
    out.ensure(n);
    long[] sets = scratch.sets = BuildScratch.room(scratch.sets, Math.max(1, n));
    int segs = segmentSets(keys, n, new int[Math.max(1, payloads)], out.lo, sets);
    // Interning is left to a second pass over the (fewer) segments, whose sets are distinct
    // from their neighbours', so the first pass has no calls and almost no branches.
    long lo = baseMid << 32;
    for (int k = 0; k < segs; k++) {
      out.hi[k] = baseHi;
      out.lo[k] |= lo;
      out.row[k] = pool.intern1(sets[k]);
    }
    out.size = segs;
  }

  /**
   * The narrow, one-word sweep proper: applies the sorted events in order and, at the last event of
   * each point, records (point, active set) unless the set equals the last recorded one (the same
   * row: that interval merges into the one before). Written with conditional moves in mind: which
   * events end a point, and which sets repeat, follow no pattern a branch predictor could learn,
   * and mispredicted branches were most of a source side's cost.
   *
   * @return the number of segments recorded in {@code points} and {@code sets}
   */
  private static int segmentSets(long[] keys, int n, int[] count, long[] points, long[] sets) {
    int segs = 0;
    long active = 0;
    long last = 0;
    for (int i = 0; i < n; i++) {
      long k = keys[i];
      int e = (int) k;
      int p = e >>> 1;
      int c = count[p] += ((e & 1) << 1) - 1; // +1 for a start, -1 for an end
      long bit = 1L << p;
      active = (active & ~bit) | (bit & (-(long) c >> 63)); // set iff c > 0
      long point = k >>> 32;
      long next = i + 1 < n ? keys[i + 1] >>> 32 : -1L;
      points[segs] = point;
      sets[segs] = active;
      boolean record = (next != point) & ((segs == 0) | (active != last));
      last = record ? active : last;
      segs += record ? 1 : 0;
    }
    return segs;
  }

  /**
   * Points that differ only in their low 32 bits: each event packs into one long ({@code low << 32
   * | event}), so the sort moves the events themselves and the sweep then reads them in sequence.
   * (Through a permutation, the sweep's reads were random: a third of a build went to those cache
   * misses.) Events at one point end up in any order, which is fine: all of them are applied before
   * the segment is visited.
   */
  private void sweepNarrow(Visitor visitor) {
    long[] keys = packed;
    sortByHighHalf(keys, n);
    int words = (payloads + 63) >>> 6;
    int[] count = new int[payloads];
    long[] active = new long[words];
    int i = 0;
    while (i < n) {
      long point = keys[i] >>> 32;
      while (i < n && keys[i] >>> 32 == point) {
        int e = (int) keys[i];
        int p = e >>> 1;
        int c = count[p] += ((e & 1) << 1) - 1; // +1 for a start, -1 for an end
        // branch-free (starts and ends interleave unpredictably): set the bit iff c > 0
        long bit = 1L << p;
        int w = p >>> 6;
        active[w] = (active[w] & ~bit) | (bit & (-(long) c >> 63));
        i++;
      }
      visitor.segment(baseHi, baseMid << 32 | point, active);
    }
  }

  private static void sortByHighHalf(long[] keys, int n) {
    sortByHighHalf(keys, n, null, new int[1 << RADIX_BITS]);
  }

  /**
   * Sorts by the unsigned upper 32 bits (the point); LSD radix over the bits that vary. {@code tmp}
   * (null: allocated) holds at least n; {@code count} has 2^RADIX_BITS entries.
   */
  private static void sortByHighHalf(long[] keys, int n, long[] tmp, int[] count) {
    if (n < RADIX_MIN) {
      for (int i = 0; i < n; i++) {
        keys[i] ^= Long.MIN_VALUE; // unsigned order under the signed primitive sort
      }
      Arrays.sort(keys, 0, n);
      for (int i = 0; i < n; i++) {
        keys[i] ^= Long.MIN_VALUE;
      }
      return;
    }
    int or = 0;
    int and = -1;
    for (int i = 0; i < n; i++) {
      int v = (int) (keys[i] >>> 32);
      or |= v;
      and &= v;
    }
    int varying = or ^ and;
    long[] src = keys;
    long[] dst = tmp != null && tmp.length >= n ? tmp : new long[n];
    for (int shift = 32; shift < 64; shift += RADIX_BITS) {
      if (((varying >>> (shift - 32)) & RADIX_MASK) == 0) {
        continue;
      }
      Arrays.fill(count, 0);
      for (int k = 0; k < n; k++) {
        count[(int) (src[k] >>> shift) & RADIX_MASK]++;
      }
      for (int b = 0, sum = 0; b <= RADIX_MASK; b++) {
        int c = count[b];
        count[b] = sum;
        sum += c;
      }
      for (int k = 0; k < n; k++) {
        long x = src[k];
        dst[count[(int) (x >>> shift) & RADIX_MASK]++] = x;
      }
      long[] t = src;
      src = dst;
      dst = t;
    }
    if (src != keys) {
      System.arraycopy(src, 0, keys, 0, n);
    }
  }

  /** Below this many events a comparison sort of packed keys beats the radix passes' fixed cost. */
  private static final int RADIX_MIN = 256;

  static final int RADIX_BITS = 11;
  private static final int RADIX_MASK = (1 << RADIX_BITS) - 1;

  /**
   * Event indices in ascending point order (ties in insertion order): a stable LSD radix sort over
   * the 128-bit point, least significant first. Each 32-bit digit is sorted in 11-bit counting-sort
   * passes, and only over the bits that vary among the events (found with one OR/AND scan): IPv4
   * hosts spread over 100.64/10 need two passes, ports two, IPv6 hosts within one /64 a few more.
   * Counting sort is O(n) per pass with no comparisons; it replaced one primitive sort of {@code
   * digit << 32 | position} keys per digit (kept below {@link #RADIX_MIN} events, where it is
   * cheaper), which was 30% of {@code Matcher.of}.
   */
  private int[] sortedEvents() {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    if (n < RADIX_MIN) {
      return comparisonSorted(order);
    }
    int[] tmp = new int[n];
    int[] digits = new int[n];
    int[] count = new int[1 << RADIX_BITS];
    for (int d = 0; d < 4; d++) {
      int or = 0;
      int and = -1;
      for (int e = 0; e < n; e++) {
        int v = (int) digit(e, d);
        digits[e] = v;
        or |= v;
        and &= v;
      }
      int varying = or ^ and;
      for (int shift = 0; shift < 32; shift += RADIX_BITS) {
        if (((varying >>> shift) & RADIX_MASK) == 0) {
          continue; // every event has the same bits here: the pass would not move anything
        }
        Arrays.fill(count, 0);
        for (int e = 0; e < n; e++) {
          count[(digits[e] >>> shift) & RADIX_MASK]++;
        }
        for (int b = 0, sum = 0; b <= RADIX_MASK; b++) {
          int c = count[b];
          count[b] = sum;
          sum += c;
        }
        for (int k = 0; k < n; k++) {
          int e = order[k];
          tmp[count[(digits[e] >>> shift) & RADIX_MASK]++] = e;
        }
        int[] t = order;
        order = tmp;
        tmp = t;
      }
    }
    return order;
  }

  /**
   * Small inputs: per varying 32-bit digit, one primitive sort of {@code digit << 32 | position}
   * keys.
   */
  private int[] comparisonSorted(int[] order) {
    long[] keys = null;
    for (int digit = 0; digit < 4; digit++) {
      long d0 = n == 0 ? 0 : digit(0, digit);
      boolean constant = true;
      for (int i = 1; i < n && constant; i++) {
        constant = digit(i, digit) == d0;
      }
      if (constant) {
        continue;
      }
      if (keys == null) {
        keys = new long[n];
      }
      for (int k = 0; k < n; k++) {
        // digit < 2^32, k < 2^31: ordered as (digit, position) unsigned; flipping the
        // sign bit makes the signed primitive sort agree.
        keys[k] = (digit(order[k], digit) << 32 | k) ^ Long.MIN_VALUE;
      }
      Arrays.sort(keys);
      int[] next = new int[n];
      for (int k = 0; k < n; k++) {
        next[k] = order[(int) keys[k]];
      }
      order = next;
    }
    return order;
  }

  /** 32-bit digit {@code d} (0 = least significant) of event {@code e}'s point, unsigned. */
  private long digit(int e, int d) {
    long w = d < 2 ? lo[e] : hi[e];
    return (d & 1) == 0 ? w & 0xFFFF_FFFFL : w >>> 32;
  }
}
