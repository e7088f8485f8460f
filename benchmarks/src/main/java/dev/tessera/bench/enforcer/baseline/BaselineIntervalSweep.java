package dev.tessera.bench.enforcer.baseline;

import java.util.Arrays;

/*
 * Frozen copy of the enforcer's rules.IntervalSweep as committed at e480aa2: BuildBench's "before".
 */
/**
 * Build-time helper: turns a set of (closed) address or port intervals, each carrying a payload
 * number, into the elementary intervals between all their boundaries, with the set of payloads
 * active on each (as a bitset). Points are unsigned 128-bit values (hi, lo); IPv4 addresses and
 * ports use hi = 0. A sweep line over sorted start/end events makes this O(n log n + n·W).
 *
 * <p>Speed (Matcher.of runs once per destination in {@code policyc test}): events live in
 * parallel primitive arrays and are ordered by an LSD radix sort whose passes are the JDK's
 * primitive sort of long keys {@code digit << 32 | position}: no comparator, no boxing. IPv4 and
 * port points take one pass. Only the order of distinct points matters: all events at one point
 * are applied before that segment is visited.
 */
final class BaselineIntervalSweep {

    private long[] hi;
    private long[] lo;
    private int[] ev; // payload << 1 | 1 for a start, payload << 1 for an end
    private int n;
    private final int payloads;
    private final long topHi;
    private final long topLo;

    /**
     * @param payloads number of distinct payloads (bitset width)
     * @param topHi,topLo the largest point of the space (IPv4: 2^32-1, ports: 65535, IPv6: all ones)
     */
    BaselineIntervalSweep(int payloads, long topHi, long topLo) {
        this(payloads, topHi, topLo, 8);
    }

    /** As above, sized for {@code intervals} calls to {@link #add} (growing is what a build spends most on otherwise). */
    BaselineIntervalSweep(int payloads, long topHi, long topLo, int intervals) {
        if (payloads < 0 || payloads > (1 << 30)) {
            throw new IllegalArgumentException("too many payloads: " + payloads);
        }
        this.payloads = payloads;
        this.topHi = topHi;
        this.topLo = topLo;
        int cap = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(16, 2L * intervals));
        hi = new long[cap];
        lo = new long[cap];
        ev = new int[cap];
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

    private void event(long h, long l, int payload, int start) {
        if (n == ev.length) {
            int cap = (int) Math.min(Integer.MAX_VALUE - 8, n * 2L);
            hi = Arrays.copyOf(hi, cap);
            lo = Arrays.copyOf(lo, cap);
            ev = Arrays.copyOf(ev, cap);
        }
        hi[n] = h;
        lo[n] = l;
        ev[n] = payload << 1 | start;
        n++;
    }

    /** Receives each elementary interval: its start and the payloads active on it. */
    interface Visitor {
        /** {@code active} is live (reused for the next segment): copy it to keep it. */
        void segment(long hi, long lo, long[] active);
    }

    /** Visits the segments in ascending order; a segment's active set may be empty (a gap). */
    void sweep(Visitor visitor) {
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
     * Event indices in ascending point order (ties in insertion order): a stable LSD radix sort
     * over the four 32-bit digits of the 128-bit point, each pass one primitive sort of
     * {@code digit << 32 | current position} keys (the position makes it stable). Passes whose
     * digit is the same for every event are skipped: IPv4 and port points need one pass, IPv6
     * points within one /64 two.
     */
    private int[] sortedEvents() {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
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
