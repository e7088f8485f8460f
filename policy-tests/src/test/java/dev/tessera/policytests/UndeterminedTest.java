package dev.tessera.policytests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryReader;
import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.diag.Diagnostics;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Without an inventory, a verdict that depends on a fact the policy does not state is undetermined,
 * names the fact, and fails the run only when strict; with an inventory it is decided. Internet
 * destinations are answered through exit nodes.
 */
class UndeterminedTest {
  static final String POLICY =
      """
      {
        "groups": {"group:staff": ["alice@acme.com", "bob@acme.com", "carol@acme.com"]},
        "tagOwners": {"tag:web": ["autogroup:admin"], "tag:exit": ["autogroup:admin"]},
        "hosts": {"box": "100.90.1.2"},
        "acls": [
          {"action": "accept", "src": ["autogroup:admin"], "dst": ["*:*"]},
          {"action": "accept", "src": ["autogroup:member"], "dst": ["tag:web:443"]},
          {"action": "accept", "src": ["tag:web"], "dst": ["tag:web:22"]},
          {"action": "accept", "src": ["bob@acme.com"], "dst": ["autogroup:internet:*"]}
        ],
        "autoApprovers": {"exitNode": ["tag:exit"]},
        "tests": [
          {"src": "alice@acme.com", "accept": ["tag:web:80"]},
          {"src": "alice@acme.com", "accept": ["tag:web:443"]},
          {"src": "box", "accept": ["tag:web:22"]},
          {"src": "stranger@example.org", "deny": ["tag:web:443"]},
          {"src": "bob@acme.com", "accept": ["1.1.1.1:443"]},
          {"src": "carol@acme.com", "deny": ["1.1.1.1:443"]}
        ]
      }
      """;

  static Policy policy() {
    PolicyResult r = Policies.read("p.hujson", POLICY, Syntax.HUJSON);
    assertThat(r.errors()).isEmpty();
    return r.policy().orElseThrow();
  }

  static TestRun run(Optional<Inventory> inv, boolean strict) {
    PolicyTester.Result r =
        PolicyTester.run(
            new PolicyTester.Input(policy(), "p.hujson", inv, List.of(), strict),
            PolicyTestInputs.compiler());
    return ((PolicyTester.Result.Ran) r).run();
  }

  static Outcome at(TestRun run, int test) {
    return run.outcomes().stream().filter(o -> o.testIndex() == test).findFirst().orElseThrow();
  }

  @Test
  void factsThePolicyDoesNotStateAreNamed() {
    TestRun run = run(Optional.empty(), false);
    // Port 80 on tag:web is open to admins only: is alice one?
    assertThat(at(run, 0))
        .isInstanceOfSatisfying(
            Outcome.Undetermined.class,
            u ->
                assertThat(u.fact())
                    .contains("whether alice@acme.com is an admin (autogroup:admin)"));
    // Port 443 is open to every member, whatever alice's role: decided.
    assertThat(at(run, 1)).isInstanceOf(Outcome.Passed.class);
    // Which tags the device at box carries is not stated.
    assertThat(at(run, 2))
        .isInstanceOfSatisfying(
            Outcome.Undetermined.class,
            u -> assertThat(u.fact()).contains("which tags the device at box carries"));
    // A user only the tests name may not be in the tailnet at all.
    assertThat(at(run, 3))
        .isInstanceOfSatisfying(
            Outcome.Undetermined.class,
            u ->
                assertThat(u.fact())
                    .contains("stranger@example.org (named only by tests) is a member"));
    // The internet through the exit node tag:exit (auto-approved): bob yes; carol no, unless
    // she is an admin (their "*:*" reaches the internet through exit nodes too).
    assertThat(at(run, 4)).isInstanceOf(Outcome.Passed.class);
    assertThat(at(run, 5))
        .isInstanceOfSatisfying(
            Outcome.Undetermined.class,
            u -> assertThat(u.fact()).contains("whether carol@acme.com is an admin"));
    assertThat(run.allPassed()).isTrue();
    assertThat(HumanReport.summary(run)).startsWith("PASS ").contains("4 undetermined");
    assertThat(JunitReport.render(run))
        .contains("<skipped message=\"undetermined: depends on whether alice@acme.com");
  }

  @Test
  void strictFailsOnUndetermined() {
    TestRun run = run(Optional.empty(), true);
    assertThat(run.allPassed()).isFalse();
    assertThat(HumanReport.summary(run)).startsWith("FAIL ").contains("4 undetermined (--strict)");
  }

  @Test
  void anInventoryDecides() {
    Diagnostics d = new Diagnostics();
    Inventory inv =
        InventoryReader.read(
            "inv.yaml",
            """
        users:
          - {login: alice@acme.com, role: admin}
          - {login: bob@acme.com}
          - {login: carol@acme.com}
          - {login: stranger@example.org}
        nodes:
          - {name: alice-laptop, user: alice@acme.com, ips: [100.64.0.1]}
          - {name: bob-laptop, user: bob@acme.com, ips: [100.64.0.2]}
          - {name: carol-laptop, user: carol@acme.com, ips: [100.64.0.3]}
          - {name: stranger-laptop, user: stranger@example.org, ips: [100.64.0.4]}
          - {name: web-1, tags: [tag:web], ips: [100.64.0.10]}
          - {name: box, tags: [tag:web], ips: [100.90.1.2]}
          - {name: exit-1, tags: [tag:exit], ips: [100.64.0.20], routes: [0.0.0.0/0, "::/0"]}
        """,
            d);
    assertThat(d.sorted()).isEmpty();
    TestRun run = run(Optional.of(inv), true);
    assertThat(run.outcomes()).noneMatch(o -> o instanceof Outcome.Undetermined);
    assertThat(at(run, 0)).isInstanceOf(Outcome.Passed.class);
    assertThat(at(run, 2)).isInstanceOf(Outcome.Passed.class);
    // stranger is a member here: the deny fails, as Tailscale would report on this tailnet.
    assertThat(at(run, 3)).isInstanceOf(Outcome.Failed.class);
    assertThat(at(run, 4)).isInstanceOf(Outcome.Passed.class);
    assertThat(at(run, 5)).isInstanceOf(Outcome.Passed.class); // carol is a member, not an admin
  }
}
