package dev.tessera.policytests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.diag.Diagnostics;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The DSL's {@code test SRC can reach ... cannot reach ...} statements land in the same AST tests
 * and run exactly like HuJSON tests, with positions in the .tpol file.
 */
class DslTestsTest {

  static final String TPOL =
      """
      group eng = alice@example.com
      tag web owned by group:eng
      allow group:eng -> tag:web:443
      test alice@example.com can reach tag:web:443 cannot reach tag:web:22
      test alice@example.com proto tcp can reach tag:web:8080
      """;

  static final String INVENTORY =
      """
      users:
        - login: alice@example.com
          role: member
      nodes:
        - name: laptop
          user: alice@example.com
          ips: [100.64.0.1, "fd7a:115c:a1e0::1"]
        - name: web-1
          user: alice@example.com
          tags: [tag:web]
          ips: [100.64.0.2, "fd7a:115c:a1e0::2"]
      """;

  @Test
  void dslTestStatementsRunThroughTheMatcher() {
    PolicyResult pr = Policies.read("p.tpol", TPOL, Syntax.TPOL);
    assertThat(pr.errors()).isEmpty();
    assertThat(pr.policy().orElseThrow().tests()).hasSize(2);
    Diagnostics d = new Diagnostics();
    Inventory inv = dev.tessera.compiler.inventory.InventoryReader.read("inv.yaml", INVENTORY, d);
    assertThat(d.hasErrors()).as(d.sorted().toString()).isFalse();
    PolicyTester.Result r =
        PolicyTester.run(
            new PolicyTester.Input(pr.policy().get(), "p.tpol", Optional.of(inv), List.of()),
            PolicyTestInputs.compiler());
    TestRun run = ((PolicyTester.Result.Ran) r).run();
    assertThat(HumanReport.render(run, false, false))
        .isEqualTo(
            """
            p.tpol:5:44: FAIL alice@example.com -> tag:web:8080 (tcp): expected ALLOWED, got DENIED
                no rule allows 100.64.0.1 (laptop) -> 100.64.0.2 (web-1) port 8080/tcp
            FAIL 2 tests, 3 assertions: 2 passed, 1 failed
            """);
  }
}
