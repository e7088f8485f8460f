package dev.tessera.enforcer.rules;

import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.IpPrefix;
import dev.tessera.enforcer.format.IpProtocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The rules of one address family, indexed for the packet path.
 *
 * <p>Design (bit-vector classification, Lakshman and Stiliadis, SIGCOMM 1998, over two
 * dimensions instead of one per field). Rules relevant to the family get a local bit. Two
 * lookups each yield a bitset over those bits:
 * <ul>
 *   <li>source: the address space is cut into the elementary intervals between all source
 *       prefix boundaries; each interval maps to the set of rules whose sources cover it;</li>
 *   <li>destination → protocol → port: destination space cut the same way into classes (sets
 *       of (rule, destination) pairs covering it), and per class and protocol the port space is
 *       cut into intervals, each mapping to the set of rules allowing that (dst, proto, port).</li>
 * </ul>
 * A packet is allowed iff the two bitsets intersect. Equal rows are stored once, so tables
 * stay small when many addresses share rule membership (the common case: group members).
 * Lookups are binary searches over primitive arrays plus an AND over ceil(rules/64) words —
 * no allocation, no per-rule loop. Addresses are compared as signed values after flipping the
 * sign bit, which orders them as unsigned.
 *
 * <p>Protocol semantics (kept identical for the query path, which uses the same arrays):
 * TCP, UDP and SCTP match the port range; the family's ICMP (1 for IPv4, 58 for IPv6) ignores
 * it; any other protocol matches only destinations whose range is all ports (Tailscale's
 * {@code matchProtoAndIPsOnlyIfAllPorts}). Callers pass port 0 for portless protocols.
 */
public final class RuleTable {
    private final boolean ipv6;
    private final int words;
    private final int[] localToGlobal;

    // source lookup (shared, through a SourceCache, by tables whose rules have the same sources)
    private final int[] srcStart4;      // sign-flipped
    private final long[] srcStartHi;    // sign-flipped
    private final long[] srcStartLo;    // sign-flipped
    private final int[] srcRow;         // row id or -1
    private final long[] srcBits;

    // destination lookup
    private final int[] dstStart4;
    private final long[] dstStartHi;
    private final long[] dstStartLo;
    private final int[] dstClass;       // class id or -1
    private final int[] protoSlot;      // 256 entries, -1 = no rule has this protocol
    private final int protoSlots;
    private final int[][] portStart;    // [class * protoSlots + slot] -> sorted port starts, or null
    private final int[][] portRow;      // row ids into dstBits, -1 where nothing is allowed
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

    private RuleTable(boolean ipv6, Sources src, int[] dstStart4, long[] dstStartHi, long[] dstStartLo,
            int[] dstClass, int[] protoSlot, int protoSlots, int[][] portStart, int[][] portRow, long[] dstBits) {
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
     * Builds both families' tables ([IPv4, IPv6]) with one walk over the source prefixes: the
     * walk (pointer chasing through thousands of {@code IpPrefix} records per filter) was a
     * quarter of a build when each family walked every prefix. A rule gets its local number in a
     * family at its first source of that family, if it has a destination there, so the
     * numbering is the same as numbering the rules with sources and destinations in the family.
     */
    public static RuleTable[] buildBoth(List<FilterRule> rules) {
        return buildBoth(rules, null);
    }

    /**
     * As {@link #buildBoth(List)}; with a {@code cache}, the source side of each family (local
     * numbering, source intervals and rows: the larger part of a build) is taken from an earlier
     * build whose rules had the very same source lists and destination families, or computed and
     * left there for the next one. The tables are the same either way (MatcherCacheTest).
     */
    public static RuleTable[] buildBoth(List<FilterRule> rules, SourceCache cache) {
        SourceCache.Key key = cache == null ? null : SourceCache.Key.of(rules);
        Sources[] shared = key == null ? null : cache.get(key);
        if (shared == null) {
            shared = sources(rules);
            if (key != null) {
                cache.put(key, shared);
            }
        }
        return new RuleTable[] {finish(rules, false, shared[0]), finish(rules, true, shared[1])};
    }

    /** Both families' source sides: local numbering and source intervals with their rows. */
    private static Sources[] sources(List<FilterRule> rules) {
        int n = rules.size();
        int total = 0;
        for (int g = 0; g < n; g++) {
            total += rules.get(g).sources().size();
        }
        int hint = total / 2 + 8; // compiler output holds about as many IPv6 as IPv4 sources
        IntervalSweep sweep4 = new IntervalSweep(0, 0, 0xFFFF_FFFFL, hint);
        IntervalSweep sweep6 = new IntervalSweep(0, -1L, -1L, hint);
        IntList local4 = new IntList();
        IntList local6 = new IntList();
        for (int g = 0; g < n; g++) {
            FilterRule r = rules.get(g);
            List<DstPorts> ds = r.destinations();
            boolean d4 = false;
            boolean d6 = false;
            for (int i = 0, nd = ds.size(); i < nd; i++) {
                if (ds.get(i).prefix().ipv6()) {
                    d6 = true;
                } else {
                    d4 = true;
                }
            }
            if (!d4 && !d6) {
                continue;
            }
            List<IpPrefix> sources = r.sources();
            int l4 = -1;
            int l6 = -1;
            for (int k = 0, ns = sources.size(); k < ns; k++) {
                IpPrefix p = sources.get(k);
                if (p.ipv6()) {
                    if (d6) {
                        if (l6 < 0) {
                            l6 = local6.size;
                            local6.add(g);
                        }
                        sweep6.add(p.hi(), p.lo(), p.lastHi(), p.lastLo(), l6);
                    }
                } else if (d4) {
                    if (l4 < 0) {
                        l4 = local4.size;
                        local4.add(g);
                    }
                    sweep4.add(0, p.lo(), 0, p.lastLo(), l4);
                }
            }
        }
        return new Sources[] {Sources.of(false, local4.toArray(), sweep4), Sources.of(true, local6.toArray(), sweep6)};
    }

    /**
     * A family's source side: which rules the table numbers (local bit l is rule
     * {@code localToGlobal[l]}) and the source intervals (sign-flipped starts) with their rows of
     * rule bits. Immutable once built, so tables may share it.
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

        private Sources(int words, int[] localToGlobal, int[] start4, long[] startHi, long[] startLo, int[] row,
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
        static Sources of(boolean ipv6, int[] localToGlobal, IntervalSweep srcSweep) {
            int nLocal = localToGlobal.length;
            int words = Math.max(1, (nLocal + 63) >>> 6);
            srcSweep.payloads(Math.max(1, nLocal));
            RowPool srcPool = new RowPool(words);
            Segments src = new Segments(srcSweep.size() + 1);
            srcSweep.sweep((hi, lo, active) -> src.add(hi, lo, srcPool.intern(active)));
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
            return new Sources(words, localToGlobal, s4, sHi, sLo, Arrays.copyOf(src.row, ns), srcPool.toArray());
        }
    }

    /** The rest of a family's build: destinations, protocols and ports, over its source side. */
    private static RuleTable finish(List<FilterRule> rules, boolean ipv6, Sources sources) {
        int icmp = ipv6 ? IpProtocol.ICMPV6 : IpProtocol.ICMP;
        long topHi = ipv6 ? -1L : 0;
        long topLo = ipv6 ? -1L : 0xFFFF_FFFFL;
        int[] localToGlobal = sources.localToGlobal;
        int nLocal = localToGlobal.length;
        int words = sources.words;

        // 3. destination classes: pairs (local rule, destination entry)
        IntList pairRule = new IntList();
        IntList pairDst = new IntList();
        for (int l = 0; l < nLocal; l++) {
            List<DstPorts> ds = rules.get(localToGlobal[l]).destinations();
            for (int d = 0; d < ds.size(); d++) {
                if (ds.get(d).prefix().ipv6() == ipv6) {
                    pairRule.add(l);
                    pairDst.add(d);
                }
            }
        }
        int nPairs = pairRule.size;
        IntervalSweep dstSweepPairs = new IntervalSweep(Math.max(1, nPairs), topHi, topLo, nPairs);
        for (int i = 0; i < nPairs; i++) {
            IpPrefix p = rules.get(localToGlobal[pairRule.get(i)]).destinations().get(pairDst.get(i)).prefix();
            dstSweepPairs.add(p.hi(), p.lo(), p.lastHi(), p.lastLo(), i);
        }
        RowPool classPool = new RowPool((Math.max(1, nPairs) + 63) >>> 6);
        Segments dst = new Segments(2 * nPairs + 1);
        List<long[]> classMembers = new ArrayList<>();
        dstSweepPairs.sweep((hi, lo, active) -> {
            int cls = classPool.intern(active);
            if (cls == classMembers.size()) {
                classMembers.add(active.clone());
            }
            dst.add(hi, lo, cls);
        });

        // 4. protocol slots
        int[] protoSlot = new int[256];
        Arrays.fill(protoSlot, -1);
        int slots = 0;
        long[] ruleProtos = new long[nLocal * 4]; // 256-bit protocol set per local rule
        for (int l = 0; l < nLocal; l++) {
            for (int p : rules.get(localToGlobal[l]).effectiveProtocols()) {
                if (protoSlot[p] < 0) {
                    protoSlot[p] = slots++;
                }
                ruleProtos[l * 4 + (p >>> 6)] |= 1L << p;
            }
        }
        int[] slotProto = new int[slots];
        for (int p = 0; p < 256; p++) {
            if (protoSlot[p] >= 0) {
                slotProto[protoSlot[p]] = p;
            }
        }

        // 5. per class and protocol, port intervals
        RowPool dstPool = new RowPool(words);
        int classes = classMembers.size();
        int[][] portStart = new int[classes * Math.max(1, slots)][];
        int[][] portRow = new int[classes * Math.max(1, slots)][];
        Segments ports = new Segments(16);
        for (int c = 0; c < classes; c++) {
            long[] members = classMembers.get(c);
            for (int slot = 0; slot < slots; slot++) {
                int proto = slotProto[slot];
                IntervalSweep portSweep = new IntervalSweep(Math.max(1, nLocal), 0, 65535, cardinality(members));
                boolean any = false;
                for (int i = nextSetBit(members, 0); i >= 0; i = nextSetBit(members, i + 1)) {
                    int l = pairRule.get(i);
                    if ((ruleProtos[l * 4 + (proto >>> 6)] & (1L << proto)) == 0) {
                        continue;
                    }
                    FilterRule r = rules.get(localToGlobal[l]);
                    DstPorts d = r.destinations().get(pairDst.get(i));
                    if (IpProtocol.hasPorts(proto)) {
                        portSweep.add(0, d.firstPort(), 0, d.lastPort(), l);
                    } else if (proto == icmp || d.allPorts()) {
                        portSweep.add(0, 0, 0, 65535, l);
                    } else {
                        continue;
                    }
                    any = true;
                }
                if (!any) {
                    continue;
                }
                ports.clear();
                portSweep.sweep((hi, lo, active) -> ports.add(hi, lo, dstPool.intern(active)));
                int[] starts = new int[ports.size];
                for (int i = 0; i < ports.size; i++) {
                    starts[i] = (int) ports.lo[i];
                }
                portStart[c * slots + slot] = starts;
                portRow[c * slots + slot] = Arrays.copyOf(ports.row, ports.size);
            }
        }

        int nd = dst.size;
        int[] d4 = new int[ipv6 ? 0 : nd];
        long[] dHi = new long[ipv6 ? nd : 0];
        long[] dLo = new long[ipv6 ? nd : 0];
        for (int i = 0; i < nd; i++) {
            if (ipv6) {
                dHi[i] = dst.hi[i] ^ Long.MIN_VALUE;
                dLo[i] = dst.lo[i] ^ Long.MIN_VALUE;
            } else {
                d4[i] = (int) dst.lo[i] ^ Integer.MIN_VALUE;
            }
        }
        return new RuleTable(ipv6, sources, d4, dHi, dLo, Arrays.copyOf(dst.row, nd), protoSlot, slots, portStart,
                portRow, dstPool.toArray());
    }

    private static boolean anyDestinationOf(List<DstPorts> ds, boolean ipv6) {
        for (int i = 0, n = ds.size(); i < n; i++) {
            if (ds.get(i).prefix().ipv6() == ipv6) {
                return true;
            }
        }
        return false;
    }

    /**
     * Build-time list of interval starts and their row ids; a start whose row equals the previous
     * one is merged into it (same rules as the interval before).
     */
    private static final class Segments {
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

    private static int cardinality(long[] bits) {
        int n = 0;
        for (long w : bits) {
            n += Long.bitCount(w);
        }
        return n;
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
        int i = IntSearch.find(starts, portIndex[k], port); // ports are 0..65535: plain signed order is fine
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
        return (ipv6 ? "v6" : "v4") + ": rules=" + localToGlobal.length + " srcIntervals=" + srcRow.length
                + " srcRows=" + srcBits.length / words + " dstIntervals=" + dstClass.length + " protoSlots=" + protoSlots
                + " dstRows=" + dstBits.length / words;
    }
}
