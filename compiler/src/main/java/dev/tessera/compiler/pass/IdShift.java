package dev.tessera.compiler.pass;

import java.util.BitSet;

/**
 * How node ids move when one node joins or leaves an incrementally updated compilation ({@link
 * NodeIndex#NodeIndex(java.util.List, NodeIndex)} keeps ids stable): a node joining takes the next
 * free id (the old size), so no old id moves; a node leaving from old id {@code at} hands that id
 * to the node with the last old id ({@code last}), so exactly one id moves; a change keeps every
 * id. Old per-node results (bit sets over node ids) thus carry over as they are, or with two bits
 * touched, instead of being shifted word by word (which cost a pass over every set at 10k nodes).
 *
 * @param at the joined node's new id, or the left node's old id
 * @param delta +1 (join), -1 (leave) or 0 (no id moves)
 * @param last for a leave, the last old id (the node that moves to {@code at}, or {@code at}
 *     itself)
 */
public record IdShift(int at, int delta, int last) {
  public static final IdShift NONE = new IdShift(0, 0, -1);

  /** A node joined with new id {@code newId}, which must be the old node count. */
  public static IdShift join(int newId) {
    return new IdShift(newId, +1, -1);
  }

  /** The node with old id {@code oldId} left, out of {@code oldSize} nodes. */
  public static IdShift leave(int oldId, int oldSize) {
    return new IdShift(oldId, -1, oldSize - 1);
  }

  /**
   * The shift from {@code oi} to {@code ni} after the node named {@code name} joined, changed or
   * left, or null when {@code ni}'s ids are not {@code oi}'s moved that way (for instance a fresh,
   * name-ordered index): checked for every node, by name.
   */
  public static IdShift between(NodeIndex oi, NodeIndex ni, String name) {
    int x = ni.id(name);
    int xOld = oi.id(name);
    IdShift shift;
    if (x >= 0 && xOld >= 0) {
      shift = x == xOld && ni.size() == oi.size() ? NONE : null;
    } else if (x >= 0) {
      shift = x == oi.size() && ni.size() == oi.size() + 1 ? join(x) : null;
    } else if (xOld >= 0) {
      shift = ni.size() == oi.size() - 1 ? leave(xOld, oi.size()) : null;
    } else {
      shift = ni.size() == oi.size() ? NONE : null;
    }
    if (ni.builtFrom(oi)) {
      // ni was built from oi and knows the one shift its ids are (or none): no name comparisons.
      return java.util.Objects.equals(shift, ni.shiftFrom(oi)) ? shift : null;
    }
    for (int i = 0; shift != null && i < ni.size(); i++) {
      if (i != x && !ni.node(i).name().equals(oi.node(shift.oldId(i)).name())) {
        shift = null;
      }
    }
    return shift;
  }

  /**
   * Do surviving nodes keep their old ids (no node left)? Then old bit sets are valid as they are.
   */
  public boolean keepsOldIds() {
    return delta >= 0;
  }

  /** Old id of new id {@code i}, which must have existed before (not the joined node). */
  public int oldId(int i) {
    return delta < 0 && i == at ? last : i;
  }

  /**
   * An old-id bit set in new ids, as a fresh set the caller may modify: for a leave, bit {@code at}
   * (the node that left) is dropped and bit {@code last} moves to {@code at}.
   */
  public BitSet remap(BitSet old) {
    BitSet out = (BitSet) old.clone();
    if (delta < 0 && at != last) {
      boolean moved = out.get(last);
      out.clear(last);
      out.set(at, moved);
    } else if (delta < 0) {
      out.clear(at);
    }
    return out;
  }

  /**
   * {@link #remap}, but {@code old} itself when remapping leaves it unchanged (the result must then
   * not be modified: it may be shared with the previous compilation).
   */
  public BitSet carry(BitSet old) {
    if (delta >= 0 || !old.get(at) && !old.get(last)) {
      return old;
    }
    return remap(old);
  }

  /** {@code now.equals(remap(old))}, without building the remapped set in the common cases. */
  public boolean sameAfterRemap(BitSet old, BitSet now) {
    if (delta >= 0) {
      return now.equals(old);
    }
    if (!old.get(at) && !old.get(last)) {
      return now.equals(old);
    }
    return now.equals(remap(old));
  }
}
