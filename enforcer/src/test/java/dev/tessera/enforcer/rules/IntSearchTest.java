package dev.tessera.enforcer.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bucket-indexed search against a plain scan, over random, clustered and extreme start sets.
 */
class IntSearchTest {

  /** Reference: last index with starts[i] <= key, by linear scan. */
  private static int reference(int[] starts, int key) {
    int found = -1;
    for (int i = 0; i < starts.length; i++) {
      if (starts[i] <= key) {
        found = i;
      }
    }
    return found;
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 31, 32, 33, 100, 1000, 5000})
  void agreesWithLinearScan(int n) {
    long seed = Long.getLong("tessera.seed", System.nanoTime());
    Random rnd = new Random(seed);
    for (int shape = 0; shape < 4; shape++) {
      int[] starts = new int[n];
      for (int i = 0; i < n; i++) {
        starts[i] =
            switch (shape) {
              case 0 -> rnd.nextInt(); // whole range
              case 1 ->
                  0x64400000 ^ Integer.MIN_VALUE | rnd.nextInt(1 << 22); // one /10, sign-flipped
              case 2 -> rnd.nextInt(65536); // ports
              default -> rnd.nextInt(8) == 0 ? rnd.nextInt() : 1000 + rnd.nextInt(64); // clustered
            };
      }
      starts = Arrays.stream(starts).sorted().distinct().toArray();
      if (shape == 0 && starts.length > 1) {
        starts[0] = Integer.MIN_VALUE;
        starts[starts.length - 1] = Integer.MAX_VALUE;
      }
      int[] table = IntSearch.index(starts);
      for (int q = 0; q < 3000; q++) {
        int key =
            switch (q % 4) {
              case 0 -> rnd.nextInt();
              case 1 -> starts.length == 0 ? 0 : starts[rnd.nextInt(starts.length)];
              case 2 ->
                  starts.length == 0
                      ? 0
                      : starts[rnd.nextInt(starts.length)] + (rnd.nextBoolean() ? 1 : -1);
              default -> q % 8 == 3 ? Integer.MIN_VALUE : Integer.MAX_VALUE;
            };
        assertThat(IntSearch.find(starts, table, key))
            .as("seed %d, shape %d, n %d, key %d", seed, shape, starts.length, key)
            .isEqualTo(reference(starts, key));
      }
    }
  }
}
