package dev.tessera.policy.syntax;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.diag.Diagnostic;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Bad input must become located diagnostics, never an exception: random edits of a valid policy
 * (deleting, duplicating, inserting structural characters) are read, and every result must either
 * be valid or carry at least one error with a file name. A seeded quick property test; the Jazzer
 * fuzz targets go further.
 */
class ReaderRobustnessTest {
  private static final String NOISE = "{}[]\",:/*#\n -'\\0123456789abc@.\t";

  @ParameterizedTest
  @EnumSource(
      value = Syntax.class,
      names = {"HUJSON", "YAML"})
  void randomEditsNeverThrow(Syntax syntax) {
    long seed = Long.getLong("seed", System.nanoTime());
    Random rnd = new Random(seed);
    String base = ReadersTest.resource(syntax == Syntax.YAML ? "parity.yaml" : "parity.hujson");
    int invalid = 0;
    for (int i = 0; i < 500; i++) {
      StringBuilder sb = new StringBuilder(base);
      int edits = 1 + rnd.nextInt(4);
      for (int e = 0; e < edits && !sb.isEmpty(); e++) {
        int at = rnd.nextInt(sb.length());
        switch (rnd.nextInt(3)) {
          case 0 -> sb.deleteCharAt(at);
          case 1 -> sb.insert(at, NOISE.charAt(rnd.nextInt(NOISE.length())));
          default -> {
            int len = Math.min(sb.length() - at, 1 + rnd.nextInt(20));
            sb.insert(at, sb.substring(at, at + len));
          }
        }
      }
      String text = sb.toString();
      int iteration = i;
      PolicyResult[] out = new PolicyResult[1];
      assertThatCode(() -> out[0] = Policies.read("fuzz", text, syntax))
          .as("seed %d iteration %d:\n%s", seed, iteration, text)
          .doesNotThrowAnyException();
      PolicyResult r = out[0];
      if (!r.ok()) {
        invalid++;
        assertThat(r.errors()).as("seed %d iteration %d", seed, i).isNotEmpty();
        for (Diagnostic d : r.diagnostics()) {
          assertThat(d.span().file()).isEqualTo("fuzz");
          assertThat(d.span().startLine()).isBetween(1, text.split("\n", -1).length + 1);
        }
      }
    }
    assertThat(invalid)
        .as("the edits must actually break documents (seed %d)", seed)
        .isGreaterThan(100);
  }
}
