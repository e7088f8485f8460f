package dev.tessera.compiler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.emit.OutputFormat;
import dev.tessera.compiler.emit.OutputWriter;
import dev.tessera.compiler.emit.TailscaleJson;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.inventory.InventoryReader;
import dev.tessera.compiler.ir.ResolvedRule;
import dev.tessera.compiler.pass.PostureEvaluator;
import dev.tessera.enforcer.Matcher;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.Peer;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.Diagnostics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * One test per subsection of docs/semantics.md, named after it ({@code s3_2_...} checks §3.2).
 * Written from the documented rules, not from the compiler's code.
 */
class SemanticsTest {
  static final String INVENTORY =
      """
      users:
        - {login: alice@acme.com, role: admin}
        - {login: bob@acme.com, role: member}
        - {login: carol@other.org, role: it-admin}
      nodes:
        - {name: a1, user: alice@acme.com, ips: [100.64.0.1, "fd7a:115c:a1e0::1"],
           posture: {node:os: macos, node:tsVersion: "1.62.0"}}
        - {name: a2, user: alice@acme.com, ips: [100.64.0.2, "fd7a:115c:a1e0::2"],
           posture: {node:os: linux, node:tsVersion: "1.58.1"}}
        - {name: b1, user: bob@acme.com, ips: [100.64.0.3, "fd7a:115c:a1e0::3"], posture: {node:os: macos}}
        - {name: c1, user: carol@other.org, ips: [100.64.0.4, "fd7a:115c:a1e0::4"]}
        - {name: web1, user: alice@acme.com, tags: [tag:web], ips: [100.64.0.10, "fd7a:115c:a1e0::a"]}
        - {name: db1, tags: [tag:db], ips: [100.64.0.11, "fd7a:115c:a1e0::b"]}
        - {name: r1, tags: [tag:router], ips: [100.64.0.20, "fd7a:115c:a1e0::14"], routes: [10.1.0.0/16]}
        - {name: r2, tags: [tag:router], ips: [100.64.0.21, "fd7a:115c:a1e0::15"], routes: [10.0.0.0/8]}
        - {name: ex, tags: [tag:exit], ips: [100.64.0.30, "fd7a:115c:a1e0::1e"], routes: [0.0.0.0/0, "::/0"]}
      """;
  static final String DEFS =
      """
        "groups": {"group:eng": ["alice@acme.com", "bob@acme.com"]},
        "tagOwners": {"tag:web": ["alice@acme.com"], "tag:db": ["autogroup:admin"],
                      "tag:router": ["autogroup:admin"], "tag:exit": ["autogroup:admin"]},
        "hosts": {"lan": "10.1.2.0/24", "printer": "10.1.2.9"},
        "postures": {"posture:mac": ["node:os == 'macos'"], "posture:recent": ["node:tsVersion >= '1.60'"]},
      """;

  static Policy policy(String body) {
    PolicyResult r = Policies.read("p.hujson", "{" + DEFS + body + "}", Syntax.HUJSON);
    assertThat(r.errors()).isEmpty();
    return r.policy().orElseThrow();
  }

  static Inventory inventory(String yaml) {
    Diagnostics d = new Diagnostics();
    Inventory inv = InventoryReader.read("inv.yaml", yaml, d);
    assertThat(d.sorted()).filteredOn(Diagnostic::isError).isEmpty();
    return inv;
  }

  static Compilation compile(String body) {
    Compilation c = Compiler.compile(policy(body), inventory(INVENTORY));
    assertThat(c.diagnostics()).filteredOn(Diagnostic::isError).isEmpty();
    return c;
  }

  static boolean allows(Compilation c, String at, String src, String dst, int proto, int port) {
    return Matcher.of(c.filter(at).orElseThrow())
        .allows(IpAddress.parse(src), IpAddress.parse(dst), proto, port);
  }

  static List<String> sources(Compilation c, String at) {
    return c.filter(at).orElseThrow().rules().stream()
        .flatMap(r -> r.sources().stream())
        .map(IpPrefix::toString)
        .distinct()
        .toList();
  }

  static List<String> peers(Compilation c, String at) {
    return c.filter(at).orElseThrow().peers().stream().map(Peer::name).toList();
  }

  @Test
  void s1_1_aclsAndGrantsAreUnionedAndEverythingElseDenied() {
    Compilation c =
        compile(
            """
        "acls": [{"action": "accept", "src": ["bob@acme.com"], "dst": ["tag:db:5432"]}],
        "grants": [{"src": ["alice@acme.com"], "dst": ["tag:db"], "ip": ["tcp:22"]}]""");
    assertThat(allows(c, "db1", "100.64.0.3", "100.64.0.11", 6, 5432)).isTrue();
    assertThat(allows(c, "db1", "100.64.0.1", "100.64.0.11", 6, 22)).isTrue();
    assertThat(allows(c, "db1", "100.64.0.1", "100.64.0.11", 6, 5432)).isFalse();
    assertThat(allows(c, "db1", "100.64.0.3", "100.64.0.11", 6, 22)).isFalse();
  }

  @Test
  void s1_2_inventoryProblemsAreLocatedAndTheEntryDropped() {
    Diagnostics d = new Diagnostics();
    Inventory inv =
        InventoryReader.read(
            "inv.yaml",
            """
        users:
          - {login: a@x.com, role: boss}
          - {login: b@x.com}
        nodes:
          - {name: n1, user: zed@x.com, ips: [100.64.0.1]}
          - {name: n2, user: b@x.com, ips: [100.64.0.300]}
          - {name: n3, user: b@x.com, ips: [100.64.0.3], routes: [10.0.0.1/8]}
          - {name: n4, user: b@x.com, ips: [100.64.0.4], colour: red}
          - {name: n4, user: b@x.com, ips: [100.64.0.5]}
          - {name: n6, user: b@x.com, ips: [100.64.0.4]}
          - {name: n7, ips: [100.64.0.7]}
        """,
            d);
    List<String> codes =
        d.sorted().stream().map(x -> x.span().startLine() + ":" + x.code()).toList();
    assertThat(codes)
        .containsExactly(
            "2:inventory-bad-role",
            "5:inventory-unknown-user",
            "6:inventory-bad-ip",
            "7:inventory-bad-route",
            "8:inventory-unknown-key",
            "9:inventory-duplicate-name",
            "10:inventory-duplicate-ip",
            "11:inventory-untagged-without-user");
    assertThat(inv.nodes()).extracting(InventoryNode::name).containsExactly("n4");
    // The tagOwners check needs the policy: bob may not apply tag:db (owned by autogroup:admin).
    Compilation c =
        Compiler.compile(
            policy("\"acls\": []"),
            inventory(
                INVENTORY.replace(
                    "{name: db1, tags: [tag:db]",
                    "{name: db1, user: bob@acme.com, tags: [tag:db]")));
    assertThat(c.diagnostics())
        .filteredOn(Diagnostic::isError)
        .extracting(Diagnostic::code)
        .containsExactly(CompilerCodes.INVENTORY_TAG_NOT_OWNED);
    assertThat(c.filter("db1")).isEmpty();
  }

  @Test
  void s1_2_anAddressTakenByANodeIsRefusedForALaterNodeAndForAService() {
    Diagnostics d = new Diagnostics();
    Inventory inv =
        InventoryReader.read(
            "inv.yaml",
            """
        users:
          - {login: b@x.com}
        nodes:
          - {name: n1, user: b@x.com, ips: [100.64.0.1]}
          - {name: n2, user: b@x.com, ips: [100.64.0.2, 100.64.0.1]}
        services:
          - {name: svc:web, ips: [100.64.0.1], hosts: [n1]}
        """,
            d);
    assertThat(d.sorted())
        .extracting(x -> x.span().startLine() + ":" + x.code() + ": " + x.message())
        .containsExactly(
            "5:inventory-duplicate-ip: address 100.64.0.1 of node \"n2\" already belongs to node"
                + " \"n1\" (inv.yaml:4:5)",
            "7:inventory-duplicate-ip: address 100.64.0.1 of service \"svc:web\" already belongs"
                + " to node \"n1\" (inv.yaml:4:5)");
    assertThat(inv.nodes()).extracting(InventoryNode::name).containsExactly("n1");
    assertThat(inv.services()).isEmpty();
  }

  @Test
  void s2_1_wildcardSourceIncludesApprovedSubnetRoutesButNotExitRoutes() {
    Compilation c =
        compile("\"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"tag:db:*\"]}]");
    assertThat(allows(c, "db1", "10.1.5.5", "100.64.0.11", 6, 80)).isTrue();
    assertThat(allows(c, "db1", "10.200.0.1", "100.64.0.11", 6, 80)).isTrue(); // r2's 10.0.0.0/8
    assertThat(allows(c, "db1", "100.115.92.7", "100.64.0.11", 6, 80)).isFalse();
    assertThat(allows(c, "db1", "100.115.94.7", "100.64.0.11", 6, 80)).isTrue();
    assertThat(allows(c, "db1", "8.8.8.8", "100.64.0.11", 6, 80)).isFalse();
    assertThat(sources(c, "db1"))
        .doesNotContain("0.0.0.0/0", "::/0")
        .contains("fd7a:115c:a1e0::/48");
  }

  @Test
  void s2_2_usersGroupsAndDomainsSelectUntaggedDevices() {
    Compilation c =
        compile(
            """
        "acls": [{"action": "accept", "src": ["group:eng"], "dst": ["tag:db:1"]},
                 {"action": "accept", "src": ["user:*@other.org"], "dst": ["tag:db:2"]},
                 {"action": "accept", "src": ["nobody@acme.com"], "dst": ["tag:db:3"]}]""");
    assertThat(allows(c, "db1", "100.64.0.2", "100.64.0.11", 6, 1)).isTrue();
    assertThat(allows(c, "db1", "fd7a:115c:a1e0::3", "fd7a:115c:a1e0::b", 6, 1)).isTrue();
    assertThat(allows(c, "db1", "100.64.0.4", "100.64.0.11", 6, 1)).isFalse();
    assertThat(allows(c, "db1", "100.64.0.4", "100.64.0.11", 6, 2)).isTrue();
    assertThat(c.filter("db1").orElseThrow().rules())
        .hasSize(2); // the unknown user's rule is empty
  }

  @Test
  void s2_3_tagsSelectEveryDeviceCarryingThem() {
    Compilation c =
        compile(
            "\"acls\": [{\"action\": \"accept\", \"src\": [\"tag:router\"], \"dst\": [\"tag:db:*\"]}]");
    assertThat(sources(c, "db1")).containsExactly("100.64.0.20/31", "fd7a:115c:a1e0::14/127");
  }

  @Test
  void s2_4_autogroupsAndRoles() {
    Compilation c =
        compile(
            """
        "acls": [{"action": "accept", "src": ["autogroup:member"], "dst": ["tag:db:1"]},
                 {"action": "accept", "src": ["autogroup:tagged"], "dst": ["tag:db:2"]},
                 {"action": "accept", "src": ["autogroup:admin"], "dst": ["tag:db:3"]},
                 {"action": "accept", "src": ["autogroup:it-admin"], "dst": ["tag:db:4"]},
                 {"action": "accept", "src": ["autogroup:danger-all"], "dst": ["tag:db:5"]}]""");
    assertThat(allows(c, "db1", "100.64.0.4", "100.64.0.11", 6, 1)).isTrue();
    assertThat(allows(c, "db1", "100.64.0.10", "100.64.0.11", 6, 1)).isFalse();
    assertThat(allows(c, "db1", "100.64.0.10", "100.64.0.11", 6, 2)).isTrue();
    assertThat(allows(c, "db1", "100.64.0.1", "100.64.0.11", 6, 3)).isTrue();
    assertThat(allows(c, "db1", "100.64.0.3", "100.64.0.11", 6, 3)).isFalse();
    assertThat(allows(c, "db1", "100.64.0.4", "100.64.0.11", 6, 4)).isTrue();
    assertThat(allows(c, "db1", "100.64.0.1", "100.64.0.11", 6, 4)).isFalse();
    assertThat(allows(c, "db1", "8.8.8.8", "100.64.0.11", 6, 5)).isTrue();
  }

  @Test
  void s2_5_hostsIpsCidrsRangesAndIpsetsMeanExactlyThatPrefix() {
    Compilation c =
        compile(
            """
        "ipsets": {"ipset:office": ["add 10.1.0.0/16", "remove 10.1.2.0/24", "add 10.1.2.9"]},
        "acls": [{"action": "accept", "src": ["printer", "100.64.0.1/31", "100.64.0.3-100.64.0.4"], "dst": ["tag:db:1"]},
                 {"action": "accept", "src": ["ipset:office"], "dst": ["tag:db:2"]}]""");
    FilterRule r = c.filter("db1").orElseThrow().rules().get(0);
    assertThat(r.sources())
        .extracting(IpPrefix::toString)
        .containsExactly(
            "10.1.2.9/32", "100.64.0.0/31", "100.64.0.3/32", "100.64.0.4/32"); // /31 masked
    assertThat(allows(c, "db1", "fd7a:115c:a1e0::1", "fd7a:115c:a1e0::b", 6, 1))
        .isFalse(); // no other family
    FilterRule s = c.filter("db1").orElseThrow().rules().get(1);
    assertThat(s.sources())
        .extracting(IpPrefix::toString)
        .containsExactly(
            "10.1.0.0/23",
            "10.1.2.9/32",
            "10.1.3.0/24",
            "10.1.4.0/22",
            "10.1.8.0/21",
            "10.1.16.0/20",
            "10.1.32.0/19",
            "10.1.64.0/18",
            "10.1.128.0/17");
  }

  @Test
  void s3_1_nodeSelectorsAreEnforcedOnTheSelectedNodesOwnAddresses() {
    Compilation c =
        compile(
            "\"acls\": [{\"action\": \"accept\", \"src\": [\"bob@acme.com\"], \"dst\": [\"alice@acme.com:22\"]}]");
    assertThat(c.filter("a1").orElseThrow().rules().getFirst().destinations())
        .extracting(Object::toString)
        .containsExactly("100.64.0.1/32:22", "fd7a:115c:a1e0::1/128:22");
    assertThat(c.filter("db1").orElseThrow().rules()).isEmpty();
    assertThat(c.filter("web1").orElseThrow().rules()).isEmpty(); // tagged by alice, but tagged
  }

  @Test
  void s3_2_taggedDevicesHaveNoUserIdentity() {
    Compilation c =
        compile(
            """
        "acls": [{"action": "accept", "src": ["alice@acme.com", "autogroup:member", "autogroup:admin"], "dst": ["tag:db:*"]},
                 {"action": "accept", "src": ["tag:db"], "dst": ["alice@acme.com:*"]}]""");
    assertThat(allows(c, "db1", "100.64.0.10", "100.64.0.11", 6, 1)).isFalse();
    assertThat(c.filter("web1").orElseThrow().rules()).isEmpty();
  }

  @Test
  void s3_3_wildcardDestinationIsEnforcedEverywhereAsStar() {
    Compilation c =
        compile(
            "\"acls\": [{\"action\": \"accept\", \"src\": [\"bob@acme.com\"], \"dst\": [\"*:443\"]}]");
    for (String n : c.nodeNames()) {
      assertThat(c.filter(n).orElseThrow().rules()).as(n).hasSize(1);
    }
    assertThat(TailscaleJson.write(c.filter("db1").orElseThrow())).contains("\"IP\" : \"*\"");
  }

  @Test
  void s3_4_cidrDestinationsGoToOverlappingRoutersAsWritten() {
    Compilation c =
        compile(
            """
        "acls": [{"action": "accept", "src": ["bob@acme.com"], "dst": ["lan:22", "100.64.0.11:80"]}],
        "grants": [{"src": ["bob@acme.com"], "dst": ["10.2.0.0/16"], "ip": ["443"], "via": ["tag:router"]}]""");
    assertThat(c.filter("r1").orElseThrow().rules().getFirst().destinations())
        .extracting(Object::toString)
        .containsExactly("10.1.2.0/24:22");
    assertThat(c.filter("r2").orElseThrow().rules())
        .flatExtracting(FilterRule::destinations)
        .extracting(Object::toString)
        .containsExactly("10.1.2.0/24:22", "10.2.0.0/16:443");
    assertThat(c.filter("db1").orElseThrow().rules().getFirst().destinations())
        .extracting(Object::toString)
        .containsExactly("100.64.0.11/32:80");
    assertThat(c.filter("ex").orElseThrow().rules()).isEmpty(); // exit routes do not count
    Compilation v =
        compile(
            """
        "grants": [{"src": ["bob@acme.com"], "dst": ["10.1.0.0/16"], "ip": ["443"], "via": ["tag:exit"]}]""");
    assertThat(v.filter("r1").orElseThrow().rules()).isEmpty();
  }

  @Test
  void s3_5_selfIsResolvedPerDestinationNode() {
    Compilation c =
        compile(
            "\"acls\": [{\"action\": \"accept\", \"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:self:*\"]}]");
    assertThat(sources(c, "a1"))
        .containsExactly(
            "100.64.0.1/32", "100.64.0.2/32", "fd7a:115c:a1e0::1/128", "fd7a:115c:a1e0::2/128");
    assertThat(sources(c, "b1")).containsExactly("100.64.0.3/32", "fd7a:115c:a1e0::3/128");
    assertThat(c.filter("web1").orElseThrow().rules()).isEmpty();
    assertThat(allows(c, "a1", "100.64.0.3", "100.64.0.1", 6, 22)).isFalse();
  }

  @Test
  void s3_6_internetGivesExitRoutesAndAPublicRuleOnlyOnExitNodes() {
    Compilation c =
        compile(
            "\"acls\": [{\"action\": \"accept\", \"src\": [\"bob@acme.com\"], \"dst\": [\"autogroup:internet:*\"]}]");
    for (String n : List.of("a1", "db1", "r1")) {
      assertThat(c.filter(n).orElseThrow().rules()).as(n).isEmpty();
    }
    assertThat(allows(c, "ex", "100.64.0.3", "8.8.8.8", 6, 443)).isTrue();
    assertThat(allows(c, "ex", "fd7a:115c:a1e0::3", "2001:db8::1", 17, 53)).isTrue();
    assertThat(allows(c, "ex", "100.64.0.3", "192.168.1.1", 6, 443)).isFalse();
    assertThat(allows(c, "ex", "100.64.0.3", "100.64.0.11", 6, 443)).isFalse();
    Peer exit =
        c.filter("b1").orElseThrow().peers().stream()
            .filter(p -> p.name().equals("ex"))
            .findFirst()
            .orElseThrow();
    assertThat(exit.routes()).containsExactly(IpPrefix.ALL_V4, IpPrefix.ALL_V6);
    assertThat(peers(c, "a1")).doesNotContain("ex");
  }

  /** A tailnet with one service, svc:web, advertised by three hosts. */
  static final String SERVICES =
      """
        - {name: w2, tags: [tag:web], ips: [100.64.0.12, "fd7a:115c:a1e0::c"]}
        - {name: w3, tags: [tag:db], ips: [100.64.0.13, "fd7a:115c:a1e0::d"]}
      services:
        - name: svc:web
          ips: [100.100.50.1, "fd7a:115c:a1e0::5:1"]
          tags: [tag:web]
          hosts:
            - {node: web1, approved: true}
            - w2
            - w3
      """;

  @Test
  void s3_7_servicesAreEnforcedByTheirApprovedHosts() {
    Policy p =
        policy(
            """
        "grants": [{"src": ["bob@acme.com"], "dst": ["svc:web"], "ip": ["tcp:443"]}],
        "autoApprovers": {"services": {"tag:web": ["tag:web"]}}""");
    Compilation c = Compiler.compile(p, inventory(INVENTORY + SERVICES));
    // web1 approved in the inventory, w2 by autoApprovers (tag key the service carries, w2 has
    // tag:web); w3 (tag:db) advertises it but is not approved: no rule, no route.
    for (String host : List.of("web1", "w2")) {
      assertThat(allows(c, host, "100.64.0.3", "100.100.50.1", 6, 443)).as(host).isTrue();
      assertThat(allows(c, host, "fd7a:115c:a1e0::3", "fd7a:115c:a1e0::5:1", 6, 443))
          .as(host)
          .isTrue();
      assertThat(allows(c, host, "100.64.0.3", "100.100.50.1", 6, 80)).as(host).isFalse();
      assertThat(allows(c, host, "100.64.0.3", "100.64.0.10", 6, 443))
          .as(host)
          .isFalse(); // not the host's own
    }
    // Like an HA subnet route (§7.3): the clients send the service's addresses to one host, the
    // primary (first by name), and fail over to the other.
    Peer primary =
        c.filter("b1").orElseThrow().peers().stream()
            .filter(x -> x.name().equals("w2"))
            .findFirst()
            .orElseThrow();
    assertThat(primary.routes())
        .extracting(Object::toString)
        .containsExactly("100.100.50.1/32", "fd7a:115c:a1e0::5:1/128");
    assertThat(peers(c, "b1")).contains("web1", "w2");
    assertThat(c.filter("w3").orElseThrow().rules()).isEmpty();
    assertThat(peers(c, "b1")).doesNotContain("w3");
    assertThat(c.diagnostics())
        .extracting(Diagnostic::message)
        .anyMatch(m -> m.contains("\"w3\" advertises svc:web but is not approved"));
    // A service the inventory does not list has no address: nobody enforces it.
    Compilation none =
        Compiler.compile(
            policy(
                """
        "grants": [{"src": ["bob@acme.com"], "dst": ["svc:other"], "ip": ["*"]}]"""),
            inventory(INVENTORY + SERVICES));
    assertThat(none.filters().values()).allMatch(f -> f.rules().isEmpty());
  }

  @Test
  void s3_9_sshDestinationsReachTheirSessionRecorders() {
    Compilation c =
        compile(
            """
        "acls": [{"action": "accept", "src": ["bob@acme.com"], "dst": ["tag:db:22"]}],
        "ssh": [{"action": "accept", "src": ["bob@acme.com"], "dst": ["tag:db", "autogroup:self"], "users": ["root"],
                 "recorder": ["tag:web"], "enforceRecorder": true}]""");
    // db1 (tag:db) and the members' devices stream recordings to web1 (tag:web) on tcp/80.
    assertThat(allows(c, "web1", "100.64.0.11", "100.64.0.10", 6, 80)).isTrue();
    assertThat(allows(c, "web1", "100.64.0.3", "100.64.0.10", 6, 80)).isTrue();
    assertThat(allows(c, "web1", "100.64.0.11", "100.64.0.10", 6, 443)).isFalse();
    assertThat(allows(c, "web1", "100.64.0.11", "100.64.0.10", 17, 80)).isFalse();
    assertThat(allows(c, "web1", "100.64.0.20", "100.64.0.10", 6, 80))
        .isFalse(); // r1 is no ssh destination
    assertThat(c.filter("web1").orElseThrow().rules())
        .extracting(FilterRule::origin)
        .extracting(o -> o.kind() + "[" + o.index() + "]")
        .contains("ssh-recorder[0]");
    // Without a recorder nothing is added.
    Compilation none =
        compile(
            """
        "acls": [{"action": "accept", "src": ["bob@acme.com"], "dst": ["tag:db:22"]}],
        "ssh": [{"action": "accept", "src": ["bob@acme.com"], "dst": ["tag:db"], "users": ["root"]}]""");
    assertThat(none.filter("web1").orElseThrow().rules()).isEmpty();
  }

  @Test
  void s3_8_roleAutogroupsAsDestinationsAreTheDevicesOfThatRole() {
    Compilation c =
        compile(
            """
        "grants": [{"src": ["bob@acme.com"], "dst": ["autogroup:admin"], "ip": ["tcp:22"]}]""");
    assertThat(allows(c, "a1", "100.64.0.3", "100.64.0.1", 6, 22)).isTrue();
    assertThat(allows(c, "a2", "100.64.0.3", "100.64.0.2", 6, 22)).isTrue();
    assertThat(c.filter("c1").orElseThrow().rules()).isEmpty(); // it-admin, not admin
    assertThat(c.filter("web1").orElseThrow().rules()).isEmpty(); // tagged: no user identity
  }

  @Test
  void s2_6_legacyMembersMeansMember() {
    Compilation legacy =
        compile(
            "\"acls\": [{\"action\": \"accept\", \"src\": [\"autogroup:members\"], \"dst\": [\"tag:db:22\"]}]");
    Compilation current =
        compile(
            "\"acls\": [{\"action\": \"accept\", \"src\": [\"autogroup:member\"], \"dst\": [\"tag:db:22\"]}]");
    assertThat(legacy.filters()).isEqualTo(current.filters());
    assertThat(allows(legacy, "db1", "100.64.0.3", "100.64.0.11", 6, 22)).isTrue();
    assertThat(allows(legacy, "db1", "100.64.0.10", "100.64.0.11", 6, 22)).isFalse(); // tagged web1
  }

  @Test
  void s4_4_anyProtocolWithPortsIsTheDefaultProtocolSet() {
    Compilation star =
        compile(
            "\"grants\": [{\"src\": [\"bob@acme.com\"], \"dst\": [\"tag:db\"], \"ip\": [\"*:8096\"]}]");
    Compilation bare =
        compile(
            "\"grants\": [{\"src\": [\"bob@acme.com\"], \"dst\": [\"tag:db\"], \"ip\": [\"8096\"]}]");
    assertThat(star.filters()).isEqualTo(bare.filters());
    assertThat(allows(star, "db1", "100.64.0.3", "100.64.0.11", 17, 8096)).isTrue();
    assertThat(allows(star, "db1", "100.64.0.3", "100.64.0.11", 6, 8097)).isFalse();
    Compilation all =
        compile(
            "\"grants\": [{\"src\": [\"bob@acme.com\"], \"dst\": [\"tag:db\"], \"ip\": [\"*:*\"]}]");
    Compilation any =
        compile(
            "\"grants\": [{\"src\": [\"bob@acme.com\"], \"dst\": [\"tag:db\"], \"ip\": [\"*\"]}]");
    assertThat(all.filters()).isEqualTo(any.filters());
  }

  @Test
  void s4_1_portsAreInclusiveRangesAndLists() {
    Compilation c =
        compile(
            "\"acls\": [{\"action\": \"accept\", \"src\": [\"bob@acme.com\"], \"dst\": [\"tag:db:22,80-90,443\"]}]");
    for (int p : new int[] {22, 80, 85, 90, 443}) {
      assertThat(allows(c, "db1", "100.64.0.3", "100.64.0.11", 6, p)).as("port %d", p).isTrue();
    }
    for (int p : new int[] {21, 23, 79, 91, 444, 0}) {
      assertThat(allows(c, "db1", "100.64.0.3", "100.64.0.11", 6, p)).as("port %d", p).isFalse();
    }
  }

  @Test
  void s4_2_defaultProtocolsAndOneRulePerGrantProtocol() {
    Compilation c =
        compile(
            """
        "acls": [{"action": "accept", "src": ["bob@acme.com"], "dst": ["tag:db:53"]}],
        "grants": [{"src": ["alice@acme.com"], "dst": ["tag:db"], "ip": ["tcp:80", "udp:53", "tcp:443", "icmp:*"]}]""");
    List<FilterRule> rs = c.filter("db1").orElseThrow().rules();
    assertThat(rs)
        .extracting(FilterRule::protocols)
        .containsExactly(List.of(), List.of(1), List.of(6), List.of(17));
    assertThat(allows(c, "db1", "100.64.0.3", "100.64.0.11", 17, 53)).isTrue();
    assertThat(allows(c, "db1", "100.64.0.3", "100.64.0.11", 1, 0))
        .isTrue(); // ICMP in the default set
    assertThat(allows(c, "db1", "100.64.0.3", "100.64.0.11", 132, 53)).isFalse(); // SCTP is not
    assertThat(allows(c, "db1", "100.64.0.1", "100.64.0.11", 6, 53)).isFalse();
    assertThat(allows(c, "db1", "100.64.0.1", "100.64.0.11", 1, 0)).isTrue();
  }

  @Test
  void s4_3_appGrantsBecomeCapGrantsNotPackets() {
    Compilation c =
        compile(
            """
        "grants": [{"src": ["bob@acme.com"], "dst": ["tag:db"], "app": {"example.com/cap/x": [{"k": 1}]}}]""");
    CompiledFilter f = c.filter("db1").orElseThrow();
    assertThat(f.rules()).isEmpty();
    assertThat(f.capGrants())
        .singleElement()
        .satisfies(
            g -> {
              assertThat(g.capability()).isEqualTo("example.com/cap/x");
              assertThat(g.values()).containsExactly("{\"k\":1}");
              assertThat(g.destinations())
                  .extracting(IpPrefix::toString)
                  .containsExactly("100.64.0.11/32", "fd7a:115c:a1e0::b/128");
            });
    assertThat(peers(c, "db1")).containsExactly("b1");
  }

  @Test
  void s5_1_ownPosturesReplaceTheDefaultAndAnyOfThemSuffices() {
    Compilation c =
        compile(
            """
        "defaultSrcPosture": ["posture:recent"],
        "acls": [{"action": "accept", "src": ["group:eng"], "dst": ["tag:db:1"]},
                 {"action": "accept", "src": ["group:eng"], "dst": ["tag:db:2"], "srcPosture": ["posture:mac", "posture:recent"]}]""");
    assertThat(allows(c, "db1", "100.64.0.1", "100.64.0.11", 6, 1)).isTrue(); // recent
    assertThat(allows(c, "db1", "100.64.0.2", "100.64.0.11", 6, 1)).isFalse(); // 1.58
    assertThat(allows(c, "db1", "100.64.0.3", "100.64.0.11", 6, 1)).isFalse(); // no version
    assertThat(allows(c, "db1", "100.64.0.3", "100.64.0.11", 6, 2)).isTrue(); // mac
    assertThat(allows(c, "db1", "100.64.0.2", "100.64.0.11", 6, 2)).isFalse();
    ResolvedRule r = c.rules().get(0);
    assertThat(c.names(r.postureFailed())).contains("a2", "b1").doesNotContain("a1");
  }

  @Test
  void s5_2_conditionsCompareVersionsAndFailOnMissingAttributes() {
    assertThat(PostureEvaluator.compareVersions("1.100.0", "1.60")).isPositive();
    assertThat(PostureEvaluator.compareVersions("1.60", "1.60.0")).isZero();
    assertThat(PostureEvaluator.compareVersions("1.60.0-pre", "1.60.0")).isNegative();
    assertThat(PostureEvaluator.compareVersions("v2", "10")).isNegative();
    assertThat(PostureEvaluator.compareVersions("macos", "1")).isNull();
    Map<String, dev.tessera.policy.ast.PostureValue> attrs =
        Map.of("node:os", dev.tessera.policy.ast.PostureValue.string("macos"));
    assertThat(PostureEvaluator.holds(cond("node:os != 'windows'"), attrs)).isTrue();
    assertThat(PostureEvaluator.holds(cond("node:os != 'windows'"), Map.of())).isFalse();
    assertThat(PostureEvaluator.holds(cond("node:tsVersion NOT IN ['1.0']"), Map.of())).isFalse();
    assertThat(PostureEvaluator.holds(cond("custom:tier NOT SET"), attrs)).isTrue();
    assertThat(PostureEvaluator.holds(cond("node:os IS SET"), attrs)).isTrue();
    assertThat(PostureEvaluator.holds(cond("node:os IN ['ios', 'macos']"), attrs)).isTrue();
    assertThat(PostureEvaluator.holds(cond("node:os < '3'"), attrs)).isFalse(); // not a version
  }

  private static dev.tessera.policy.ast.PostureCondition cond(String text) {
    return dev.tessera.policy.syntax.Values.postureCondition(
            text, dev.tessera.policy.ast.SourceSpan.NONE, new Diagnostics())
        .orElseThrow();
  }

  @Test
  void s5_3_failingDevicesAreCutOutOfIpAndWildcardSourcesToo() {
    Compilation c =
        compile(
            """
        "acls": [{"action": "accept", "src": ["*"], "dst": ["tag:db:*"], "srcPosture": ["posture:mac"]}]""");
    assertThat(allows(c, "db1", "100.64.0.1", "100.64.0.11", 6, 1)).isTrue();
    assertThat(allows(c, "db1", "100.64.0.2", "100.64.0.11", 6, 1)).isFalse(); // linux
    assertThat(allows(c, "db1", "100.64.0.20", "100.64.0.11", 6, 1))
        .isFalse(); // router, no posture
    assertThat(allows(c, "db1", "100.64.0.99", "100.64.0.11", 6, 1)).isTrue(); // not a device
    assertThat(allows(c, "db1", "10.1.2.3", "100.64.0.11", 6, 1)).isTrue(); // behind a router
  }

  @Test
  void s6_1_onlyApprovedRoutesCount() {
    Compilation c =
        Compiler.compile(
            policy(
                "\"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"10.1.0.0/16:*\"]}]"),
            inventory(
                INVENTORY
                    .replace("routes: [10.1.0.0/16]", "routes: []")
                    .replace("routes: [10.0.0.0/8]", "routes: []")));
    assertThat(c.filter("r1").orElseThrow().rules()).isEmpty();
    assertThat(
            sources(
                compile(
                    "\"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"10.1.0.0/16:*\"]}]"),
                "r1"))
        .contains("10.0.0.0/8");
  }

  @Test
  void s6_2_wildcardDestinationAlsoGrantsExitNodeUse() {
    Compilation c =
        compile(
            "\"acls\": [{\"action\": \"accept\", \"src\": [\"bob@acme.com\"], \"dst\": [\"*:*\"]}]");
    Peer exit =
        c.filter("b1").orElseThrow().peers().stream()
            .filter(p -> p.name().equals("ex"))
            .findFirst()
            .orElseThrow();
    assertThat(exit.routes()).contains(IpPrefix.ALL_V4, IpPrefix.ALL_V6);
    assertThat(c.filter("a1").orElseThrow().peers()).extracting(Peer::name).containsExactly("b1");
  }

  @Test
  void s7_1_peersAreNodesThatMayExchangePacketsEitherWay() {
    Compilation c =
        compile(
            "\"acls\": [{\"action\": \"accept\", \"src\": [\"bob@acme.com\"], \"dst\": [\"tag:db:5432\"]}]");
    assertThat(peers(c, "db1")).containsExactly("b1");
    assertThat(peers(c, "b1")).containsExactly("db1");
    assertThat(peers(c, "a1")).isEmpty();
    Compilation r =
        compile(
            "\"acls\": [{\"action\": \"accept\", \"src\": [\"lan\"], \"dst\": [\"tag:db:5432\"]}]");
    assertThat(peers(r, "db1"))
        .containsExactly("r1", "r2"); // traffic from 10.1.2.0/24 arrives via routers
  }

  @Test
  void s7_2_routesAreAcceptedFromAPeerOnlyWhenUsable() {
    Compilation c =
        compile(
            "\"acls\": [{\"action\": \"accept\", \"src\": [\"bob@acme.com\"], \"dst\": [\"10.1.2.0/24:22\", \"tag:db:1\"]}]");
    Peer r1 =
        c.filter("b1").orElseThrow().peers().stream()
            .filter(p -> p.name().equals("r1"))
            .findFirst()
            .orElseThrow();
    assertThat(r1.routes()).containsExactly(IpPrefix.parse("10.1.0.0/16"));
    assertThat(r1.addresses())
        .extracting(IpPrefix::toString)
        .containsExactly("100.64.0.20/32", "fd7a:115c:a1e0::14/128");
    Peer b1 = c.filter("db1").orElseThrow().peers().getFirst();
    assertThat(b1.routes()).isEmpty();
  }

  @Test
  void s7_3_haRoutesAreAnnouncedByThePrimaryRouterOnly() {
    String inv =
        INVENTORY
            + "  - {name: r0, tags: [tag:router], ips: [100.64.0.19], routes: [10.1.0.0/16]}\n";
    Compilation c =
        Compiler.compile(
            policy(
                "\"acls\": [{\"action\": \"accept\", \"src\": [\"bob@acme.com\"], \"dst\": [\"10.1.0.0/16:*\"]}]"),
            inventory(inv));
    assertThat(c.filter("r0").orElseThrow().rules()).hasSize(1);
    assertThat(c.filter("r1").orElseThrow().rules()).hasSize(1);
    List<Peer> ps = c.filter("b1").orElseThrow().peers();
    assertThat(ps)
        .filteredOn(p -> p.routes().contains(IpPrefix.parse("10.1.0.0/16")))
        .extracting(Peer::name)
        .containsExactly("r0");
  }

  @Test
  void s8_1_normalFormMergesPrefixesAndPorts() {
    Compilation c =
        compile(
            """
        "acls": [{"action": "accept", "src": ["100.64.0.0/25", "100.64.0.128/25", "100.64.0.5"],
                  "dst": ["tag:db:22", "tag:db:23", "tag:db:24-30", "tag:db:443"]}]""");
    FilterRule r = c.filter("db1").orElseThrow().rules().getFirst();
    assertThat(r.sources()).extracting(IpPrefix::toString).containsExactly("100.64.0.0/24");
    assertThat(r.destinations())
        .extracting(Object::toString)
        .containsExactly(
            "100.64.0.11/32:22-30",
            "100.64.0.11/32:443",
            "fd7a:115c:a1e0::b/128:22-30",
            "fd7a:115c:a1e0::b/128:443");
    assertThat(r.origin().kind()).isEqualTo("acl");
    assertThat(r.origin().line()).isPositive();
    assertThat(c.filter("db1").orElseThrow()).isEqualTo(c.filter("db1").orElseThrow().canonical());
  }

  @Test
  void s8_2_outputIsByteIdenticalWhateverTheOrderOfEntries() {
    String body =
        """
        "acls": [{"action": "accept", "src": ["group:eng", "tag:router"], "dst": ["tag:db:*", "lan:22"]},
                 {"action": "accept", "src": ["*"], "dst": ["autogroup:self:*", "autogroup:internet:*"]}],
        "grants": [{"src": ["autogroup:admin"], "dst": ["tag:web"], "ip": ["tcp:443", "udp:53"]}]""";
    Compilation a = compile(body);
    Map<String, byte[]> want = OutputWriter.render(a, OutputFormat.TESSERA);
    List<String> lines = new ArrayList<>(Arrays.asList(INVENTORY.split("\n")));
    List<String> users = new ArrayList<>(lines.subList(1, 4));
    List<String> nodes = new ArrayList<>();
    for (int i = 5; i < lines.size(); i++) {
      String l = lines.get(i);
      if (l.startsWith("  - ")) {
        nodes.add(l);
      } else {
        nodes.set(nodes.size() - 1, nodes.getLast() + "\n" + l);
      }
    }
    for (long seed = 1; seed <= 5; seed++) {
      Collections.shuffle(users, new Random(seed));
      Collections.shuffle(nodes, new Random(seed));
      String inv =
          "users:\n" + String.join("\n", users) + "\nnodes:\n" + String.join("\n", nodes) + "\n";
      String defs =
          DEFS.replace(
              "[\"alice@acme.com\", \"bob@acme.com\"]", "[\"bob@acme.com\", \"alice@acme.com\"]");
      PolicyResult pr = Policies.read("p.hujson", "{" + defs + body + "}", Syntax.HUJSON);
      Compilation b = Compiler.compile(pr.policy().orElseThrow(), inventory(inv));
      Map<String, byte[]> got = OutputWriter.render(b, OutputFormat.TESSERA);
      assertThat(got.keySet()).containsExactlyElementsOf(want.keySet());
      for (String f : want.keySet()) {
        assertThat(got.get(f)).as("seed %d file %s", seed, f).isEqualTo(want.get(f));
      }
    }
  }

  @Test
  void s8_3_outputFilesAndIndex() {
    Compilation c =
        compile("\"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:*\"]}]");
    Map<String, byte[]> t = OutputWriter.render(c, OutputFormat.TESSERA);
    assertThat(t.keySet()).contains("a1.tsrf", "index.json").hasSize(c.nodeNames().size() + 1);
    String index = new String(t.get("index.json"), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(index).contains("\"sha256\" : \"" + c.hash("a1") + "\"");
    Map<String, byte[]> j = OutputWriter.render(c, OutputFormat.TAILSCALE);
    assertThat(new String(j.get("db1.json"), java.nio.charset.StandardCharsets.UTF_8))
        .contains("\"SrcIPs\"")
        .doesNotContain("IPProto");
    assertThat(OutputWriter.fileName("../x/y")).isEqualTo("%2E.%2Fx%2Fy");
    assertThat(OutputWriter.fileName("db-1.prod_2")).isEqualTo("db-1.prod_2");
  }

  @Test
  void s9_incrementalUpdateEqualsAFullCompile() {
    Compilation c =
        compile(
            """
        "acls": [{"action": "accept", "src": ["group:eng", "tag:router"], "dst": ["tag:db:*", "lan:22"]},
                 {"action": "accept", "src": ["*"], "dst": ["autogroup:self:*"], "srcPosture": ["posture:mac"]}]""");
    InventoryNode joined =
        InventoryNode.of(
            "a3",
            "alice@acme.com",
            List.of(),
            List.of(IpAddress.parse("100.64.0.40")),
            Map.of("node:os", dev.tessera.policy.ast.PostureValue.string("macos")),
            List.of());
    Compilation up = c.update(joined);
    Compilation full = Compiler.compile(c.policy(), c.inventory().withNode(joined));
    assertThat(up.filters()).isEqualTo(full.filters());
    assertThat(up.changedNodes()).contains("a3", "db1").doesNotContain("web1", "ex");
    assertThat(up.hash("web1")).isEqualTo(full.hash("web1"));
    InventoryNode retagged =
        InventoryNode.of(
            "b1",
            null,
            List.of("tag:router"),
            List.of(IpAddress.parse("100.64.0.3")),
            Map.of(),
            List.of(IpPrefix.parse("10.9.0.0/16")));
    Compilation up2 = up.update(retagged);
    assertThat(up2.filters())
        .isEqualTo(Compiler.compile(c.policy(), up.inventory().withNode(retagged)).filters());
  }
}
