package dev.tessera.enforcer.rules;

import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.net.IpPrefix;
import dev.tessera.net.IpProtocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The rules of one address family, indexed for the packet path.
 *
 * <p>Design (bit-vector classification, Lakshman and Stiliadis, SIGCOMM 1998, over two dimensions
 * instead of one per field). Rules relevant to the family get a local bit. Two lookups each yield a
 * bitset over those bits:
 *
 * <ul>
 *   <li>source: the address space is cut into the elementary intervals between all source prefix
 *       boundaries; each interval maps to the set of rules whose sources cover it;
 *   <li>destination → protocol → port: destination space cut the same way into classes (sets of
 *       (rule, destination) pairs covering it), and per class and protocol the port space is cut
 *       into intervals, each mapping to the set of rules allowing that (dst, proto, port).
 * </ul>
 *
 * A packet is allowed iff the two bitsets intersect. Equal rows are stored once, so tables stay
 * small when many addresses share rule membership (the common case: group members). Lookups are
 * binary searches over primitive arrays plus an AND over ceil(rules/64) words — no allocation, no
 * per-rule loop. Addresses are compared as signed values after flipping the sign bit, which orders
 * them as unsigned.
 *
 * <p>Protocol semantics (kept identical for the query path, which uses the same arrays): TCP, UDP
 * and SCTP match the port range; the family's ICMP (1 for IPv4, 58 for IPv6) ignores it; any other
 * protocol matches only destinations whose range is all ports (Tailscale's {@code
 * matchProtoAndIPsOnlyIfAllPorts}). Callers pass port 0 for portless protocols.
 */
public final class RuleTable {
  private final boolean ipv6;
  private final int words;
  private final int[] localToGlobal;

  // source lookup (shared, through a SourceCache, by tables whose rules have the same sources)
  private final int[] srcStart4; // sign-flipped
  private final long[] srcStartHi; // sign-flipped
  private final long[] srcStartLo; // sign-flipped
  private final int[] srcRow; // row id or -1
  private final long[] srcBits;

  // destination lookup
  private final int[] dstStart4;
  private final long[] dstStartHi;
  private final long[] dstStartLo;
  private final int[] dstClass; // class id or -1
  private final int[] protoSlot; // 256 entries, -1 = no rule has this protocol
  private final int protoSlots;
  private final int[][] portStart; // [class * protoSlots + slot] -> sorted port starts, or null
  private final int[][] portRow; // row ids into dstBits, -1 where nothing is allowed
  private final long[] dstBits;
  // Per row, a 64-bit summary of which words are non-zero (word w sets bit w mod 64). Rows are
  // sparse (a host is in a few rules, a port in a few more), so most misses end at
  // srcSum & dstSum == 0 without touching the rows, and a hit reads only the candidate words.
  private final long[] srcSum;
  private final long[] dstSum;
  // First-level bucket tables (IntSearch) over the IPv4 starts and the port starts, or null.
  private final int[] srcIndex4;
  private final int[] dstIndex4;
  private final int[][] portIndex;

  private RuleTable(
      boolean ipv6,
      Sources src,
      int[] dstStart4,
      long[] dstStartHi,
      long[] dstStartLo,
      int[] dstClass,
      int[] protoSlot,
      int protoSlots,
      int[][] portStart,
      int[][] portRow,
      long[] dstBits) {
    this.ipv6 = ipv6;
    this.words = src.words;
    this.localToGlobal = src.localToGlobal;
    this.srcStart4 = src.start4;
    this.srcStartHi = src.startHi;
    this.srcStartLo = src.startLo;
    this.srcRow = src.row;
    this.srcBits = src.bits;
    this.srcSum = src.sum;
    this.srcIndex4 = src.index4;
    this.dstStart4 = dstStart4;
    this.dstStartHi = dstStartHi;
    this.dstStartLo = dstStartLo;
    this.dstClass = dstClass;
    this.protoSlot = protoSlot;
    this.protoSlots = protoSlots;
    this.portStart = portStart;
    this.portRow = portRow;
    this.dstBits = dstBits;
    this.dstSum = summaries(dstBits, words);
    this.dstIndex4 = IntSearch.index(dstStart4);
    this.portIndex = new int[portStart.length][];
    for (int i = 0; i < portStart.length; i++) {
      if (portStart[i] != null) {
        portIndex[i] = IntSearch.index(portStart[i]);
      }
    }
  }

  private static long[] summaries(long[] bits, int words) {
    int rows = bits.length / words;
    long[] sum = new long[rows];
    for (int r = 0, base = 0; r < rows; r++, base += words) {
      long m = 0;
      for (int w = 0; w < words; w++) {
        if (bits[base + w] != 0) {
          m |= 1L << w; // shift distance is taken mod 64: word w sets bit w & 63
        }
      }
      sum[r] = m;
    }
    return sum;
  }

  /**
   * Builds the table for one family from all rules (others are ignored). Build cost matters too
   * ({@code policyc test} builds one Matcher per destination): intermediate results are kept in
   * growable primitive arrays ({@link Segments}, {@link IntList}), never boxed.
   */
  public static RuleTable build(List<FilterRule> rules, boolean ipv6) {
    return buildBoth(rules)[ipv6 ? 1 : 0];
  }

  /**
   * Builds both families' tables ([IPv4, IPv6]) with one walk over the source prefixes: the walk
   * (pointer chasing through thousands of {@code IpPrefix} records per filter) was a quarter of a
   * build when each family walked every prefix. A rule gets its local number in a family at its
   * first source of that family, if it has a destination there, so the numbering is the same as
   * numbering the rules with sources and destinations in the family.
   */
  public static RuleTable[] buildBoth(List<FilterRule> rules) {
    return buildBoth(rules, null);
  }

  /**
   * As {@link #buildBoth(List)}; with a {@code cache}, the source side of each family (local
   * numbering, source intervals and rows: the larger part of a build) is taken from an earlier
   * build whose rules had the very same source lists and destination families, or computed and left
   * there for the next one. The tables are the same either way (MatcherDifferentialTest checks the
   * cached build against the reference).
   */
  public static RuleTable[] buildBoth(List<FilterRule> rules, SourceCache cache) {
    SourceCache.Key key = cache == null ? null : SourceCache.Key.of(rules);
    Sources[] shared = key == null ? null : cache.get(key);
    if (shared == null) {
      shared =
          sources(rules, cache, key != null ? key.families() : SourceCache.Key.families(rules));
      if (key != null) {
        cache.put(key, shared);
      }
    }
    return new RuleTable[] {finish(rules, false, shared[0]), finish(rules, true, shared[1])};
  }

  /** Both families' source sides: local numbering and source intervals with their rows. */
  private static Sources[] sources(List<FilterRule> rules, SourceCache cache, byte[] families) {
    int n = rules.size();
    int total = 0;
    for (int g = 0; g < n; g++) {
      total += rules.get(g).sources().size();
    }
    BuildScratch scratch = BuildScratch.acquire();
    try {
      return sources(rules, cache, families, total, scratch);
    } finally {
      scratch.release();
    }
  }

  private static Sources[] sources(
      List<FilterRule> rules, SourceCache cache, byte[] families, int total, BuildScratch scratch) {
    int n = rules.size();
    int hint = total / 2 + 8; // compiler output holds about as many IPv6 as IPv4 sources
    IntervalSweep sweep4 = new IntervalSweep(0, 0, 0xFFFF_FFFFL, hint, scratch.packed4);
    IntervalSweep sweep6 = new IntervalSweep(0, -1L, -1L, hint, scratch.packed6);
    IntList local4 = new IntList();
    IntList local6 = new IntList();
    for (int g = 0; g < n; g++) {
      // The rule's destination families, as the cache key holds them (computed once per build).
      boolean d4 = (families[g] & 1) != 0;
      boolean d6 = (families[g] & 2) != 0;
      if (!d4 && !d6) {
        continue;
      }
      FilterRule r = rules.get(g);
      // A rule is numbered in a family if it has a source and a destination there.
      SourceEvents se = cache == null ? SourceEvents.of(r.sources()) : cache.events(r.sources());
      if (d4 && se.n4 > 0) {
        sweep4.addAll(se, false, local4.size);
        local4.add(g);
      }
      if (d6 && se.n6 > 0) {
        sweep6.addAll(se, true, local6.size);
        local6.add(g);
      }
    }
    Sources v4 = Sources.of(false, local4.toArray(), sweep4, scratch);
    Sources v6 = Sources.of(true, local6.toArray(), sweep6, scratch);
    scratch.packed4 = sweep4.buffer() != null ? sweep4.buffer() : scratch.packed4;
    scratch.packed6 = sweep6.buffer() != null ? sweep6.buffer() : scratch.packed6;
    return new Sources[] {v4, v6};
  }

  /**
   * A family's source side: which rules the table numbers (local bit l is rule {@code
   * localToGlobal[l]}) and the source intervals (sign-flipped starts) with their rows of rule bits.
   * Immutable once built, so tables may share it.
   */
  static final class Sources {
    final int words;
    final int[] localToGlobal;
    final int[] start4;
    final long[] startHi;
    final long[] startLo;
    final int[] row;
    final long[] bits;
    final long[] sum;
    final int[] index4;

    private Sources(
        int words,
        int[] localToGlobal,
        int[] start4,
        long[] startHi,
        long[] startLo,
        int[] row,
        long[] bits) {
      this.words = words;
      this.localToGlobal = localToGlobal;
      this.start4 = start4;
      this.startHi = startHi;
      this.startLo = startLo;
      this.row = row;
      this.bits = bits;
      this.sum = summaries(bits, words);
      this.index4 = IntSearch.index(start4);
    }

    /** Sweeps the filled source intervals of one family into its lookup arrays. */
    static Sources of(
        boolean ipv6, int[] localToGlobal, IntervalSweep srcSweep, BuildScratch scratch) {
      int nLocal = localToGlobal.length;
      int words = Math.max(1, (nLocal + 63) >>> 6);
      srcSweep.payloads(Math.max(1, nLocal));
      RowPool srcPool = new RowPool(words);
      Segments src = scratch.segments;
      srcSweep.sweepRows(srcPool, src, scratch);
      int ns = src.size;
      int[] s4 = new int[ipv6 ? 0 : ns];
      long[] sHi = new long[ipv6 ? ns : 0];
      long[] sLo = new long[ipv6 ? ns : 0];
      for (int i = 0; i < ns; i++) {
        if (ipv6) {
          sHi[i] = src.hi[i] ^ Long.MIN_VALUE;
          sLo[i] = src.lo[i] ^ Long.MIN_VALUE;
        } else {
          s4[i] = (int) src.lo[i] ^ Integer.MIN_VALUE;
        }
      }
      return new Sources(
          words, localToGlobal, s4, sHi, sLo, Arrays.copyOf(src.row, ns), srcPool.toArray());
    }
  }

  /**
   * The rest of a family's build: destinations, protocols and ports, over its source side. This
   * runs once per Matcher (per destination device in {@code policyc test}), so it is split into
   * steps that each compile as a small unit (as one method, its JIT compile alone took over a
   * second of CPU in a cold {@code policyc test} run) and keeps the common shape cheap: a node's
   * filter names one destination prefix per family (the node's own address).
   */
  private static RuleTable finish(List<FilterRule> rules, boolean ipv6, Sources sources) {
    Pairs pairs = Pairs.of(rules, sources.localToGlobal, ipv6);
    DstClasses classes =
        pairs.onePrefix ? DstClasses.onePrefix(pairs, ipv6) : DstClasses.swept(pairs, ipv6);
    Protocols protos = Protocols.of(rules, sources.localToGlobal);
    PortTables ports = PortTables.build(pairs, classes, protos, sources.words, ipv6);
    return new RuleTable(
        ipv6,
        sources,
        classes.start4,
        classes.startHi,
        classes.startLo,
        classes.cls,
        protos.slotOf,
        protos.slots,
        ports.start,
        ports.row,
        ports.bits);
  }

  /**
   * Step 3's input: the pairs (local rule, destination entry) of the family, in local rule order,
   * and whether they all name one prefix.
   */
  private static final class Pairs {
    final int size;
    final int[] rule;
    final DstPorts[] dst;
    final boolean onePrefix;

    private Pairs(int size, int[] rule, DstPorts[] dst, boolean onePrefix) {
      this.size = size;
      this.rule = rule;
      this.dst = dst;
      this.onePrefix = onePrefix;
    }

    static Pairs of(List<FilterRule> rules, int[] localToGlobal, boolean ipv6) {
      int nLocal = localToGlobal.length;
      int n = 0;
      int[] rule = new int[Math.max(4, nLocal * 2)];
      DstPorts[] dst = new DstPorts[rule.length];
      IpPrefix first = null;
      boolean one = true;
      for (int l = 0; l < nLocal; l++) {
        List<DstPorts> ds = rules.get(localToGlobal[l]).destinations();
        for (int d = 0, nd = ds.size(); d < nd; d++) {
          DstPorts e = ds.get(d);
          IpPrefix p = e.prefix();
          if (p.ipv6() != ipv6) {
            continue;
          }
          if (n == rule.length) {
            rule = Arrays.copyOf(rule, n * 2);
            dst = Arrays.copyOf(dst, n * 2);
          }
          rule[n] = l;
          dst[n] = e;
          n++;
          if (first == null) {
            first = p;
          } else if (one && !first.equals(p)) {
            one = false;
          }
        }
      }
      return new Pairs(n, rule, dst, one && n > 0);
    }
  }

  /**
   * Step 3: the destination space cut into elementary intervals (starts, sign-flipped), each with
   * its class (the set of pairs covering it; -1 for none), and each class's members.
   */
  private static final class DstClasses {
    final int[] start4;
    final long[] startHi;
    final long[] startLo;
    final int[] cls;
    final long[][] members;

    private DstClasses(boolean ipv6, Segments dst, long[][] members) {
      int nd = dst.size;
      start4 = new int[ipv6 ? 0 : nd];
      startHi = new long[ipv6 ? nd : 0];
      startLo = new long[ipv6 ? nd : 0];
      for (int i = 0; i < nd; i++) {
        if (ipv6) {
          startHi[i] = dst.hi[i] ^ Long.MIN_VALUE;
          startLo[i] = dst.lo[i] ^ Long.MIN_VALUE;
        } else {
          start4[i] = (int) dst.lo[i] ^ Integer.MIN_VALUE;
        }
      }
      cls = Arrays.copyOf(dst.row, nd);
      this.members = members;
    }

    /**
     * Every pair names the same prefix: one class holding all pairs, from the prefix's first
     * address up to its last (then nothing, unless it ends the space). The same intervals and class
     * as {@link #swept}, without the sweep.
     */
    static DstClasses onePrefix(Pairs pairs, boolean ipv6) {
      IpPrefix p = pairs.dst[0].prefix();
      long[] all = new long[(pairs.size + 63) >>> 6];
      for (int i = 0; i < pairs.size; i++) {
        all[i >>> 6] |= 1L << i;
      }
      Segments dst = new Segments(2);
      dst.add(p.hi(), p.lo(), 0);
      long lastHi = p.lastHi();
      long lastLo = p.lastLo();
      boolean top = ipv6 ? lastHi == -1L && lastLo == -1L : lastLo == 0xFFFF_FFFFL;
      if (!top) {
        long endLo = lastLo + 1;
        dst.add(endLo == 0 ? lastHi + 1 : lastHi, endLo, -1);
      }
      return new DstClasses(ipv6, dst, new long[][] {all});
    }

    /** The general case: a sweep over all pairs' prefixes. */
    static DstClasses swept(Pairs pairs, boolean ipv6) {
      int n = pairs.size;
      long topHi = ipv6 ? -1L : 0;
      long topLo = ipv6 ? -1L : 0xFFFF_FFFFL;
      IntervalSweep sweep = new IntervalSweep(Math.max(1, n), topHi, topLo, n);
      for (int i = 0; i < n; i++) {
        IpPrefix p = pairs.dst[i].prefix();
        sweep.add(p.hi(), p.lo(), p.lastHi(), p.lastLo(), i);
      }
      RowPool classPool = new RowPool((Math.max(1, n) + 63) >>> 6);
      Segments dst = new Segments(2 * n + 1);
      List<long[]> members = new ArrayList<>();
      sweep.sweep(
          (hi, lo, active) -> {
            int c = classPool.intern(active);
            if (c == members.size()) {
              members.add(active.clone());
            }
            dst.add(hi, lo, c);
          });
      return new DstClasses(ipv6, dst, members.toArray(new long[0][]));
    }
  }

  /** Step 4: protocol slots (the protocols some rule lists) and each local rule's protocol set. */
  private static final class Protocols {
    final int[] slotOf = new int[256]; // -1 = no rule has this protocol
    final int slots;
    final int[] protoOf;
    final long[] ruleProtos; // 256-bit protocol set per local rule

    private Protocols(List<FilterRule> rules, int[] localToGlobal) {
      int nLocal = localToGlobal.length;
      Arrays.fill(slotOf, -1);
      int n = 0;
      ruleProtos = new long[nLocal * 4];
      for (int l = 0; l < nLocal; l++) {
        List<Integer> ps = rules.get(localToGlobal[l]).effectiveProtocols();
        for (int i = 0, np = ps.size(); i < np; i++) {
          int p = ps.get(i);
          if (slotOf[p] < 0) {
            slotOf[p] = n++;
          }
          ruleProtos[l * 4 + (p >>> 6)] |= 1L << p;
        }
      }
      slots = n;
      protoOf = new int[n];
      for (int p = 0; p < 256; p++) {
        if (slotOf[p] >= 0) {
          protoOf[slotOf[p]] = p;
        }
      }
    }

    static Protocols of(List<FilterRule> rules, int[] localToGlobal) {
      return new Protocols(rules, localToGlobal);
    }

    boolean has(int local, int proto) {
      return (ruleProtos[local * 4 + (proto >>> 6)] & (1L << proto)) != 0;
    }
  }

  /**
   * Step 5: per class and protocol slot, the port space cut into intervals, each with the row of
   * rules allowing that (destination, protocol, port); rows interned in one pool. The intervals of
   * one (class, slot) are few (a port range or two per rule), so their events are packed into longs
   * ({@code port << 32 | rule << 1 | start}) and sorted in a scratch array reused across slots,
   * with no per-slot sweep object.
   */
  private static final class PortTables {
    final int[][] start;
    final int[][] row;
    final long[] bits;

    private PortTables(int[][] start, int[][] row, long[] bits) {
      this.start = start;
      this.row = row;
      this.bits = bits;
    }

    static PortTables build(
        Pairs pairs, DstClasses classes, Protocols protos, int words, boolean ipv6) {
      int icmp = ipv6 ? IpProtocol.ICMPV6 : IpProtocol.ICMP;
      int nClasses = classes.members.length;
      int slots = protos.slots;
      int[][] start = new int[nClasses * Math.max(1, slots)][];
      int[][] row = new int[start.length][];
      RowPool pool = new RowPool(words);
      Scratch sc = new Scratch(words, pairs.size);
      for (int c = 0; c < nClasses; c++) {
        long[] members = classes.members[c];
        for (int slot = 0; slot < slots; slot++) {
          int proto = protos.protoOf[slot];
          int m = sc.events(members, pairs, protos, proto, icmp);
          if (m > 0) {
            sc.sweep(m, pool);
            start[c * slots + slot] = Arrays.copyOf(sc.segStart, sc.segs);
            row[c * slots + slot] = Arrays.copyOf(sc.segRow, sc.segs);
          }
        }
      }
      return new PortTables(start, row, pool.toArray());
    }

    /** Build-time buffers of one family's port tables. */
    private static final class Scratch {
      long[] ev;
      final int[] count;
      final long[] active;
      int[] segStart;
      int[] segRow;
      int segs;

      Scratch(int words, int pairs) {
        ev = new long[Math.max(16, 2 * pairs)];
        count = new int[words << 6];
        active = new long[words];
        segStart = new int[Math.max(16, 2 * pairs + 1)];
        segRow = new int[segStart.length];
      }

      /**
       * Fills {@code ev} with the port events of the class's pairs for {@code proto}; their number.
       */
      int events(long[] members, Pairs pairs, Protocols protos, int proto, int icmp) {
        boolean ported = IpProtocol.hasPorts(proto);
        int m = 0;
        for (int i = nextSetBit(members, 0); i >= 0; i = nextSetBit(members, i + 1)) {
          int l = pairs.rule[i];
          if (!protos.has(l, proto)) {
            continue;
          }
          DstPorts d = pairs.dst[i];
          int first;
          int last;
          if (ported) {
            first = d.firstPort();
            last = d.lastPort();
          } else if (proto == icmp || d.allPorts()) {
            first = 0;
            last = 65535;
          } else {
            continue;
          }
          if (m + 2 > ev.length) {
            ev = Arrays.copyOf(ev, ev.length * 2);
          }
          ev[m++] = (long) first << 32 | (l << 1 | 1);
          if (last != 65535) { // a range to the last port has no end event
            ev[m++] = (long) (last + 1) << 32 | (l << 1);
          }
        }
        return m;
      }

      /**
       * Sorts the events by port (all events at one port are applied before its interval is
       * visited, so their order among themselves does not matter) and emits the intervals, merging
       * one whose row equals the previous interval's.
       */
      void sweep(int m, RowPool pool) {
        Arrays.sort(ev, 0, m); // ports and rules are small and non-negative: signed order is fine
        segs = 0;
        int i = 0;
        while (i < m) {
          int port = (int) (ev[i] >>> 32);
          for (; i < m && (int) (ev[i] >>> 32) == port; i++) {
            int e = (int) ev[i];
            int l = e >>> 1;
            int c = count[l] += (e & 1) != 0 ? 1 : -1;
            if (c > 0) {
              active[l >>> 6] |= 1L << l;
            } else {
              active[l >>> 6] &= ~(1L << l);
            }
          }
          int r = pool.intern(active);
          if (segs == 0 || segRow[segs - 1] != r) {
            if (segs == segStart.length) {
              segStart = Arrays.copyOf(segStart, segs * 2);
              segRow = Arrays.copyOf(segRow, segs * 2);
            }
            segStart[segs] = port;
            segRow[segs] = r;
            segs++;
          }
        }
        for (int k = 0; k < m; k++) { // ranges to the last port leave counts and bits set
          int l = (int) ev[k] >>> 1;
          count[l] = 0;
          active[l >>> 6] = 0;
        }
      }
    }
  }

  /**
   * Build-time list of interval starts and their row ids; a start whose row equals the previous one
   * is merged into it (same rules as the interval before).
   */
  static final class Segments {
    long[] hi;
    long[] lo;
    int[] row;
    int size;

    Segments(int capacity) {
      int cap = Math.max(16, capacity);
      hi = new long[cap];
      lo = new long[cap];
      row = new int[cap];
    }

    void add(long h, long l, int r) {
      if (size > 0 && row[size - 1] == r) {
        return;
      }
      if (size == row.length) {
        int cap = (int) Math.min(Integer.MAX_VALUE - 8, size * 2L);
        hi = Arrays.copyOf(hi, cap);
        lo = Arrays.copyOf(lo, cap);
        row = Arrays.copyOf(row, cap);
      }
      hi[size] = h;
      lo[size] = l;
      row[size] = r;
      size++;
    }

    void clear() {
      size = 0;
    }

    /** Drops arrays longer than {@code max} (a reused buffer, see {@link BuildScratch}). */
    void trim(int max) {
      size = 0;
      if (row.length > max) {
        hi = new long[16];
        lo = new long[16];
        row = new int[16];
      }
    }

    /** Room for {@code capacity} segments. */
    void ensure(int capacity) {
      if (capacity > row.length) {
        hi = Arrays.copyOf(hi, capacity);
        lo = Arrays.copyOf(lo, capacity);
        row = Arrays.copyOf(row, capacity);
      }
    }
  }

  /** Growable int list (build time only). */
  private static final class IntList {
    int[] a = new int[16];
    int size;

    void add(int v) {
      if (size == a.length) {
        a = Arrays.copyOf(a, size * 2);
      }
      a[size++] = v;
    }

    int get(int i) {
      return a[i];
    }

    int[] toArray() {
      return Arrays.copyOf(a, size);
    }
  }

  private static int nextSetBit(long[] bits, int from) {
    int w = from >>> 6;
    if (w >= bits.length) {
      return -1;
    }
    long word = bits[w] & (-1L << from);
    while (true) {
      if (word != 0) {
        return (w << 6) + Long.numberOfTrailingZeros(word);
      }
      if (++w == bits.length) {
        return -1;
      }
      word = bits[w];
    }
  }

  public boolean ipv6() {
    return ipv6;
  }

  /** Number of rules that can match packets of this family. */
  public int ruleCount() {
    return localToGlobal.length;
  }

  // ---- lookups (packet path and query path share these) ----

  /** Source row for an IPv4 address, or -1. */
  public int srcRow4(int addr) {
    int i = IntSearch.find(srcStart4, srcIndex4, addr ^ Integer.MIN_VALUE);
    return i < 0 ? -1 : srcRow[i];
  }

  public int srcRow6(long hi, long lo) {
    int i = search(srcStartHi, srcStartLo, hi ^ Long.MIN_VALUE, lo ^ Long.MIN_VALUE);
    return i < 0 ? -1 : srcRow[i];
  }

  /** Destination/protocol/port row for an IPv4 destination, or -1. */
  public int dstRow4(int addr, int proto, int port) {
    int i = IntSearch.find(dstStart4, dstIndex4, addr ^ Integer.MIN_VALUE);
    return i < 0 ? -1 : portRowFor(dstClass[i], proto, port);
  }

  public int dstRow6(long hi, long lo, int proto, int port) {
    int i = search(dstStartHi, dstStartLo, hi ^ Long.MIN_VALUE, lo ^ Long.MIN_VALUE);
    return i < 0 ? -1 : portRowFor(dstClass[i], proto, port);
  }

  private int portRowFor(int cls, int proto, int port) {
    if (cls < 0 || (proto & ~0xFF) != 0) {
      return -1;
    }
    int slot = protoSlot[proto];
    if (slot < 0) {
      return -1;
    }
    int k = cls * protoSlots + slot;
    int[] starts = portStart[k];
    if (starts == null) {
      return -1;
    }
    int i =
        IntSearch.find(
            starts, portIndex[k], port); // ports are 0..65535: plain signed order is fine
    return i < 0 ? -1 : portRow[k][i];
  }

  /** True iff the rows share a rule. Both must be >= 0. */
  public boolean intersects(int srcRowId, int dstRowId) {
    long m = srcSum[srcRowId] & dstSum[dstRowId];
    if (m == 0) {
      return false;
    }
    int a = srcRowId * words;
    int b = dstRowId * words;
    long[] s = srcBits;
    long[] d = dstBits;
    int n = words;
    do {
      for (int w = Long.numberOfTrailingZeros(m); w < n; w += 64) { // one pass unless > 4096 rules
        if ((s[a + w] & d[b + w]) != 0) {
          return true;
        }
      }
      m &= m - 1;
    } while (m != 0);
    return false;
  }

  /** Appends the global indices of all rules in both rows, ascending. */
  public void collect(int srcRowId, int dstRowId, List<Integer> out) {
    int a = srcRowId * words;
    int b = dstRowId * words;
    for (int k = 0; k < words; k++) {
      long w = srcBits[a + k] & dstBits[b + k];
      while (w != 0) {
        int bit = Long.numberOfTrailingZeros(w);
        out.add(localToGlobal[(k << 6) + bit]);
        w &= w - 1;
      }
    }
  }

  // ---- enumeration (the reachability query reads the same arrays; not the packet path) ----

  /**
   * Number of source intervals. Interval i covers the addresses from its start up to the next
   * interval's start minus one (the last one up to the top of the space); addresses below the first
   * start belong to none.
   */
  public int srcIntervals() {
    return srcRow.length;
  }

  /** Upper 64 bits of source interval i's first address, unsigned (0 for IPv4). */
  public long srcIntervalHi(int i) {
    return ipv6 ? srcStartHi[i] ^ Long.MIN_VALUE : 0;
  }

  /**
   * Lower 64 bits of source interval i's first address, unsigned (an IPv4 address zero-extended).
   */
  public long srcIntervalLo(int i) {
    return ipv6
        ? srcStartLo[i] ^ Long.MIN_VALUE
        : (srcStart4[i] ^ Integer.MIN_VALUE) & 0xFFFF_FFFFL;
  }

  /** Source row of interval i, or -1 when no rule's sources cover it. */
  public int srcIntervalRow(int i) {
    return srcRow[i];
  }

  /** Index of the source interval holding the address (IPv4: in the low 32 bits of lo), or -1. */
  public int srcInterval(long hi, long lo) {
    return ipv6
        ? search(srcStartHi, srcStartLo, hi ^ Long.MIN_VALUE, lo ^ Long.MIN_VALUE)
        : IntSearch.find(srcStart4, srcIndex4, (int) lo ^ Integer.MIN_VALUE);
  }

  /** Number of distinct source rows: row ids are 0 .. srcRows() - 1. */
  public int srcRows() {
    return srcBits.length / words;
  }

  /** Number of destination intervals (same layout as the source intervals). */
  public int dstIntervals() {
    return dstClass.length;
  }

  public long dstIntervalHi(int i) {
    return ipv6 ? dstStartHi[i] ^ Long.MIN_VALUE : 0;
  }

  public long dstIntervalLo(int i) {
    return ipv6
        ? dstStartLo[i] ^ Long.MIN_VALUE
        : (dstStart4[i] ^ Integer.MIN_VALUE) & 0xFFFF_FFFFL;
  }

  /** Destination class of interval i, or -1 when no rule's destinations cover it. */
  public int dstIntervalClass(int i) {
    return dstClass[i];
  }

  /** Index of the destination interval holding the address, or -1. */
  public int dstInterval(long hi, long lo) {
    return ipv6
        ? search(dstStartHi, dstStartLo, hi ^ Long.MIN_VALUE, lo ^ Long.MIN_VALUE)
        : IntSearch.find(dstStart4, dstIndex4, (int) lo ^ Integer.MIN_VALUE);
  }

  /** The protocols some rule of this family lists, ascending. */
  public int[] protocols() {
    int[] out = new int[protoSlots];
    int n = 0;
    for (int p = 0; p < 256; p++) {
      if (protoSlot[p] >= 0) {
        out[n++] = p;
      }
    }
    return out;
  }

  /**
   * Number of port intervals of destination class {@code cls} and protocol {@code proto} (0 when no
   * rule allows the protocol there). Interval i covers the ports from its start up to the next
   * start minus one, the last up to 65535; ports below the first start belong to none. Lookups for
   * portless protocols use port 0.
   */
  public int portIntervals(int cls, int proto) {
    int[] starts = portStarts(cls, proto);
    return starts == null ? 0 : starts.length;
  }

  public int portIntervalStart(int cls, int proto, int i) {
    return portStart[cls * protoSlots + protoSlot[proto]][i];
  }

  /** Destination row of port interval i, or -1 when nothing is allowed there. */
  public int portIntervalRow(int cls, int proto, int i) {
    return portRow[cls * protoSlots + protoSlot[proto]][i];
  }

  private int[] portStarts(int cls, int proto) {
    if (cls < 0 || (proto & ~0xFF) != 0 || protoSlot[proto] < 0) {
      return null;
    }
    return portStart[cls * protoSlots + protoSlot[proto]];
  }

  /** Index of the last start <= key, or -1. */
  private static int search(long[] hiStarts, long[] loStarts, long keyHi, long keyLo) {
    int lo = 0;
    int hi = hiStarts.length - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      long h = hiStarts[mid];
      if (h < keyHi || (h == keyHi && loStarts[mid] <= keyLo)) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Size of the built tables, for diagnostics. */
  public String describe() {
    return (ipv6 ? "v6" : "v4")
        + ": rules="
        + localToGlobal.length
        + " srcIntervals="
        + srcRow.length
        + " srcRows="
        + srcBits.length / words
        + " dstIntervals="
        + dstClass.length
        + " protoSlots="
        + protoSlots
        + " dstRows="
        + dstBits.length / words;
  }
}
