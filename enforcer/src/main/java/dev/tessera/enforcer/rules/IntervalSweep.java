package dev.tessera.enforcer.rules;

import java.util.Arrays;

/**
 * Build-time helper: turns a set of (closed) address or port intervals, each carrying a payload
 * number, into the elementary intervals between all their boundaries, with the set of payloads
 * active on each (as a bitset). Points are unsigned 128-bit values (hi, lo); IPv4 addresses and
 * ports use hi = 0. A sweep line over sorted start/end events makes this O(n log n + n·W).
 *
 * <p>Speed (Matcher.of runs once per destination in {@code policyc test}): events live in
 * parallel primitive arrays. When every point fits in 32 bits (IPv4, ports: the common case),
 * each event is sorted as one long key {@code point << 32 | event index} with the JDK's primitive
 * sort: no comparator, no boxing, no indirection. Wider (IPv6) points use a primitive merge sort
 * of event indices over the (hi, lo) arrays. Only the order of distinct points matters: all
 * events at one point are applied before that segment is visited.
 */
final class IntervalSweep {

    private long[] hi;
    private long[] lo;
    private int[] ev; // payload << 1 | 1 for a start, payload << 1 for an end
    private int n;
    private boolean narrow = true; // every point < 2^32
    private final int payloads;
    private final long topHi;
    private final long topLo;

    /**
     * @param payloads number of distinct payloads (bitset width)
     * @param topHi,topLo the largest point of the space (IPv4: 2^32-1, ports: 65535, IPv6: all ones)
     */
    IntervalSweep(int payloads, long topHi, long topLo) {
        this(payloads, topHi, topLo, 8);
    }

    /** As above, sized for {@code intervals} calls to {@link #add} (growing is what a build spends most on otherwise). */
    IntervalSweep(int payloads, long topHi, long topLo, int intervals) {
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
        if (h != 0 || (l >>> 32) != 0) {
            narrow = false;
        }
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

    /** Event indices in ascending point order (ties in insertion order). */
    private int[] sortedEvents() {
        int[] order = new int[n];
        if (narrow) {
            long[] keys = new long[n];
            for (int i = 0; i < n; i++) {
                // lo < 2^32, i < 2^31: the key orders as (point, index) unsigned; flipping the
                // sign bit makes the signed primitive sort order it so. The index survives in
                // the low 32 bits.
                keys[i] = (lo[i] << 32 | i) ^ Long.MIN_VALUE;
            }
            Arrays.sort(keys);
            for (int i = 0; i < n; i++) {
                order[i] = (int) keys[i];
            }
            return order;
        }
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        mergeSort(order, new int[n], 0, n);
        return order;
    }

    /** Stable primitive merge sort of event indices by unsigned 128-bit point. */
    private void mergeSort(int[] a, int[] tmp, int from, int to) {
        if (to - from <= 16) {
            for (int i = from + 1; i < to; i++) {
                int x = a[i];
                int j = i - 1;
                while (j >= from && less(x, a[j])) {
                    a[j + 1] = a[j];
                    j--;
                }
                a[j + 1] = x;
            }
            return;
        }
        int mid = (from + to) >>> 1;
        mergeSort(a, tmp, from, mid);
        mergeSort(a, tmp, mid, to);
        if (!less(a[mid], a[mid - 1])) {
            return;
        }
        System.arraycopy(a, from, tmp, from, to - from);
        int i = from;
        int j = mid;
        for (int k = from; k < to; k++) {
            if (j >= to || (i < mid && !less(tmp[j], tmp[i]))) {
                a[k] = tmp[i++];
            } else {
                a[k] = tmp[j++];
            }
        }
    }

    private boolean less(int x, int y) {
        long hx = hi[x];
        long hy = hi[y];
        if (hx != hy) {
            return Long.compareUnsigned(hx, hy) < 0;
        }
        return Long.compareUnsigned(lo[x], lo[y]) < 0;
    }
}
