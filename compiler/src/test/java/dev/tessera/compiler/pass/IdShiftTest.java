package dev.tessera.compiler.pass;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link IdShift#remap} and {@link IdShift#sameAfterRemap} (word shifts) against a bit-by-bit model, across word boundaries. */
class IdShiftTest {
  @Test
  void remapAgreesWithBitByBitModel() {
    long seed = new Random().nextLong();
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
      // Join: a new node at id x of n + 1; old ids >= x move up.
      int x = rnd.nextInt(n + 1);
      IdShift join = IdShift.join(x);
      BitSet wantJoin = new BitSet();
      for (int i = old.nextSetBit(0); i >= 0; i = old.nextSetBit(i + 1)) {
        wantJoin.set(i < x ? i : i + 1);
      }
      assertThat(join.remap(old)).as("seed %d join at %d of %s", seed, x, old).isEqualTo(wantJoin);
      for (int i = 0; i <= n; i++) {
        if (i != x) {
          assertThat(join.oldId(i)).as("seed %d", seed).isEqualTo(i < x ? i : i - 1);
        }
      }
      // Leave: old node q of n leaves; its bit goes, old ids > q move down.
      int q = rnd.nextInt(n);
      IdShift leave = IdShift.leave(q);
      BitSet wantLeave = new BitSet();
      for (int i = old.nextSetBit(0); i >= 0; i = old.nextSetBit(i + 1)) {
        if (i != q) {
          wantLeave.set(i < q ? i : i - 1);
        }
      }
      assertThat(leave.remap(old)).as("seed %d leave %d of %s", seed, q, old).isEqualTo(wantLeave);
      for (int i = 0; i < n - 1; i++) {
        assertThat(leave.oldId(i)).as("seed %d", seed).isEqualTo(i < q ? i : i + 1);
      }
      assertThat(IdShift.NONE.remap(old)).isEqualTo(old);
      // sameAfterRemap: true for the model's result, false once any one bit of it differs.
      assertThat(join.sameAfterRemap(old, wantJoin)).as("seed %d", seed).isTrue();
      assertThat(leave.sameAfterRemap(old, wantLeave)).as("seed %d", seed).isTrue();
      assertThat(IdShift.NONE.sameAfterRemap(old, old)).isTrue();
      int flip = rnd.nextInt(n + 70);
      BitSet offJoin = (BitSet) wantJoin.clone();
      offJoin.flip(flip);
      BitSet offLeave = (BitSet) wantLeave.clone();
      offLeave.flip(flip);
      assertThat(join.sameAfterRemap(old, offJoin)).as("seed %d flip %d", seed, flip).isFalse();
      assertThat(leave.sameAfterRemap(old, offLeave)).as("seed %d flip %d", seed, flip).isFalse();
    }
  }
}
