package dev.tessera.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * SnakeYAML's default 3 MB document limit must not cap policy size (a 20k-rule policy is ~5 MB).
 */
class LargeYamlTest {
  @Test
  void yamlPolicyLargerThanSnakeYamlsDefaultLimitReads() {
    StringBuilder y = new StringBuilder("tagOwners:\n  tag:web: [alice@acme.com]\nacls:\n");
    int rules = 0;
    while (y.length() < 4 * 1024 * 1024) {
      y.append("  - {action: accept, src: [alice@acme.com], dst: [\"tag:web:")
          .append(1 + rules % 65000)
          .append("\"]}   # rule number ")
          .append(rules)
          .append(" padded to make the document large\n");
      rules++;
    }
    PolicyResult r = Policies.read("big.yaml", y.toString(), Syntax.YAML);
    assertThat(r.diagnostics()).isEmpty();
    int expected = rules;
    assertThat(r.policy()).hasValueSatisfying(p -> assertThat(p.acls()).hasSize(expected));
  }
}
