package dev.tessera.compiler.pass;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.net.IpAddress;
import dev.tessera.testsupport.Seed;
import dev.tessera.testsupport.Seeded;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link IdShift} (remap, carry, sameAfterRemap) against a bit-by-bit model, and {@link
 * NodeIndex}'s stable ids: after a join, change or leave, the index built from the previous one
 * maps ids as {@link IdShift#between} says, and its name order ({@link NodeIndex#rank}) is the
 * fresh index's.
 */
@Seeded
class IdShiftTest {
  @Test
  void remapAgreesWithBitByBitModel(Seed given) {
    long seed = given.value();
    Random rnd = new Random(seed);
    for (int round = 0; round < 2000; round++) {
      int n = 1 + rnd.nextInt(300);
      BitSet old = new BitSet();
      double density = rnd.nextDouble();
      for (int i = 0; i < n; i++) {
        if (rnd.nextDouble() < density) {
          old.set(i);
        }
      }
      // Join: the new node takes id n; every old id stays.
      IdShift join = IdShift.join(n);
      assertThat(join.remap(old)).as("seed %d", seed).isEqualTo(old).isNotSameAs(old);
      assertThat(join.carry(old)).isSameAs(old);
      for (int i = 0; i < n; i++) {
        assertThat(join.oldId(i)).isEqualTo(i);
      }
      // Leave: old node q of n leaves; its bit goes, the last old id moves to q.
      int q = rnd.nextInt(n);
      IdShift leave = IdShift.leave(q, n);
      BitSet want = new BitSet();
      for (int i = old.nextSetBit(0); i >= 0; i = old.nextSetBit(i + 1)) {
        if (i != q) {
          want.set(i == n - 1 ? q : i);
        }
      }
      assertThat(leave.remap(old)).as("seed %d leave %d of %s", seed, q, old).isEqualTo(want);
      assertThat(leave.carry(old)).as("seed %d", seed).isEqualTo(want);
      if (!old.get(q) && !old.get(n - 1)) {
        assertThat(leave.carry(old)).isSameAs(old);
      }
      for (int i = 0; i < n - 1; i++) {
        assertThat(leave.oldId(i)).as("seed %d", seed).isEqualTo(i == q ? n - 1 : i);
      }
      assertThat(IdShift.NONE.remap(old)).isEqualTo(old);
      // sameAfterRemap: true for the model's result, false once any one bit of it differs.
      assertThat(join.sameAfterRemap(old, old)).as("seed %d", seed).isTrue();
      assertThat(leave.sameAfterRemap(old, want)).as("seed %d", seed).isTrue();
      int flip = rnd.nextInt(n + 70);
      BitSet offJoin = (BitSet) old.clone();
      offJoin.flip(flip);
      BitSet offLeave = (BitSet) want.clone();
      offLeave.flip(flip);
      assertThat(join.sameAfterRemap(old, offJoin)).as("seed %d flip %d", seed, flip).isFalse();
      assertThat(leave.sameAfterRemap(old, offLeave)).as("seed %d flip %d", seed, flip).isFalse();
    }
  }

  @Test
  void incrementalIndexKeepsIdsAndNameOrder(Seed given) {
    long seed = given.value();
    Random rnd = new Random(seed);
    List<InventoryNode> nodes = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      nodes.add(node("n" + rnd.nextInt(1000) + "-" + i, i));
    }
    NodeIndex index = new NodeIndex(nodes);
    assertThat(index.nameOrdered()).isTrue();
    for (int step = 0; step < 300; step++) {
      List<InventoryNode> next = new ArrayList<>(nodes);
      String name;
      int kind = rnd.nextInt(3);
      if (kind == 0 || next.size() < 3) {
        name = "j" + rnd.nextInt(100_000) + "-" + step;
        next.add(node(name, 100 + step));
      } else if (kind == 1) {
        name = next.remove(rnd.nextInt(next.size())).name();
      } else {
        int k = rnd.nextInt(next.size());
        name = next.get(k).name();
        next.set(k, node(name, 500 + step));
      }
      NodeIndex updated = new NodeIndex(next, index);
      NodeIndex fresh = new NodeIndex(next);
      IdShift shift = IdShift.between(index, updated, name);
      assertThat(shift).as("seed %d step %d", seed, step).isNotNull();
      // The index knows the shift it was built with; between() must not trust it for another index.
      assertThat(updated.shiftFrom(index)).isEqualTo(shift);
      assertThat(updated.shiftFrom(fresh)).isNull();
      if (next.size() > 1) {
        // A rename (one node leaves, another joins) is no single shift.
        List<InventoryNode> renamed = new ArrayList<>(next);
        String left = renamed.remove(rnd.nextInt(renamed.size())).name();
        renamed.add(node("r" + step, 900 + step));
        NodeIndex after = new NodeIndex(renamed, updated);
        assertThat(IdShift.between(updated, after, "r" + step)).isNull();
        assertThat(IdShift.between(updated, after, left)).isNull();
      }
      int x = updated.id(name);
      for (int i = 0; i < updated.size(); i++) {
        if (i != x || shift.delta() == 0) {
          assertThat(updated.node(i).name()).isEqualTo(index.node(shift.oldId(i)).name());
        }
        // Name order agrees with the fresh (name-ordered) index.
        assertThat(updated.rank(i))
            .as("seed %d step %d", seed, step)
            .isEqualTo(fresh.id(updated.node(i).name()));
        assertThat(updated.idAtRank(updated.rank(i))).isEqualTo(i);
        assertThat(updated.addresses(i))
            .isEqualTo(fresh.addresses(fresh.id(updated.node(i).name())));
      }
      int[] all = new int[updated.size()];
      for (int i = 0; i < all.length; i++) {
        all[i] = all.length - 1 - i;
      }
      updated.sortByName(all);
      for (int r = 0; r < all.length; r++) {
        assertThat(updated.node(all[r]).name()).isEqualTo(fresh.node(r).name());
      }
      nodes = next;
      index = updated;
    }
  }

  private static InventoryNode node(String name, int host) {
    return InventoryNode.of(
        name,
        "u@a.com",
        List.of(),
        List.of(IpAddress.ofV4(0x6440_0000 + host)),
        Map.of(),
        List.of());
  }
}
