package dev.tessera.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.policy.diag.DiagnosticRenderer;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Policies Tailscale accepts must read without any diagnostic. One row per accepted form. */
class ValidPolicyTest {
  private static final String ACL =
      "{\"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [%s]%s}]%s}";

  private static String acl(String dst) {
    return String.format(ACL, dst, "", "");
  }

  private static String acl(String dst, String extra, String top) {
    return String.format(ACL, dst, extra, top);
  }

  private static String grant(String body, String top) {
    return "{\"grants\": [{" + body + "}]" + top + "}";
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("empty policy", "{}"),
        Arguments.of("explicit empty acls", "{\"acls\": []}"),
        Arguments.of(
            "comments and trailing commas",
            "// head\n{\n  /* block */ \"acls\": [\n    {\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:*\",],}, // tail\n  ],\n}\n"),
        Arguments.of("all ports", acl("\"*:*\"")),
        Arguments.of("port list and ranges", acl("\"*:22,80,443,8000-8100\"")),
        Arguments.of(
            "IPv4 and CIDR", acl("\"10.0.0.1:22\", \"10.0.0.0/8:*\", \"100.64.0.0/10:443\"")),
        Arguments.of("IPv6 split at the last colon", acl("\"fd7a:115c:a1e0::1:22\"")),
        Arguments.of("bracketed IPv6", acl("\"[fd7a:115c:a1e0::1]:22\"")),
        Arguments.of("IPv6 CIDR", acl("\"fd7a:115c:a1e0::/48:*\"")),
        Arguments.of("proto by name", acl("\"*:443\"", ", \"proto\": \"tcp\"", "")),
        Arguments.of("proto by number", acl("\"*:443\"", ", \"proto\": \"6\"", "")),
        Arguments.of("icmp with all ports", acl("\"*:*\"", ", \"proto\": \"icmp\"", "")),
        Arguments.of("ipv6-icmp", acl("\"*:*\"", ", \"proto\": \"ipv6-icmp\"", "")),
        Arguments.of("sctp with ports", acl("\"*:5000\"", ", \"proto\": \"sctp\"", "")),
        Arguments.of("upper-case proto name", acl("\"*:53\"", ", \"proto\": \"UDP\"", "")),
        Arguments.of(
            "self with member",
            "{\"acls\": [{\"action\": \"accept\", \"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:self:*\"]}]}"),
        Arguments.of(
            "self with wildcard src",
            "{\"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"autogroup:self:22\"]}]}"),
        Arguments.of("internet via exit node", acl("\"autogroup:internet:*\"")),
        Arguments.of(
            "danger-all as source",
            "{\"acls\": [{\"action\": \"accept\", \"src\": [\"autogroup:danger-all\"], \"dst\": [\"*:443\"]}]}"),
        Arguments.of(
            "roles as sources",
            "{\"acls\": [{\"action\": \"accept\", \"src\": [\"autogroup:admin\", \"autogroup:it-admin\", \"autogroup:shared\"], \"dst\": [\"*:22\"]}]}"),
        Arguments.of(
            "hosts, groups, tags",
            "{\"groups\": {\"group:eng\": [\"alice@acme.com\", \"bob@\"]}, \"tagOwners\": {\"tag:web\": [\"group:eng\"], \"tag:db\": [\"tag:web\", \"autogroup:admin\"]},"
                + " \"hosts\": {\"db\": \"10.0.0.5\", \"net6\": \"fd00::/64\"},"
                + " \"acls\": [{\"action\": \"accept\", \"src\": [\"group:eng\", \"tag:web\"], \"dst\": [\"tag:db:5432\", \"db:5432\", \"net6:*\"]}]}"),
        Arguments.of(
            "posture with every operator",
            "{\"postures\": {\"posture:p\": [\"node:os == 'macos'\", \"node:os != \\\"linux\\\"\", \"node:os IN ['macos', 'windows']\","
                + " \"node:os NOT IN ['ios']\", \"custom:x IS SET\", \"custom:y NOT SET\", \"node:tsVersion < '1.90'\","
                + " \"node:tsVersion <= '1.90'\", \"node:tsVersion > '1.40'\", \"node:tsVersion >= '1.60'\","
                + " \"custom:score >= 50\", \"custom:compliant == true\"]},"
                + " \"defaultSrcPosture\": [\"posture:p\"],"
                + " \"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:*\"], \"srcPosture\": [\"posture:p\"]}]}"),
        Arguments.of(
            "grant ip forms",
            grant(
                "\"src\": [\"*\"], \"dst\": [\"*\"], \"ip\": [\"*\", \"443\", \"80-90\", \"tcp:443\", \"udp:53\", \"icmp:*\", \"6:22\", \"tcp:80-443\", \"47\"]",
                "")),
        Arguments.of(
            "grant ip any protocol with ports (Tailscale reads *:PORTS as PORTS)",
            grant(
                "\"src\": [\"*\"], \"dst\": [\"*\"], \"ip\": [\"*:8096\", \"*:*\", \"*:80-90\"]",
                "")),
        Arguments.of(
            "legacy autogroup:members everywhere",
            "{\"tagOwners\": {\"tag:a\": [\"autogroup:members\"]}, \"acls\": [{\"action\": \"accept\", \"src\": [\"autogroup:members\"], \"dst\": [\"autogroup:self:*\"]}],"
                + " \"ssh\": [{\"action\": \"check\", \"src\": [\"autogroup:members\"], \"dst\": [\"autogroup:self\"], \"users\": [\"root\"]}],"
                + " \"nodeAttrs\": [{\"target\": [\"autogroup:members\"], \"attr\": [\"funnel\"]}]}"),
        Arguments.of(
            "role autogroups as destinations",
            grant(
                "\"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:owner\", \"autogroup:admin\", \"autogroup:member\", \"autogroup:auditor\","
                    + " \"autogroup:billing-admin\", \"autogroup:it-admin\", \"autogroup:network-admin\"], \"ip\": [\"*\"]",
                "")),
        Arguments.of(
            "services: destinations, tests and auto-approvers",
            "{\"tagOwners\": {\"tag:k8s\": []}, \"grants\": [{\"src\": [\"autogroup:member\"], \"dst\": [\"svc:grafana\", \"svc:loki\"], \"ip\": [\"tcp:443\"]}],"
                + " \"acls\": [{\"action\": \"accept\", \"src\": [\"autogroup:member\"], \"dst\": [\"svc:web:80\"]}],"
                + " \"autoApprovers\": {\"services\": {\"svc:grafana\": [\"tag:k8s\"], \"tag:k8s\": [\"tag:k8s\", \"autogroup:admin\"]}},"
                + " \"tests\": [{\"src\": \"a@b.c\", \"accept\": [\"svc:web:80\"]}]}"),
        Arguments.of(
            "ssh session recording",
            "{\"tagOwners\": {\"tag:rec\": []}, \"ssh\": [{\"action\": \"accept\", \"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:self\"], \"users\": [\"root\"],"
                + " \"recorder\": [\"tag:rec\"], \"enforceRecorder\": true}]}"),
        Arguments.of(
            "ipPool containing the reserved range",
            "{\"nodeAttrs\": [{\"target\": [\"*\"], \"ipPool\": [\"100.100.0.0/16\", \"100.64.0.0/10\"]}]}"),
        Arguments.of(
            "grant app only",
            grant(
                "\"src\": [\"*\"], \"dst\": [\"tag:a\"], \"app\": {\"example.com/cap/x\": [{\"k\": [1, 2.5, true, null]}]}",
                ", \"tagOwners\": {\"tag:a\": []}")),
        Arguments.of(
            "grant user domain and via",
            grant(
                "\"src\": [\"user:*@acme.com\"], \"dst\": [\"10.1.0.0/16\"], \"ip\": [\"*\"], \"via\": [\"tag:r\"]",
                ", \"tagOwners\": {\"tag:r\": []}")),
        Arguments.of(
            "grant to internet",
            grant(
                "\"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:internet\"], \"ip\": [\"*\"]",
                "")),
        Arguments.of(
            "ipsets",
            "{\"hosts\": {\"h\": \"10.0.0.1\"}, \"ipsets\": {\"ipset:a\": [\"10.0.0.0/8\", \"h\"], \"ipset:b\": [\"add ipset:a\", \"remove 10.1.0.0/16\", \"add 10.2.0.1-10.2.0.9\", \"add autogroup:internet\"]},"
                + " \"grants\": [{\"src\": [\"ipset:b\"], \"dst\": [\"ipset:a\"], \"ip\": [\"*\"]}]}"),
        Arguments.of(
            "auto approvers",
            "{\"groups\": {\"group:ops\": []}, \"tagOwners\": {\"tag:r\": []}, \"autoApprovers\": {\"routes\": {\"10.0.0.0/8\": [\"tag:r\", \"group:ops\"], \"fd00::/8\": [\"a@b.c\"]}, \"exitNode\": [\"tag:r\", \"autogroup:admin\"]}}"),
        Arguments.of(
            "ssh, nodeAttrs, sshTests, derpMap, settings",
            "{\"ssh\": [{\"action\": \"check\", \"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:self\"], \"users\": [\"autogroup:nonroot\", \"root\"], \"checkPeriod\": \"12h\"}],"
                + " \"nodeAttrs\": [{\"target\": [\"*\"], \"attr\": [\"funnel\"]}],"
                + " \"tagOwners\": {\"tag:x\": []}, \"sshTests\": [{\"src\": \"a@b.c\", \"dst\": [\"tag:x\"], \"accept\": [\"root\"]}],"
                + " \"derpMap\": {\"OmitDefaultRegions\": true, \"Regions\": {\"900\": {\"RegionID\": 900}}},"
                + " \"disableIPv4\": false, \"randomizeClientPort\": true}"),
        Arguments.of(
            "null means absent (Go zero value)",
            "{\"acls\": null, \"ssh\": [{\"action\": \"accept\", \"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:self\"], \"users\": [\"root\"], \"acceptEnv\": null, \"checkPeriod\": null}]}"),
        Arguments.of(
            "ssh check periods",
            "{\"ssh\": [{\"action\": \"check\", \"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:self\"], \"users\": [\"root\"], \"checkPeriod\": \"168h\"},"
                + " {\"action\": \"check\", \"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:self\"], \"users\": [\"root\"], \"checkPeriod\": \"always\"},"
                + " {\"action\": \"check\", \"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:self\"], \"users\": [\"root\"], \"checkPeriod\": \"1h30m\"}]}"),
        Arguments.of(
            "ssh without src or dst matches nothing but is valid",
            "{\"ssh\": [{\"action\": \"accept\", \"users\": [\"root\"]}]}"),
        Arguments.of(
            "nodeAttrs ipPool",
            "{\"nodeAttrs\": [{\"target\": [\"autogroup:admin\"], \"ipPool\": [\"100.80.0.0/16\"]}]}"),
        Arguments.of(
            "documented tailscale.com capability",
            "{\"grants\": [{\"src\": [\"*\"], \"dst\": [\"*\"], \"app\": {\"tailscale.com/cap/drive\": [{}]}}]}"),
        Arguments.of(
            "tests with destinations that fail only the test",
            "{\"tests\": [{\"src\": \"nobody@nowhere\", \"proto\": \"icmp\", \"accept\": [\"tag:unknown:22\", \"*:*\", \"10.0.0.0/8:22\", \"host:1-2\"], \"deny\": [\"garbage\"]}]}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void readsWithoutDiagnostics(String name, String text) {
    PolicyResult r = Policies.read("ok.hujson", text, Syntax.HUJSON);
    assertThat(r.diagnostics())
        .as(() -> DiagnosticRenderer.text(r.diagnostics(), Map.of("ok.hujson", r.source())))
        .isEmpty();
    assertThat(r.policy()).isPresent();
  }
}
