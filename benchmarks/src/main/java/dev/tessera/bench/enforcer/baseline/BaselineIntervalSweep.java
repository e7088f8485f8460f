/* Frozen copy of the enforcer's rules.IntervalSweep before the Matcher.of speed fix (BuildBench baseline). */
package dev.tessera.bench.enforcer.baseline;

import java.util.Arrays;

/**
 * Build-time helper: turns a set of (closed) address or port intervals, each carrying a payload
 * number, into the elementary intervals between all their boundaries, with the set of payloads
 * active on each (as a bitset). Points are unsigned 128-bit values (hi, lo); IPv4 addresses and
 * ports use hi = 0. A sweep line over sorted start/end events makes this O(n log n + n·W).
 */
final class BaselineIntervalSweep {
    private final boolean handedOver;

    private long[] pts = new long[0]; // (hi, lo, payload, delta) quadruples: delta +1 start, -1 end
    private int n;
    private final int payloads;
    private final long topHi;
    private final long topLo;

    /**
     * @param payloads number of distinct payloads (bitset width)
     * @param topHi,topLo the largest point of the space (IPv4: 2^32-1, ports: 65535, IPv6: all ones)
     */
    BaselineIntervalSweep(boolean handedOver, int payloads, long topHi, long topLo) {
        this.handedOver = handedOver;
        this.payloads = payloads;
        this.topHi = topHi;
        this.topLo = topLo;
    }

    void add(long firstHi, long firstLo, long lastHi, long lastLo, int payload) {
        event(firstHi, firstLo, payload, 1);
        if (lastHi == topHi && lastLo == topLo) {
            return; // runs to the end of the space: no end event
        }
        long endLo = lastLo + 1;
        long endHi = endLo == 0 ? lastHi + 1 : lastHi;
        event(endHi, endLo, payload, -1);
    }

    private void event(long hi, long lo, int payload, int delta) {
        if (n * 4 + 4 > pts.length) {
            pts = Arrays.copyOf(pts, Math.max(16, pts.length * 2));
        }
        pts[n * 4] = hi;
        pts[n * 4 + 1] = lo;
        pts[n * 4 + 2] = payload;
        pts[n * 4 + 3] = delta;
        n++;
    }

    /** Event order: by point (unsigned 128-bit). Primitive merge sort: no boxing, no comparator calls. */
    private void mergeSort(int[] a, int[] tmp, int from, int to) {
        if (to - from < 2) {
            return;
        }
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
        int c = Long.compareUnsigned(pts[x * 4], pts[y * 4]);
        return c != 0 ? c < 0 : Long.compareUnsigned(pts[x * 4 + 1], pts[y * 4 + 1]) < 0;
    }

    /** Receives each elementary interval: its start and the payloads active on it. */
    interface Visitor {
        /** {@code active} is live (reused for the next segment): copy it to keep it. */
        void segment(long hi, long lo, long[] active);
    }

    /** Visits the segments in ascending order; a segment's active set may be empty (a gap). */
    void sweep(Visitor visitor) {
        int[] order = new int[n];
        if (handedOver) {
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            mergeSort(order, new int[n], 0, n);
        } else {
            Integer[] boxed = new Integer[n];
            for (int i = 0; i < n; i++) {
                boxed[i] = i;
            }
            Arrays.sort(boxed, (a, b) -> {
                int c = Long.compareUnsigned(pts[a * 4], pts[b * 4]);
                return c != 0 ? c : Long.compareUnsigned(pts[a * 4 + 1], pts[b * 4 + 1]);
            });
            for (int i = 0; i < n; i++) {
                order[i] = boxed[i];
            }
        }
        int words = (payloads + 63) >>> 6;
        int[] count = new int[payloads];
        long[] active = new long[words];
        int i = 0;
        while (i < n) {
            long hi = pts[order[i] * 4];
            long lo = pts[order[i] * 4 + 1];
            while (i < n && pts[order[i] * 4] == hi && pts[order[i] * 4 + 1] == lo) {
                int p = (int) pts[order[i] * 4 + 2];
                int d = (int) pts[order[i] * 4 + 3];
                count[p] += d;
                if (count[p] > 0) {
                    active[p >>> 6] |= 1L << p;
                } else {
                    active[p >>> 6] &= ~(1L << p);
                }
                i++;
            }
            visitor.segment(hi, lo, active);
        }
    }
}
