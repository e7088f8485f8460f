package dev.tessera.compiler.pass;

import java.util.BitSet;

/**
 * How node ids move when one node joins or leaves. Ids are ranks by name ({@link NodeIndex}), so
 * a node joining at new id {@code at} moves every later id up by one, a node leaving from old id
 * {@code at} moves every later id down by one, and a change keeps every id. Used to carry old
 * per-node results (bit sets over node ids) into the new index without walking their bits.
 *
 * @param at the joined node's new id, or the left node's old id
 * @param delta +1 (join), -1 (leave) or 0 (no id moves)
 */
public record IdShift(int at, int delta) {
  public static final IdShift NONE = new IdShift(0, 0);

  public static IdShift join(int newId) {
    return new IdShift(newId, +1);
  }

  public static IdShift leave(int oldId) {
    return new IdShift(oldId, -1);
  }

  /** Old id of new id {@code i}, which must have existed before (not the joined node). */
  public int oldId(int i) {
    return delta > 0 && i > at || delta < 0 && i >= at ? i - delta : i;
  }

  /**
   * An old-id bit set in new ids, word by word: bits below {@code at} stay; for a join the rest
   * move up by one (bit {@code at}, the joined node, stays clear), for a leave bit {@code at} is
   * dropped and the rest move down by one.
   */
  public BitSet remap(BitSet old) {
    if (delta == 0) {
      return (BitSet) old.clone();
    }
    // In place on the one copy toLongArray makes (BitSet.valueOf copies once more): ids move by
    // one bit, so each word takes one bit from its neighbour; words below at's word stay.
    long[] w = old.toLongArray();
    int aw = at >>> 6;
    if (aw >= w.length) {
      return BitSet.valueOf(w); // every set bit is below at: nothing moves
    }
    long keep = (1L << at) - 1; // bits of at's word below at (at & 63 == 0: none)
    if (delta > 0) {
      if (w[w.length - 1] < 0) {
        w = java.util.Arrays.copyOf(w, w.length + 1); // the top bit moves into a new word
      }
      for (int k = w.length - 1; k > aw; k--) {
        w[k] = w[k] << 1 | w[k - 1] >>> 63;
      }
      long a = w[aw];
      w[aw] = a & keep | (a << 1) & ~keep & ~(1L << at); // bit at (the joined node) stays clear
    } else {
      long a = w[aw];
      long next = aw + 1 < w.length ? w[aw + 1] : 0;
      w[aw] = a & keep | (a >>> 1 | next << 63) & ~keep;
      for (int k = aw + 1; k < w.length; k++) {
        w[k] = w[k] >>> 1 | (k + 1 < w.length ? w[k + 1] << 63 : 0);
      }
    }
    return BitSet.valueOf(w);
  }

  /** {@code now.equals(remap(old))}, without building the remapped set. */
  public boolean sameAfterRemap(BitSet old, BitSet now) {
    if (delta == 0) {
      return now.equals(old);
    }
    long[] w = old.toLongArray();
    long[] v = now.toLongArray();
    int words = Math.max(w.length + 1, v.length);
    for (int k = 0; k < words; k++) {
      if (word(w, k) != (k < v.length ? v[k] : 0L)) {
        return false;
      }
    }
    return true;
  }

  /** Word {@code k} of the remapped form of the old words {@code w}. */
  private long word(long[] w, int k) {
    long orig = k < w.length ? w[k] : 0;
    long shifted;
    if (delta > 0) {
      shifted = (orig << 1) | (k > 0 && k - 1 < w.length ? w[k - 1] >>> 63 : 0);
    } else {
      shifted = (orig >>> 1) | (k + 1 < w.length ? w[k + 1] << 63 : 0);
    }
    int aw = at >>> 6;
    long low = k < aw ? -1L : k == aw ? (1L << at) - 1 : 0L; // the bits below at
    long high = delta > 0 ? ~low & ~(k == aw ? 1L << at : 0L) : ~low;
    return (orig & low) | (shifted & high);
  }
}
