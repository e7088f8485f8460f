package dev.tessera.compiler.lint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.matrix.Acme;
import dev.tessera.policy.diag.Diagnostic;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Lint checks as a table: policy (and inventory) in, findings as "code@line" out. */
class LinterTest {

  /** Three users, two tagged servers; alice's laptop is compliant, bob's is not. */
  static final String INVENTORY =
      """
      users:
        - {login: alice@x.io, role: member}
        - {login: bob@x.io, role: member}
        - {login: carol@x.io, role: admin}
      nodes:
        - {name: laptop-alice, user: alice@x.io, ips: [100.64.0.1], posture: {"custom:ok": true}}
        - {name: laptop-bob, user: bob@x.io, ips: [100.64.0.2], posture: {"custom:ok": false}}
        - {name: laptop-carol, user: carol@x.io, ips: [100.64.0.3]}
        - {name: web, tags: [tag:web], ips: [100.64.0.10]}
        - {name: db, tags: [tag:db], ips: [100.64.0.11]}
      """;

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(
            "clean policy",
            """
            {
              "groups": {"group:dev": ["alice@x.io", "bob@x.io"]},
              "tagOwners": {"tag:web": ["carol@x.io"], "tag:db": ["carol@x.io"]},
              "acls": [
                {"action": "accept", "src": ["group:dev"], "dst": ["tag:web:443"]},
                {"action": "accept", "src": ["tag:web"], "dst": ["tag:db:5432"]},
              ],
            }
            """,
            INVENTORY,
            List.of()),
        Arguments.of(
            "identical rule: the later one is shadowed",
            """
            {
              "tagOwners": {"tag:web": ["carol@x.io"], "tag:db": ["carol@x.io"]},
              "acls": [
                {"action": "accept", "src": ["alice@x.io"], "dst": ["tag:web:443"]},
                {"action": "accept", "src": ["tag:web"], "dst": ["tag:db:5432"]},
                {"action": "accept", "src": ["alice@x.io"], "dst": ["tag:web:443"]},
              ],
            }
            """,
            INVENTORY,
            List.of("shadowed-rule@6")),
        Arguments.of(
            "narrow rule inside a broad one",
            """
            {
              "groups": {"group:dev": ["alice@x.io"]},
              "tagOwners": {"tag:web": ["carol@x.io"], "tag:db": ["carol@x.io"]},
              "acls": [
                {"action": "accept", "src": ["autogroup:member"], "dst": ["tag:web:*", "tag:db:5432"]},
                {"action": "accept", "src": ["group:dev"], "dst": ["tag:web:443,8443"], "proto": "tcp"},
              ],
            }
            """,
            INVENTORY,
            List.of("shadowed-rule@6")),
        Arguments.of(
            "covered by two rules together",
            """
            {
              "tagOwners": {"tag:web": ["carol@x.io"], "tag:db": ["carol@x.io"]},
              "acls": [
                {"action": "accept", "src": ["alice@x.io"], "dst": ["tag:web:80-100"]},
                {"action": "accept", "src": ["alice@x.io"], "dst": ["tag:web:101-200"]},
                {"action": "accept", "src": ["alice@x.io"], "dst": ["tag:web:90-110"]},
                {"action": "accept", "src": ["tag:web"], "dst": ["tag:db:5432"]},
              ],
            }
            """,
            INVENTORY,
            List.of("shadowed-rule@6")),
        Arguments.of(
            "rule for a tag no device carries, and posture nobody passes",
            """
            {
              "tagOwners": {"tag:web": ["carol@x.io"], "tag:db": ["carol@x.io"], "tag:gpu": ["carol@x.io"]},
              "postures": {"posture:linux": ["node:os == 'linux'"]},
              "acls": [
                {"action": "accept", "src": ["alice@x.io"], "dst": ["tag:web:443"]},
                {"action": "accept", "src": ["alice@x.io"], "dst": ["tag:gpu:22"]},
                {"action": "accept", "src": ["tag:web"], "dst": ["tag:db:5432"], "srcPosture": ["posture:linux"]},
              ],
            }
            """,
            INVENTORY,
            List.of("rule-grants-nothing@6", "rule-grants-nothing@7")),
        Arguments.of(
            "unused tag, group and host",
            """
            {
              "groups": {"group:dev": ["alice@x.io"], "group:old": ["bob@x.io"]},
              "tagOwners": {"tag:web": ["carol@x.io"], "tag:db": ["carol@x.io"],
                "tag:legacy": ["carol@x.io"]},
              "hosts": {"nas": "10.0.0.5", "printer": "10.0.0.6"},
              "acls": [
                {"action": "accept", "src": ["group:dev"], "dst": ["tag:web:443", "tag:db:5432"]},
                {"action": "accept", "src": ["group:dev"], "dst": ["nas:445"]},
              ],
            }
            """,
            INVENTORY,
            List.of("unused-group@2", "unused-tag@4", "unused-host@5", "rule-grants-nothing@8")),
        Arguments.of(
            "a tag used only as a tag owner or auto-approver is used",
            """
            {
              "tagOwners": {"tag:web": ["tag:ci"], "tag:ci": ["carol@x.io"], "tag:db": ["carol@x.io"],
                "tag:router": ["carol@x.io"]},
              "autoApprovers": {"routes": {"10.0.0.0/24": ["tag:router"]}},
              "acls": [{"action": "accept", "src": ["alice@x.io"], "dst": ["tag:web:443", "tag:db:5432"]}],
            }
            """,
            INVENTORY,
            List.of()),
        Arguments.of(
            "internet-only grant is not 'grants nothing'",
            """
            {
              "tagOwners": {"tag:web": ["carol@x.io"], "tag:db": ["carol@x.io"]},
              "acls": [{"action": "accept", "src": ["alice@x.io"], "dst": ["tag:web:443", "tag:db:5432"]}],
              "grants": [{"src": ["autogroup:member"], "dst": ["autogroup:internet"], "ip": ["*"]}],
            }
            """,
            INVENTORY,
            List.of()),
        Arguments.of(
            "synthesized inventory: empty group's rule grants nothing",
            """
            {
              "groups": {"group:dev": ["alice@x.io"], "group:empty": []},
              "tagOwners": {"tag:web": ["group:dev"]},
              "acls": [
                {"action": "accept", "src": ["group:dev"], "dst": ["tag:web:443"]},
                {"action": "accept", "src": ["group:empty"], "dst": ["tag:web:22"]},
              ],
            }
            """,
            null,
            List.of("rule-grants-nothing@6")),
        Arguments.of(
            "synthesized inventory: role autogroups, autogroup:member and subnets grant something",
            """
            {
              "tagOwners": {"tag:web": ["autogroup:admin"]},
              "acls": [
                {"action": "accept", "src": ["autogroup:admin"], "dst": ["tag:web:22"]},
                {"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:it-admin:443"]},
                {"action": "accept", "src": ["tag:web"], "dst": ["192.168.7.0/24:80"]},
                {"action": "accept", "src": ["tag:web"], "dst": ["autogroup:owner:80"]},
              ],
            }
            """,
            null,
            List.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void lint(String name, String policy, String inventory, List<String> expected) {
    List<Diagnostic> found = run(policy, inventory);
    assertThat(found.stream().map(d -> d.code() + "@" + d.span().startLine()).toList())
        .as(found.toString())
        .containsExactlyElementsOf(expected);
    // Every finding has a location and a suggestion.
    assertThat(found)
        .allSatisfy(
            d -> {
              assertThat(d.span().startLine()).isPositive();
              assertThat(d.help()).isNotBlank();
            });
  }

  @Test
  void shadowedRuleNamesTheRulesThatCoverIt() {
    List<Diagnostic> found = run((String) cases().toList().get(3).get()[1], INVENTORY);
    assertThat(found)
        .singleElement()
        .satisfies(
            d ->
                assertThat(d.message())
                    .isEqualTo(
                        "acls[2] is shadowed: everything it allows is already allowed by acls[0] (p.hujson:4), acls[1] (p.hujson:5)"));
  }

  @Test
  void grantsNothingSaysWhy() {
    List<Diagnostic> found = run((String) cases().toList().get(4).get()[1], INVENTORY);
    assertThat(found.stream().map(Diagnostic::message).toList())
        .containsExactly(
            "acls[1] grants nothing for this inventory: its destinations match no device",
            "acls[2] grants nothing for this inventory: its only source device (web) fails its posture (posture:linux)");
  }

  @Test
  void acme() {
    Acme.Compiled c = Acme.acme();
    Map<String, Integer> tagged = new TreeMap<>();
    for (InventoryNode n : c.inventory().nodes()) {
      n.tags().forEach(t -> tagged.merge(t, 1, Integer::sum));
    }
    List<Diagnostic> found = Linter.lint(c.index(), c.matrix(), tagged);
    assertThat(
            found.stream()
                .map(d -> d.code() + "@" + d.span().startLine() + " " + d.message())
                .toList())
        .containsExactly(
            "unused-group@39 group:security is defined but never used",
            "unused-host@55 host alias office-lan is defined but never used");
  }

  static List<Diagnostic> run(String policy, String inventory) {
    Acme.Compiled c = Acme.compile("p.hujson", policy, inventory);
    Map<String, Integer> tagged = null;
    if (inventory != null) {
      tagged = new TreeMap<>();
      for (InventoryNode n : c.inventory().nodes()) {
        for (String t : n.tags()) {
          tagged.merge(t, 1, Integer::sum);
        }
      }
    }
    return Linter.lint(c.index(), c.matrix(), tagged, c.network()::emptyReason);
  }
}
