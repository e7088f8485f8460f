package dev.tessera.policytests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryReader;
import dev.tessera.policy.Policies;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.diag.Diagnostics;
import org.junit.jupiter.api.Test;

/** explain for internet destinations: through which exit node and rule, or what is missing. */
class ExitNodeExplainTest {
  static final Policy POLICY =
      Policies.read(
              "p.hujson",
              """
      {
        "groups": {"group:eng": ["alice@acme.com"]},
        "tagOwners": {"tag:exit": ["autogroup:admin"]},
        "acls": [{"action": "accept", "src": ["group:eng"], "dst": ["autogroup:internet:443"]}]
      }
      """,
              Syntax.HUJSON)
          .policy()
          .orElseThrow();

  static final String NODES =
      """
      users:
        - {login: alice@acme.com}
        - {login: bob@acme.com}
      nodes:
        - {name: laptop, user: alice@acme.com, ips: [100.64.0.1]}
        - {name: phone, user: bob@acme.com, ips: [100.64.0.2]}
      """;

  static Inventory inventory(String inv) {
    Diagnostics d = new Diagnostics();
    Inventory inventory = InventoryReader.read("inv.yaml", inv, d);
    assertThat(d.sorted()).isEmpty();
    return inventory;
  }

  static Explainer.Explanation explain(String inv, String src, int port) {
    Inventory inventory = inventory(inv);
    PolicyExplain.Result r =
        PolicyExplain.explain(
            new PolicyExplain.Request(POLICY, inventory, src, "1.1.1.1", "tcp", port),
            PolicyTestInputs.compiler());
    return ((PolicyExplain.Result.Explained) r).explanation();
  }

  static final String WITH_EXIT =
      NODES
          + "  - {name: exit-1, tags: [tag:exit], ips: [100.64.0.9], routes: [0.0.0.0/0, \"::/0\"]}\n";

  @Test
  void allowedThroughTheExitNodeByTheRule() {
    Explainer.Explanation x = explain(WITH_EXIT, "laptop", 443);
    assertThat(x.allowed()).isTrue();
    assertThat(x.reason()).startsWith("allowed by acls[0] at p.hujson:");
    assertThat(x.pairs())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.enforcer()).isEqualTo("exit-1");
              assertThat(p.through()).isEqualTo("exit node");
            });
    PolicyExplain.Result r =
        PolicyExplain.explain(
            new PolicyExplain.Request(
                POLICY, inventory(WITH_EXIT), "laptop", "1.1.1.1", "tcp", 443),
            PolicyTestInputs.compiler());
    assertThat(PolicyExplain.text((PolicyExplain.Result.Explained) r))
        .contains("1.1.1.1 (through exit node exit-1): allowed by acls[0]");
  }

  @Test
  void deniedNamesTheRuleThatCameClosest() {
    assertThat(explain(WITH_EXIT, "phone", 443).reason())
        .contains("closest rule acls[0]")
        .contains("source not a member: 100.64.0.2 (phone)");
    assertThat(explain(WITH_EXIT, "laptop", 80).reason()).contains("port 80 outside its range 443");
  }

  @Test
  void deniedWithoutAnExitNodeSaysSo() {
    Explainer.Explanation x = explain(NODES, "laptop", 443);
    assertThat(x.allowed()).isFalse();
    assertThat(x.reason())
        .contains("no node carries 1.1.1.1")
        .contains("no node has an approved exit route (0.0.0.0/0)");
  }
}
