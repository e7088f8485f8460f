package dev.tessera.enforcer.rules;

import java.util.Arrays;

/**
 * Build-time: de-duplicates equal bitset rows into a flat long[] (row r at r * words). Row ids are
 * handed out in first-seen order. The index is an open-addressed table of row ids over primitive
 * arrays: a lookup hashes the candidate and compares it against the flat rows in place, so
 * interning allocates nothing unless the row is new (Matcher.of interns one row per elementary
 * interval: thousands per filter).
 */
final class RowPool {
  private final int words;
  private long[] flat = new long[64];
  private int rows;
  private int[] hashes = new int[16]; // hash of row r
  private int[] table = new int[32]; // row id + 1, 0 = free; power of two, at most half full

  RowPool(int words) {
    this.words = words;
  }

  /** Rows are sparse bitsets: Arrays.hashCode collides badly on them, so mix each word. */
  private static int mix(long[] bits) {
    long h = 0x9E3779B97F4A7C15L;
    for (long w : bits) {
      h = (h ^ w) * 0xC2B2AE3D27D4EB4FL;
      h ^= h >>> 31;
    }
    return (int) (h ^ (h >>> 32));
  }

  /** One word, as {@link #mix(long[])} of a one-word row. */
  private static int mix1(long w) {
    long h = (0x9E3779B97F4A7C15L ^ w) * 0xC2B2AE3D27D4EB4FL;
    h ^= h >>> 31;
    return (int) (h ^ (h >>> 32));
  }

  int words() {
    return words;
  }

  /**
   * As {@link #intern(long[])} for a pool of one-word rows (up to 64 rules: nearly every filter),
   * without an array: the source side interns one row per elementary interval.
   */
  int intern1(long w) {
    if (w == 0) {
      return -1;
    }
    int h = mix1(w);
    int mask = table.length - 1;
    int slot = h & mask;
    for (int e; (e = table[slot]) != 0; slot = (slot + 1) & mask) {
      int r = e - 1;
      if (flat[r] == w) {
        return r;
      }
    }
    int r = rows++;
    if (rows > flat.length) {
      flat = Arrays.copyOf(flat, flat.length * 2);
    }
    flat[r] = w;
    return added(r, h, slot);
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
    int h = mix(bits);
    int mask = table.length - 1;
    int slot = h & mask;
    for (int e; (e = table[slot]) != 0; slot = (slot + 1) & mask) {
      int r = e - 1;
      if (hashes[r] == h && sameRow(r, bits)) {
        return r;
      }
    }
    int r = rows++;
    if ((long) rows * words > flat.length) {
      flat = Arrays.copyOf(flat, Math.max(rows * words, flat.length * 2));
    }
    System.arraycopy(bits, 0, flat, r * words, words);
    return added(r, h, slot);
  }

  /** Records new row {@code r} (hash {@code h}) in the free table slot {@code slot}; returns r. */
  private int added(int r, int h, int slot) {
    if (r == hashes.length) {
      hashes = Arrays.copyOf(hashes, r * 2);
    }
    hashes[r] = h;
    table[slot] = r + 1;
    if (rows * 2 > table.length) {
      rehash(table.length * 2);
    }
    return r;
  }

  private boolean sameRow(int r, long[] bits) {
    int base = r * words;
    for (int k = 0; k < words; k++) {
      if (flat[base + k] != bits[k]) {
        return false;
      }
    }
    return true;
  }

  private void rehash(int size) {
    int[] t = new int[size];
    int mask = size - 1;
    for (int r = 0; r < rows; r++) {
      int slot = hashes[r] & mask;
      while (t[slot] != 0) {
        slot = (slot + 1) & mask;
      }
      t[slot] = r + 1;
    }
    table = t;
  }

  long[] toArray() {
    return Arrays.copyOf(flat, Math.max(1, rows * words));
  }

  int rows() {
    return rows;
  }
}
