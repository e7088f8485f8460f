package dev.tessera.policy.print;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.testsupport.ProjectRoot;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The bundled example is kept in all three syntaxes (examples/acme/policy.{hujson,yaml,tpol}); they
 * must mean the same (equal ASTs), be valid, and be in canonical layout except the hand-written
 * HuJSON. Regenerate the other two after editing the HuJSON: {@code bin/policyc convert
 * examples/acme/policy.hujson -o examples/acme/policy.tpol} (and .yaml).
 */
class ExamplesAgreeTest {
  private static final Path DIR = ProjectRoot.get().resolve("examples/acme");

  @Test
  void acmeMeansTheSameInEverySyntax() {
    PolicyResult hujson = Policies.read(DIR.resolve("policy.hujson"));
    PolicyResult yaml = Policies.read(DIR.resolve("policy.yaml"));
    PolicyResult tpol = Policies.read(DIR.resolve("policy.tpol"));
    for (PolicyResult r : new PolicyResult[] {hujson, yaml, tpol}) {
      assertThat(r.errors())
          .as("errors in %s", r.source() == null ? "?" : r.source().name())
          .isEmpty();
    }
    assertThat(yaml.partial())
        .as("policy.yaml differs from policy.hujson; regenerate with convert")
        .isEqualTo(hujson.partial());
    assertThat(tpol.partial())
        .as("policy.tpol differs from policy.hujson; regenerate with convert")
        .isEqualTo(hujson.partial());
    assertThat(yaml.partial().comments()).hasSameSizeAs(hujson.partial().comments());
    assertThat(tpol.partial().comments()).hasSameSizeAs(hujson.partial().comments());
    assertThat(Conversions.print(yaml, Syntax.YAML).text())
        .as("policy.yaml is canonical")
        .isEqualTo(yaml.source().text());
    assertThat(Conversions.print(tpol, Syntax.TPOL).text())
        .as("policy.tpol is canonical")
        .isEqualTo(tpol.source().text());
  }
}
