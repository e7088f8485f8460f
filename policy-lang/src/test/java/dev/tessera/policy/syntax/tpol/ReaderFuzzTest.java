package dev.tessera.policy.syntax.tpol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tessera.policy.Policies;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.SourceText;
import dev.tessera.policy.print.Printers;
import dev.tessera.policy.syntax.SyntaxReader;
import java.util.List;

/**
 * Fuzz targets for the DSL and HuJSON readers (Jazzer). The oracle: reading any text never throws;
 * every diagnostic is located in the file that was read (line and column inside it); when there are
 * no errors a policy comes back, and printing it in the same syntax and reading that again gives an
 * equal AST (so fuzzing also checks the printers).
 *
 * <p>In a plain {@code mvn test} each target runs once per seed in {@code
 * src/test/resources/dev/tessera/policy/syntax/tpol/ReaderFuzzTestInputs/<method>/} (regression
 * mode). Coverage-guided fuzzing, any duration: {@code bin/fuzz --seconds N ReaderFuzzTest#tpol}
 * (or {@code #hujson}); a finding copied into the seeds directory replays in every build.
 */
class ReaderFuzzTest {
  private static final SyntaxReader TPOL = new TpolReader();
  private static final SyntaxReader HUJSON = Policies.reader(Syntax.HUJSON).orElseThrow();

  @FuzzTest(maxDuration = "60s")
  void tpol(FuzzedDataProvider data) {
    check(TPOL, Syntax.TPOL, data.consumeRemainingAsString());
  }

  @FuzzTest(maxDuration = "60s")
  void hujson(FuzzedDataProvider data) {
    check(HUJSON, Syntax.HUJSON, data.consumeRemainingAsString());
  }

  /** The oracle: what every read of any text must satisfy. */
  static void check(SyntaxReader reader, Syntax syntax, String text) {
    SourceText src =
        new SourceText("fuzz." + syntax.name().toLowerCase(java.util.Locale.ROOT), text);
    Diagnostics d = new Diagnostics();
    Policy p = reader.read(src, d); // must not throw
    List<Diagnostic> all = d.sorted();
    for (Diagnostic x : all) {
      assertThat(x.span().file()).as("diagnostic file: %s", x).isEqualTo(src.name());
      assertThat(x.span().startLine()).as("line of %s", x).isBetween(1, src.lineCount() + 1);
      assertThat(x.span().startCol()).as("column of %s", x).isGreaterThanOrEqualTo(1);
      assertThat(x.message()).as("message of %s", x).isNotBlank();
    }
    if (all.stream().noneMatch(Diagnostic::isError)) {
      assertThat(p).as("no errors but no policy").isNotNull();
      String printed = Printers.print(p, syntax);
      Diagnostics d2 = new Diagnostics();
      Policy back = reader.read(new SourceText("printed", printed), d2);
      assertThat(d2.sorted().stream().filter(Diagnostic::isError).toList())
          .as("printed text does not read back; printed:%n%s", printed)
          .isEmpty();
      assertThat(back).as("print/read changed the policy; printed:%n%s", printed).isEqualTo(p);
    }
  }
}
