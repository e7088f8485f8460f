package dev.tessera.policytests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.policy.ast.Policy;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** explain on examples/acme: the verdict, the granting rule, and one case per denial reason. */
class ExplainTest {
  static Policy policy;
  static Inventory inventory;

  @BeforeAll
  static void load() throws java.io.IOException {
    Path root = PolicyTesterTest.root();
    policy = PolicyTesterTest.repoPolicy("examples/acme/policy.hujson");
    inventory = PolicyTesterTest.inventory(root.resolve("examples/acme/inventory.yaml"));
  }

  static PolicyExplain.Result explain(String src, String dst, String proto, Integer port) {
    return PolicyExplain.explain(
        new PolicyExplain.Request(policy, inventory, src, dst, proto, port),
        PolicyTestInputs.compiler());
  }

  static Explainer.Explanation explained(String src, String dst, String proto, Integer port) {
    PolicyExplain.Result r = explain(src, dst, proto, port);
    assertThat(r).isInstanceOf(PolicyExplain.Result.Explained.class);
    return ((PolicyExplain.Result.Explained) r).explanation();
  }

  @ParameterizedTest(name = "{0} -> {1} {2}/{3}: {4}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # src           | dst     | proto | port | reason starts with (after the closest rule)
          laptop-alice    | api-1   | tcp   | 22   | acls[1] at examples/acme/policy.hujson:78:3: port 22 outside its range 443,8080-8090
          laptop-peggy    | db-1    | tcp   | 5432 | acls[3] at examples/acme/policy.hujson:91:3: posture failed: laptop-peggy does not satisfy posture:managed-laptop
          laptop-uma      | api-1   | tcp   | 8085 | acls[1] at examples/acme/policy.hujson:78:3: source not a member: 100.64.0.23 (laptop-uma) is not in its src group:eng
          api-1           | db-1    | udp   | 5432 | acls[2] at examples/acme/policy.hujson:85:3: protocol differs: udp, the rule allows tcp
          laptop-alice    | db-1    | tcp   | 443  | acls[0] at examples/acme/policy.hujson:71:3: destination not covered: 100.64.0.39 (db-1) is not in its dst tag:web
          """)
  void deniedFlowsNameTheClosestRuleAndWhy(
      String src, String dst, String proto, int port, String reason) {
    Explainer.Explanation x = explained(src, dst, proto, port);
    assertThat(x.allowed()).isFalse();
    assertThat(x.rules()).isEmpty();
    assertThat(x.reason()).isEqualTo("no rule matched; closest rule " + reason);
    assertThat(x.pairs()).isNotEmpty().noneMatch(Explainer.Pair::allowed);
  }

  @Test
  void allowedFlowNamesTheGrantingRule() {
    Explainer.Explanation x = explained("laptop-alice", "web-1", "tcp", 443);
    assertThat(x.allowed()).isTrue();
    assertThat(x.rules()).hasSize(1);
    assertThat(x.rules().getFirst().line()).isEqualTo(71);
    assertThat(x.reason()).isEqualTo("allowed by acls[0] at examples/acme/policy.hujson:71:3");
    assertThat(x.pairs()).hasSize(2).allMatch(Explainer.Pair::allowed); // IPv4 and IPv6
  }

  @Test
  void icmpFollowsTheAgentAndIgnoresPorts() {
    Explainer.Explanation x = explained("laptop-alice", "web-1", "icmp", null);
    assertThat(x.allowed()).isTrue();
    assertThat(x.pairs()).extracting(p -> p.dst().ipv6()).containsExactly(false, true);
  }

  @Test
  void usersTagsAndIpsAreAccepted() {
    assertThat(explained("olivia@acme.com", "tag:db", "tcp", 5432).allowed()).isTrue();
    assertThat(explained("100.64.0.4", "100.64.0.35", "6", 80).allowed()).isTrue();
    // Behind the office router: enforced by office-router.
    Explainer.Explanation printer = explained("yusuf@acme.com", "office-printer", "tcp", 631);
    assertThat(printer.allowed()).isTrue();
    assertThat(printer.pairs()).extracting(Explainer.Pair::enforcer).containsOnly("office-router");
  }

  @Test
  void jsonHasExactlyTheDocumentedShape() throws Exception {
    JsonNode j =
        new ObjectMapper()
            .readTree(PolicyExplain.json(explained("laptop-alice", "web-1", "tcp", 443)));
    assertThat(j.properties())
        .extracting(java.util.Map.Entry::getKey)
        .containsExactly("allowed", "rules", "reason");
    assertThat(j.get("allowed").asBoolean()).isTrue();
    assertThat(j.at("/rules/0").properties())
        .extracting(java.util.Map.Entry::getKey)
        .containsExactly("file", "line", "col");
    assertThat(j.at("/rules/0/file").asText()).isEqualTo("examples/acme/policy.hujson");
    assertThat(j.at("/rules/0/line").asInt()).isEqualTo(71);
    assertThat(j.at("/rules/0/col").asInt()).isEqualTo(3);
    JsonNode denied =
        new ObjectMapper()
            .readTree(PolicyExplain.json(explained("laptop-uma", "api-1", "tcp", 8085)));
    assertThat(denied.get("allowed").asBoolean()).isFalse();
    assertThat(denied.get("rules")).isEmpty();
    assertThat(denied.get("reason").asText()).contains("source not a member");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          nobody-node     | web-1 | tcp   | 443   | --src nobody-node
          laptop-alice    | web-1 | bogus | 443   | --proto must be
          laptop-alice    | web-1 | tcp   | 70000 | --port must be 0-65535
          laptop-alice    | tag:nothing | tcp | 443 | tag "tag:nothing" is not defined
          nobody@acme.com | tag:web | tcp | 443 | source nobody@acme.com has no devices
          """)
  void badInputIsAUsageError(String src, String dst, String proto, int port, String message) {
    PolicyExplain.Result r = explain(src, dst, proto, port);
    assertThat(r).isInstanceOf(PolicyExplain.Result.Usage.class);
    assertThat(((PolicyExplain.Result.Usage) r).message()).contains(message);
  }

  @Test
  void portIsRequiredForTcp() {
    assertThat(explain("laptop-alice", "web-1", "tcp", null))
        .isEqualTo(new PolicyExplain.Result.Usage("--port is required for tcp"));
    assertThat(List.of()).isEmpty();
  }
}
