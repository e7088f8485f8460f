package dev.tessera.policy.print;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.policy.Policies;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.SourceText;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Property: for random valid ASTs and every pair of syntaxes (A, B), printing in A, reading,
 * printing in B and reading gives the same AST (structural equality: spans and comments aside), and
 * printing is a fixed point (print(read(print(p))) == print(p)). Seeds are consecutive from a base
 * that can be changed with {@code -Dproperty.seed=N}; {@code -Dproperty.runs=N} sets how many
 * policies are tried. A failure names the seed and the syntaxes, and shows the text.
 */
class PrintRoundTripPropertyTest {
  private static final long BASE = Long.getLong("property.seed", 20261126L);
  private static final int RUNS = Integer.getInteger("property.runs", 120);
  private static final java.util.Map<Syntax, dev.tessera.policy.syntax.SyntaxReader> READERS =
      java.util.Map.of(
          Syntax.HUJSON,
          Policies.reader(Syntax.HUJSON).orElseThrow(),
          Syntax.YAML,
          Policies.reader(Syntax.YAML).orElseThrow(),
          Syntax.TPOL,
          Policies.reader(Syntax.TPOL).orElseThrow());

  @Test
  void everySyntaxPairRoundTrips() {
    for (int i = 0; i < RUNS; i++) {
      long seed = BASE + i;
      Policy p = new PolicyGenerator(seed).policy();
      for (Syntax a : Syntax.values()) {
        String textA = Printers.print(p, a);
        Policy pa = read(textA, a, seed, "print as " + a);
        assertThat(pa)
            .as("seed %d: read(print as %s) differs from the AST; text:%n%s", seed, a, textA)
            .isEqualTo(p);
        assertThat(Printers.print(pa, a))
            .as("seed %d: printing as %s is not a fixed point", seed, a)
            .isEqualTo(textA);
        for (Syntax b : Syntax.values()) {
          String textB = Printers.print(pa, b);
          Policy pb = read(textB, b, seed, a + " then " + b);
          assertThat(pb)
              .as("seed %d: %s -> %s changed the AST; text:%n%s", seed, a, b, textB)
              .isEqualTo(p);
        }
      }
    }
  }

  private static Policy read(String text, Syntax s, long seed, String what) {
    Diagnostics d = new Diagnostics();
    Policy p = READERS.get(s).read(new SourceText("gen." + s, text), d);
    List<Diagnostic> errors = d.sorted().stream().filter(Diagnostic::isError).toList();
    assertThat(errors).as("seed %d (%s): reading errors; text:%n%s", seed, what, text).isEmpty();
    return p;
  }
}
