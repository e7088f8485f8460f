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
    long[] w = old.toLongArray();
    long[] out = new long[w.length + 1];
    int aw = at >>> 6;
    for (int k = 0; k < out.length; k++) {
      long orig = k < w.length ? w[k] : 0;
      long shifted;
      if (delta > 0) {
        shifted = (orig << 1) | (k > 0 && k - 1 < w.length ? w[k - 1] >>> 63 : 0);
      } else {
        shifted = (orig >>> 1) | (k + 1 < w.length ? w[k + 1] << 63 : 0);
      }
      long low = k < aw ? -1L : k == aw ? (1L << at) - 1 : 0L; // the bits below at
      long high = delta > 0 ? ~low & ~(k == aw ? 1L << at : 0L) : ~low;
      out[k] = (orig & low) | (shifted & high);
    }
    return BitSet.valueOf(out);
  }
}
