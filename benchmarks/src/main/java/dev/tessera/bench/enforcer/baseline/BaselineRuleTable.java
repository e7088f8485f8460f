package dev.tessera.bench.enforcer.baseline;

import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.IpPrefix;
import dev.tessera.enforcer.format.IpProtocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Frozen copy of the enforcer's rules.RuleTable as committed before the Matcher.of speed fix
 * (BuildBench baseline; {@code handedOver} selects the uncommitted intermediate state: primitive
 * merge sort and mixed row hash). Lookups kept only so tests of equality via describe() work.
 *
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
public final class BaselineRuleTable {
    private final boolean ipv6;
    private final int words;
    private final int[] localToGlobal;

    // source lookup
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

    private BaselineRuleTable(boolean ipv6, int words, int[] localToGlobal, int[] srcStart4, long[] srcStartHi,
            long[] srcStartLo, int[] srcRow, long[] srcBits, int[] dstStart4, long[] dstStartHi, long[] dstStartLo,
            int[] dstClass, int[] protoSlot, int protoSlots, int[][] portStart, int[][] portRow, long[] dstBits) {
        this.ipv6 = ipv6;
        this.words = words;
        this.localToGlobal = localToGlobal;
        this.srcStart4 = srcStart4;
        this.srcStartHi = srcStartHi;
        this.srcStartLo = srcStartLo;
        this.srcRow = srcRow;
        this.srcBits = srcBits;
        this.dstStart4 = dstStart4;
        this.dstStartHi = dstStartHi;
        this.dstStartLo = dstStartLo;
        this.dstClass = dstClass;
        this.protoSlot = protoSlot;
        this.protoSlots = protoSlots;
        this.portStart = portStart;
        this.portRow = portRow;
        this.dstBits = dstBits;
    }

    /** Builds the table for one family from all rules (others are ignored). */
    public static BaselineRuleTable build(List<FilterRule> rules, boolean ipv6, boolean handedOver) {
        int icmp = ipv6 ? IpProtocol.ICMPV6 : IpProtocol.ICMP;
        long topHi = ipv6 ? -1L : 0;
        long topLo = ipv6 ? -1L : 0xFFFF_FFFFL;
        // 1. local rule numbering
        List<Integer> local = new ArrayList<>();
        for (int g = 0; g < rules.size(); g++) {
            FilterRule r = rules.get(g);
            boolean src = r.sources().stream().anyMatch(p -> p.ipv6() == ipv6);
            boolean dst = r.destinations().stream().anyMatch(d -> d.prefix().ipv6() == ipv6);
            if (src && dst) {
                local.add(g);
            }
        }
        int nLocal = local.size();
        int words = Math.max(1, (nLocal + 63) >>> 6);
        int[] localToGlobal = local.stream().mapToInt(Integer::intValue).toArray();

        // 2. source intervals
        BaselineIntervalSweep srcSweep = new BaselineIntervalSweep(handedOver, Math.max(1, nLocal), topHi, topLo);
        for (int l = 0; l < nLocal; l++) {
            for (IpPrefix p : rules.get(localToGlobal[l]).sources()) {
                if (p.ipv6() == ipv6) {
                    srcSweep.add(p.hi(), p.lo(), p.lastHi(), p.lastLo(), l);
                }
            }
        }
        BaselineRowPool srcPool = new BaselineRowPool(handedOver, words);
        List<long[]> srcStarts = new ArrayList<>();
        List<Integer> srcRows = new ArrayList<>();
        srcSweep.sweep((hi, lo, active) -> {
            int row = srcPool.intern(active);
            if (!srcRows.isEmpty() && srcRows.get(srcRows.size() - 1) == row) {
                return; // same rules as the previous interval: merge
            }
            srcStarts.add(new long[] {hi, lo});
            srcRows.add(row);
        });

        // 3. destination classes: pairs (local rule, destination entry)
        List<int[]> pairs = new ArrayList<>(); // {local rule, index in destinations}
        BaselineIntervalSweep dstSweepPairs;
        for (int l = 0; l < nLocal; l++) {
            List<DstPorts> ds = rules.get(localToGlobal[l]).destinations();
            for (int d = 0; d < ds.size(); d++) {
                if (ds.get(d).prefix().ipv6() == ipv6) {
                    pairs.add(new int[] {l, d});
                }
            }
        }
        dstSweepPairs = new BaselineIntervalSweep(handedOver, Math.max(1, pairs.size()), topHi, topLo);
        for (int i = 0; i < pairs.size(); i++) {
            IpPrefix p = rules.get(localToGlobal[pairs.get(i)[0]]).destinations().get(pairs.get(i)[1]).prefix();
            dstSweepPairs.add(p.hi(), p.lo(), p.lastHi(), p.lastLo(), i);
        }
        BaselineRowPool classPool = new BaselineRowPool(handedOver, (Math.max(1, pairs.size()) + 63) >>> 6);
        List<long[]> dstStarts = new ArrayList<>();
        List<Integer> dstClasses = new ArrayList<>();
        List<long[]> classMembers = new ArrayList<>();
        dstSweepPairs.sweep((hi, lo, active) -> {
            int cls = classPool.intern(active);
            if (cls == classMembers.size()) {
                classMembers.add(active.clone());
            }
            if (!dstClasses.isEmpty() && dstClasses.get(dstClasses.size() - 1) == cls) {
                return;
            }
            dstStarts.add(new long[] {hi, lo});
            dstClasses.add(cls);
        });

        // 4. protocol slots
        int[] protoSlot = new int[256];
        Arrays.fill(protoSlot, -1);
        int slots = 0;
        for (int l = 0; l < nLocal; l++) {
            for (int p : rules.get(localToGlobal[l]).effectiveProtocols()) {
                if (protoSlot[p] < 0) {
                    protoSlot[p] = slots++;
                }
            }
        }
        boolean[][] ruleHasProto = new boolean[nLocal][256];
        for (int l = 0; l < nLocal; l++) {
            for (int p : rules.get(localToGlobal[l]).effectiveProtocols()) {
                ruleHasProto[l][p] = true;
            }
        }
        int[] slotProto = new int[slots];
        for (int p = 0; p < 256; p++) {
            if (protoSlot[p] >= 0) {
                slotProto[protoSlot[p]] = p;
            }
        }

        // 5. per class and protocol, port intervals
        BaselineRowPool dstPool = new BaselineRowPool(handedOver, words);
        int classes = classMembers.size();
        int[][] portStart = new int[classes * Math.max(1, slots)][];
        int[][] portRow = new int[classes * Math.max(1, slots)][];
        for (int c = 0; c < classes; c++) {
            long[] members = classMembers.get(c);
            for (int slot = 0; slot < slots; slot++) {
                int proto = slotProto[slot];
                BaselineIntervalSweep portSweep = new BaselineIntervalSweep(handedOver, Math.max(1, nLocal), 0, 65535);
                boolean any = false;
                for (int i = nextSetBit(members, 0); i >= 0; i = nextSetBit(members, i + 1)) {
                    int l = pairs.get(i)[0];
                    if (!ruleHasProto[l][proto]) {
                        continue;
                    }
                    FilterRule r = rules.get(localToGlobal[l]);
                    DstPorts d = r.destinations().get(pairs.get(i)[1]);
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
                List<Integer> starts = new ArrayList<>();
                List<Integer> rows = new ArrayList<>();
                portSweep.sweep((hi, lo, active) -> {
                    int row = dstPool.intern(active);
                    if (!rows.isEmpty() && rows.get(rows.size() - 1) == row) {
                        return;
                    }
                    starts.add((int) lo);
                    rows.add(row);
                });
                portStart[c * slots + slot] = starts.stream().mapToInt(Integer::intValue).toArray();
                portRow[c * slots + slot] = rows.stream().mapToInt(Integer::intValue).toArray();
            }
        }

        int ns = srcStarts.size();
        int nd = dstStarts.size();
        int[] s4 = new int[ipv6 ? 0 : ns];
        long[] sHi = new long[ipv6 ? ns : 0];
        long[] sLo = new long[ipv6 ? ns : 0];
        for (int i = 0; i < ns; i++) {
            if (ipv6) {
                sHi[i] = srcStarts.get(i)[0] ^ Long.MIN_VALUE;
                sLo[i] = srcStarts.get(i)[1] ^ Long.MIN_VALUE;
            } else {
                s4[i] = (int) srcStarts.get(i)[1] ^ Integer.MIN_VALUE;
            }
        }
        int[] d4 = new int[ipv6 ? 0 : nd];
        long[] dHi = new long[ipv6 ? nd : 0];
        long[] dLo = new long[ipv6 ? nd : 0];
        for (int i = 0; i < nd; i++) {
            if (ipv6) {
                dHi[i] = dstStarts.get(i)[0] ^ Long.MIN_VALUE;
                dLo[i] = dstStarts.get(i)[1] ^ Long.MIN_VALUE;
            } else {
                d4[i] = (int) dstStarts.get(i)[1] ^ Integer.MIN_VALUE;
            }
        }
        return new BaselineRuleTable(ipv6, words, localToGlobal, s4, sHi, sLo,
                srcRows.stream().mapToInt(Integer::intValue).toArray(), srcPool.toArray(), d4, dHi, dLo,
                dstClasses.stream().mapToInt(Integer::intValue).toArray(), protoSlot, slots, portStart, portRow,
                dstPool.toArray());
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
        int i = search(srcStart4, addr ^ Integer.MIN_VALUE);
        return i < 0 ? -1 : srcRow[i];
    }

    public int srcRow6(long hi, long lo) {
        int i = search(srcStartHi, srcStartLo, hi ^ Long.MIN_VALUE, lo ^ Long.MIN_VALUE);
        return i < 0 ? -1 : srcRow[i];
    }

    /** Destination/protocol/port row for an IPv4 destination, or -1. */
    public int dstRow4(int addr, int proto, int port) {
        int i = search(dstStart4, addr ^ Integer.MIN_VALUE);
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
        int[] starts = portStart[cls * protoSlots + slot];
        if (starts == null) {
            return -1;
        }
        int i = search(starts, port); // ports are 0..65535: plain signed order is fine
        return i < 0 ? -1 : portRow[cls * protoSlots + slot][i];
    }

    /** True iff the rows share a rule. Both must be >= 0. */
    public boolean intersects(int srcRowId, int dstRowId) {
        int a = srcRowId * words;
        int b = dstRowId * words;
        long[] s = srcBits;
        long[] d = dstBits;
        for (int k = 0; k < words; k++) {
            if ((s[a + k] & d[b + k]) != 0) {
                return true;
            }
        }
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
    private static int search(int[] starts, int key) {
        int lo = 0;
        int hi = starts.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (starts[mid] <= key) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

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
