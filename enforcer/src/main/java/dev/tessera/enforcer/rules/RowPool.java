package dev.tessera.enforcer.rules;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** Build-time: de-duplicates equal bitset rows into a flat long[] (row r at r * words). */
final class RowPool {
    private final int words;
    private final Map<Key, Integer> ids = new HashMap<>();
    private long[] flat = new long[64];
    private int rows;

    RowPool(int words) {
        this.words = words;
    }

    private record Key(long[] bits) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(bits, k.bits);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bits);
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
        Integer id = ids.get(new Key(bits));
        if (id != null) {
            return id;
        }
        int r = rows++;
        if ((long) rows * words > flat.length) {
            flat = Arrays.copyOf(flat, Math.max(rows * words, flat.length * 2));
        }
        System.arraycopy(bits, 0, flat, r * words, words);
        ids.put(new Key(bits.clone()), r);
        return r;
    }

    long[] toArray() {
        return Arrays.copyOf(flat, Math.max(1, rows * words));
    }

    int rows() {
        return rows;
    }
}
