/* Frozen copy of the enforcer's rules.RowPool before the Matcher.of speed fix (BuildBench baseline). */
package dev.tessera.bench.enforcer.baseline;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** Build-time: de-duplicates equal bitset rows into a flat long[] (row r at r * words). */
final class BaselineRowPool {
    private final boolean handedOver;
    private final int words;
    private final Map<Key, Integer> ids = new HashMap<>();
    private long[] flat = new long[64];
    private int rows;

    BaselineRowPool(boolean handedOver, int words) {
        this.handedOver = handedOver;
        this.words = words;
    }

    private record Key(long[] bits, int hash) {
        Key(long[] bits, boolean mixed) {
            this(bits, mixed ? mix(bits) : Arrays.hashCode(bits));
        }

        private static int mix(long[] bits) {
            long h = 0x9E3779B97F4A7C15L;
            for (long w : bits) {
                h = (h ^ w) * 0xC2B2AE3D27D4EB4FL;
                h ^= h >>> 31;
            }
            return (int) (h ^ (h >>> 32));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && hash == k.hash && Arrays.equals(bits, k.bits);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** Row id for {@code bits}, or -1 when all bits are clear (nothing can match). */
    int intern(long[] bits) {
        boolean empty = true;
        for (long w : bits) {
            if (w != 0) {
                empty = false;
                break;
            }
        }
        if (empty) {
            return -1;
        }
        Integer id = ids.get(new Key(bits, handedOver));
        if (id != null) {
            return id;
        }
        int r = rows++;
        if ((long) rows * words > flat.length) {
            flat = Arrays.copyOf(flat, Math.max(rows * words, flat.length * 2));
        }
        System.arraycopy(bits, 0, flat, r * words, words);
        ids.put(new Key(bits.clone(), handedOver), r);
        return r;
    }

    long[] toArray() {
        return Arrays.copyOf(flat, Math.max(1, rows * words));
    }

    int rows() {
        return rows;
    }
}
