package dev.tessera.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every invalid-policy rule, one row each: the HuJSON text with a ⟦ marker before each offending
 * token, and the exact code and message expected there. Line and column come from the markers. Each
 * row must produce exactly these diagnostics, nothing more (so a check never fires twice and never
 * cascades unexpectedly).
 */
class InvalidPolicyTest {
  private static final String SRC = "\"src\": [\"*\"]";

  static Stream<Arguments> cases() {
    return Stream.of(
        // ---- syntax
        row(
            "unterminated object",
            "{\"acls\": [] ⟦",
            "syntax: unexpected end of input: expected '}' to close the object opened at line 1, column 1"),
        row(
            "single quotes are not HuJSON",
            "{⟦'acls': []}",
            "syntax: expected a key in double quotes, found '''"),
        row("not an object", "⟦[1, 2]", "type: a policy must be an object, not an array"),
        row("empty file", "⟦", "syntax: the file is empty; a policy is an object such as {}"),
        row("trailing garbage", "{} ⟦{}", "syntax: unexpected content after the end of the policy"),
        // ---- keys
        row(
            "unknown top-level key with hint",
            "{⟦\"acl\": []}",
            "unknown-key: unknown key \"acl\" in policy"),
        row(
            "unknown acl key",
            "{\"acls\": [{\"action\": \"accept\", "
                + SRC
                + ", \"dst\": [\"*:*\"], ⟦\"prot\": \"tcp\"}]}",
            "unknown-key: unknown key \"prot\" in acl"),
        row(
            "duplicate top-level key",
            "{\"acls\": [],\n ⟦\"acls\": []}",
            "duplicate-key: duplicate key \"acls\" (first defined at line 1)"),
        row(
            "duplicate group",
            "{\"groups\": {\"group:a\": [], ⟦\"group:a\": []}}",
            "duplicate-key: duplicate key \"group:a\" (first defined at line 1)"),
        row(
            "same key in two spellings",
            "{\"acls\": [], ⟦⟦\"ACLs\": []}",
            // same position: errors sort before warnings
            "duplicate-key: duplicate key \"ACLs\": \"acls\" is already set at line 1",
            "warning key-case: key \"ACLs\" is spelled \"acls\" in Tailscale's documentation"),
        row(
            "key case is a warning",
            "{⟦\"Groups\": {}}",
            "warning key-case: key \"Groups\" is spelled \"groups\" in Tailscale's documentation"),
        row(
            "legacy users/ports",
            "{\"acls\": [{\"action\": \"accept\", ⟦\"users\": [\"*\"], ⟦\"ports\": [\"*:*\"]}]}",
            "warning legacy-key: legacy key \"users\" in acl means \"src\"",
            "warning legacy-key: legacy key \"ports\" in acl means \"dst\""),
        // ---- structure
        row(
            "src must be an array",
            "{\"acls\": [{\"action\": \"accept\", \"src\": ⟦\"*\", \"dst\": [\"*:*\"]}]}",
            "schema: acls[0].src must be an array, not a string"),
        row(
            "missing dst",
            "{\"acls\": [⟦{\"action\": \"accept\", " + SRC + "}]}",
            "schema: acls[0] is missing the required key \"dst\""),
        row(
            "boolean setting",
            "{\"randomizeClientPort\": ⟦1}",
            "schema: randomizeClientPort must be a boolean, not a number"),
        // ---- names
        row(
            "group without prefix",
            "{\"groups\": {⟦\"eng\": []}}",
            "invalid-name: group name \"eng\" must start with \"group:\""),
        row(
            "tag owner without prefix",
            "{\"tagOwners\": {⟦\"web\": []}}",
            "invalid-name: tag name \"web\" must start with \"tag:\""),
        row(
            "bad host name",
            "{\"hosts\": {⟦\"my host\": \"10.0.0.1\"}}",
            "invalid-name: invalid host name \"my host\""),
        // ---- actions
        row(
            "deny",
            "{\"acls\": [{\"action\": ⟦\"deny\", " + SRC + ", \"dst\": [\"*:*\"]}]}",
            "invalid-action: action=\"deny\" is not supported"),
        row(
            "unknown action",
            "{\"acls\": [{\"action\": ⟦\"allow\", " + SRC + ", \"dst\": [\"*:*\"]}]}",
            "invalid-action: unknown action \"allow\""),
        // ---- selectors and references
        row(
            "undefined group",
            "{\"groups\": {\"group:eng\": []}, \"acls\": [{\"action\": \"accept\", \"src\": [⟦\"group:engg\"], \"dst\": [\"*:*\"]}]}",
            "undefined-group: group:engg is not defined in \"groups\""),
        row(
            "undefined tag",
            "{\"acls\": [{\"action\": \"accept\", " + SRC + ", \"dst\": [\"⟦tag:web:80\"]}]}",
            "undefined-tag: tag not found: \"tag:web\""),
        row(
            "undefined host",
            "{\"acls\": [{\"action\": \"accept\", " + SRC + ", \"dst\": [\"⟦db:5432\"]}]}",
            "undefined-host: host \"db\" is not defined in \"hosts\""),
        row(
            "undefined ipset",
            "{\"grants\": [{\"src\": [⟦\"ipset:x\"], \"dst\": [\"*\"], \"ip\": [\"*\"]}]}",
            "undefined-ipset: ipset:x is not defined in \"ipsets\""),
        row(
            "undefined posture",
            "{\"acls\": [{\"action\": \"accept\", "
                + SRC
                + ", \"dst\": [\"*:*\"], \"srcPosture\": [⟦\"posture:x\"]}]}",
            "undefined-posture: posture:x is not defined in \"postures\""),
        row(
            "undefined default posture",
            "{\"defaultSrcPosture\": [⟦\"posture:x\"]}",
            "undefined-posture: posture:x is not defined in \"postures\""),
        row(
            "tag owner refers to undefined group",
            "{\"tagOwners\": {\"tag:a\": [⟦\"group:x\"]}}",
            "undefined-group: group:x is not defined in \"groups\""),
        row(
            "unknown autogroup",
            "{\"acls\": [{\"action\": \"accept\", \"src\": [⟦\"autogroup:memebers\"], \"dst\": [\"*:*\"]}]}",
            "unknown-autogroup: unknown autogroup \"autogroup:memebers\""),
        row(
            "legacy and current member names mixed",
            "{\"acls\": [{\"action\": \"accept\", \"src\": [\"autogroup:member\"], \"dst\": [\"*:*\"]}],"
                + " \"nodeAttrs\": [{\"target\": [⟦\"autogroup:members\"], \"attr\": [\"funnel\"]}]}",
            "mixed-member-names: autogroup:member and autogroup:members are both used: autogroup:members is the legacy"
                + " name of autogroup:member, and a policy may use only one of them"),
        row(
            "service as a source",
            "{\"grants\": [{\"src\": [⟦\"svc:web\"], \"dst\": [\"*\"], \"ip\": [\"*\"]}]}",
            "invalid-source: \"svc:web\" not valid on the src side of a rule"),
        row(
            "bad service name",
            "{\"grants\": [{\"src\": [\"*\"], \"dst\": [⟦\"svc:Web_1\"], \"ip\": [\"*\"]}]}",
            "invalid-selector: invalid service name in \"svc:Web_1\""),
        row(
            "service approver key that is a group",
            "{\"autoApprovers\": {\"services\": {⟦\"group:x\": [\"tag:a\"]}}, \"tagOwners\": {\"tag:a\": []}}",
            "invalid-selector: autoApprovers.services key \"group:x\" is not a service or a tag"),
        row(
            "posture as a target",
            "{\"acls\": [{\"action\": \"accept\", \"src\": [⟦\"posture:x\"], \"dst\": [\"*:*\"]}]}",
            "invalid-selector: \"posture:x\" is a posture, not a target"),
        row(
            "bad user selector",
            "{\"grants\": [{\"src\": [⟦\"user:bob\"], \"dst\": [\"*\"], \"ip\": [\"*\"]}]}",
            "invalid-selector: invalid user selector \"user:bob\""),
        // ---- groups
        row(
            "recursive group",
            "{\"groups\": {\"group:a\": [\"x@y.z\"], \"group:b\": [⟦\"group:a\"]}}",
            "recursive-group: group members cannot be recursive: group:b contains group:a"),
        row(
            "tag in group",
            "{\"tagOwners\": {\"tag:t\": []}, \"groups\": {\"group:b\": [⟦\"tag:t\"]}}",
            "invalid-member: group:b member \"tag:t\" is not a user"),
        // ---- IPs
        row(
            "bad host IP",
            "{\"hosts\": {\"db\": ⟦\"10.0.0.256\"}}",
            "invalid-ip: invalid IP address or CIDR \"10.0.0.256\""),
        row(
            "bad CIDR bits",
            "{\"hosts\": {\"net\": ⟦\"10.0.0.0/33\"}}",
            "invalid-ip: invalid IP address or CIDR \"10.0.0.0/33\""),
        row(
            "bad IP in dst",
            "{\"acls\": [{\"action\": \"accept\", " + SRC + ", \"dst\": [\"⟦1.2.3:22\"]}]}",
            "invalid-ip: invalid IP address or CIDR \"1.2.3\""),
        row(
            "bad route",
            "{\"autoApprovers\": {\"routes\": {⟦\"10.0.0.0/40\": []}}}",
            "invalid-ip: invalid IP address or CIDR \"10.0.0.0/40\""),
        row(
            "reversed range",
            "{\"ipsets\": {\"ipset:a\": [\"add ⟦10.0.0.9-10.0.0.1\"]}}",
            "invalid-ip: invalid IP range \"10.0.0.9-10.0.0.1\""),
        // ---- ports
        row(
            "port 0",
            "{\"acls\": [{\"action\": \"accept\", " + SRC + ", \"dst\": [\"*:⟦0\"]}]}",
            "invalid-port: port 0 is not allowed"),
        row(
            "port too big",
            "{\"acls\": [{\"action\": \"accept\", " + SRC + ", \"dst\": [\"*:22,⟦65536\"]}]}",
            "invalid-port: port 65536 is out of range (1-65535)"),
        row(
            "reversed ports",
            "{\"acls\": [{\"action\": \"accept\", " + SRC + ", \"dst\": [\"*:⟦90-80\"]}]}",
            "invalid-port: port range 90-80 is reversed"),
        row(
            "port not a number",
            "{\"acls\": [{\"action\": \"accept\", " + SRC + ", \"dst\": [\"*:⟦ssh\"]}]}",
            "invalid-port: invalid port \"ssh\": not a number"),
        row(
            "empty port in list",
            "{\"acls\": [{\"action\": \"accept\", " + SRC + ", \"dst\": [\"*:22,⟦\"]}]}",
            "invalid-port: empty port in port list"),
        row(
            "dst without port",
            "{\"tagOwners\": {\"tag:web\": []}, \"acls\": [{\"action\": \"accept\", "
                + SRC
                + ", \"dst\": [⟦\"tag:web\"]}]}",
            "invalid-destination: destination \"tag:web\" has no port"),
        row(
            "self without port",
            "{\"acls\": [{\"action\": \"accept\", " + SRC + ", \"dst\": [⟦\"autogroup:self\"]}]}",
            "invalid-destination: destination \"autogroup:self\" has no port"),
        // ---- protocols
        row(
            "unknown proto",
            "{\"acls\": [{\"action\": \"accept\", "
                + SRC
                + ", \"dst\": [\"*:*\"], \"proto\": ⟦\"tpc\"}]}",
            "invalid-proto: unknown protocol \"tpc\""),
        row(
            "proto star",
            "{\"acls\": [{\"action\": \"accept\", "
                + SRC
                + ", \"dst\": [\"*:*\"], \"proto\": ⟦\"*\"}]}",
            "invalid-proto: proto \"*\" is not allowed"),
        row(
            "proto number out of range",
            "{\"acls\": [{\"action\": \"accept\", "
                + SRC
                + ", \"dst\": [\"*:*\"], \"proto\": ⟦\"256\"}]}",
            "invalid-proto: invalid protocol number \"256\""),
        row(
            "proto leading zero",
            "{\"acls\": [{\"action\": \"accept\", "
                + SRC
                + ", \"dst\": [\"*:*\"], \"proto\": ⟦\"06\"}]}",
            "invalid-proto: invalid protocol number \"06\""),
        row(
            "ports on icmp",
            "{\"acls\": [{\"action\": \"accept\", "
                + SRC
                + ", \"dst\": [⟦\"*:22\"], \"proto\": \"icmp\"}]}",
            "ports-not-supported: protocol icmp does not support specific ports"),
        // ---- autogroups in rules
        row(
            "self as source",
            "{\"acls\": [{\"action\": \"accept\", \"src\": [⟦\"autogroup:self\"], \"dst\": [\"*:*\"]}]}",
            "self-as-source: \"autogroup:self\" not valid on the src side of a rule"),
        row(
            "self with tag source",
            "{\"tagOwners\": {\"tag:a\": []}, \"acls\": [{\"action\": \"accept\", \"src\": [\"autogroup:member\", ⟦\"tag:a\"], \"dst\": [\"autogroup:self:*\"]}]}",
            "self-with-non-user-source: autogroup:self can only be used with users, groups, or supported autogroups"),
        row(
            "self with IP source",
            "{\"grants\": [{\"src\": [⟦\"10.0.0.1\"], \"dst\": [\"autogroup:self\"], \"ip\": [\"*\"]}]}",
            "self-with-non-user-source: autogroup:self can only be used with users, groups, or supported autogroups"),
        row(
            "self with tagged source",
            "{\"grants\": [{\"src\": [⟦\"autogroup:tagged\"], \"dst\": [\"autogroup:self\"], \"ip\": [\"*\"]}]}",
            "self-with-non-user-source: autogroup:self can only be used with users, groups, or supported autogroups"),
        row(
            "danger-all as destination",
            "{\"acls\": [{\"action\": \"accept\", "
                + SRC
                + ", \"dst\": [\"⟦autogroup:danger-all:*\"]}]}",
            "danger-all-as-destination: cannot use autogroup:danger-all as a dst"),
        row(
            "internet as source",
            "{\"acls\": [{\"action\": \"accept\", \"src\": [⟦\"autogroup:internet\"], \"dst\": [\"*:*\"]}]}",
            "invalid-source: \"autogroup:internet\" not valid on the src side of a rule"),
        row(
            "shared as destination",
            "{\"grants\": [{\"src\": [\"*\"], \"dst\": [⟦\"autogroup:shared\"], \"ip\": [\"*\"]}]}",
            "invalid-destination: \"autogroup:shared\" not valid on the dst side of a rule"),
        // ---- grants
        row(
            "grant without ip or app",
            "{\"grants\": [⟦{\"src\": [\"*\"], \"dst\": [\"*\"]}]}",
            "grant-empty-ip-app: ip and app can not both be empty"),
        row(
            "grant to 0.0.0.0/0",
            "{\"grants\": [{\"src\": [\"*\"], \"dst\": [⟦\"0.0.0.0/0\"], \"ip\": [\"*\"]}]}",
            "grant-default-route-dst: grant destination 0.0.0.0/0 is not allowed"),
        row(
            "grant to ::/0",
            "{\"grants\": [{\"src\": [\"*\"], \"dst\": [⟦\"::/0\"], \"ip\": [\"*\"]}]}",
            "grant-default-route-dst: grant destination ::/0 is not allowed"),
        row(
            "bare icmp in ip",
            "{\"grants\": [{\"src\": [\"*\"], \"dst\": [\"*\"], \"ip\": [⟦\"icmp\"]}]}",
            "invalid-port: \"icmp\" needs a port"),
        row(
            "ports on icmp in ip",
            "{\"grants\": [{\"src\": [\"*\"], \"dst\": [\"*\"], \"ip\": [⟦\"icmp:8\"]}]}",
            "ports-not-supported: protocol icmp does not support specific ports"),
        row(
            "unknown proto in ip",
            "{\"grants\": [{\"src\": [\"*\"], \"dst\": [\"*\"], \"ip\": [\"⟦tcpp:443\"]}]}",
            "invalid-proto: unknown protocol \"tcpp\""),
        row(
            "grant dst with a port",
            "{\"tagOwners\": {\"tag:web\": []}, \"grants\": [{\"src\": [\"*\"], \"dst\": [⟦\"tag:web:443\"], \"ip\": [\"*\"]}]}",
            "invalid-destination: grant destinations have no ports: \"tag:web:443\""),
        row(
            "via a group",
            "{\"groups\": {\"group:g\": []}, \"grants\": [{\"src\": [\"*\"], \"dst\": [\"*\"], \"ip\": [\"*\"], \"via\": [⟦\"group:g\"]}]}",
            "invalid-via: via accepts only tags, not \"group:g\""),
        // ---- postures
        row(
            "unknown posture operator",
            "{\"postures\": {\"posture:p\": [\"node:os ⟦=~ 'mac'\"]}}",
            "unknown-posture-operator: unknown posture operator \"=~\""),
        row(
            "lower-case operator",
            "{\"postures\": {\"posture:p\": [\"node:os ⟦in ['macos']\"]}}",
            "unknown-posture-operator: unknown posture operator \"in\""),
        row(
            "posture attribute without namespace",
            "{\"postures\": {\"posture:p\": [\"⟦os == 'macos'\"]}}",
            "invalid-posture: invalid posture attribute \"os\""),
        row(
            "posture IN without list",
            "{\"postures\": {\"posture:p\": [\"node:os ⟦IN 'macos'\"]}}",
            "invalid-posture: IN needs a list of values"),
        row(
            "posture trailing text",
            "{\"postures\": {\"posture:p\": [\"node:os IS SET ⟦and more\"]}}",
            "invalid-posture: unexpected \"and more\" after the posture condition"),
        row(
            "posture unterminated string",
            "{\"postures\": {\"posture:p\": [\"node:os == ⟦'macos\"]}}",
            "invalid-posture: unterminated string in posture condition"),
        row(
            "posture unquoted version",
            "{\"postures\": {\"posture:p\": [\"node:tsVersion >= ⟦1.60.0\"]}}",
            "invalid-posture: unquoted version \"1.60.0\""),
        row(
            "posture name without prefix",
            "{\"postures\": {⟦\"managed\": []}}",
            "invalid-name: posture name \"managed\" must start with \"posture:\""),
        row(
            "bad posture reference",
            "{\"defaultSrcPosture\": [⟦\"managed\"]}",
            "invalid-posture: invalid posture reference \"managed\""),
        // ---- ipsets
        row(
            "ipset with a tag",
            "{\"tagOwners\": {\"tag:t\": []}, \"ipsets\": {\"ipset:a\": [\"add ⟦tag:t\"]}}",
            "invalid-ipset-element: ipset:a cannot contain \"tag:t\""),
        row(
            "ipset cycle",
            "{\"ipsets\": {\"ipset:a\": [\"add ipset:b\"], \"ipset:b\": [\"add ⟦ipset:a\"]}}",
            "recursive-ipset: ipsets cannot refer to themselves: ipset:a -> ipset:b -> ipset:a"),
        row(
            "ipset implicit add with remove",
            "{\"ipsets\": {\"ipset:a\": [⟦\"10.0.0.0/8\", \"remove 10.1.0.0/16\"]}}",
            "invalid-ipset-element: \"10.0.0.0/8\" needs an operation: this ipset removes, so every entry says add or remove"),
        row(
            "ipset bad operation",
            "{\"ipsets\": {\"ipset:a\": [⟦\"include 10.0.0.0/8\"]}}",
            "invalid-ipset-element: invalid ipset operation \"include 10.0.0.0/8\""),
        // ---- Tailscale SaaS verdicts (headscale captures)
        row(
            "grant wildcard source with self",
            "{\"grants\": [{\"src\": [⟦\"*\"], \"dst\": [\"autogroup:self\"], \"ip\": [\"*\"]}]}",
            "self-with-non-user-source: autogroup:self can only be used with users, groups, or supported autogroups"),
        row(
            "app grant to internet",
            "{\"grants\": [{\"src\": [\"*\"], \"dst\": [⟦\"autogroup:internet\"], \"app\": {\"example.com/cap/x\": [{}]}}]}",
            "invalid-destination: cannot use app grants with autogroup:internet"),
        row(
            "capability with a scheme",
            "{\"grants\": [{\"src\": [\"*\"], \"dst\": [\"*\"], \"app\": {⟦\"https://example.com/cap/x\": [{}]}}]}",
            "invalid-capability: capability name must have the form {domain}/{path}"),
        row(
            "reserved tailscale.com capability",
            "{\"grants\": [{\"src\": [\"*\"], \"dst\": [\"*\"], \"app\": {⟦\"tailscale.com/cap/funnel\": [{}]}}]}",
            "invalid-capability: capability name must not be in the tailscale.com domain"),
        row(
            "ssh check period not a duration",
            "{\"ssh\": [{\"action\": \"check\", \"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:self\"], \"users\": [\"root\"], \"checkPeriod\": ⟦\"abc\"}]}",
            "invalid-ssh: time: invalid duration \"abc\""),
        row(
            "ssh check period negative",
            "{\"ssh\": [{\"action\": \"check\", \"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:self\"], \"users\": [\"root\"], \"checkPeriod\": ⟦\"-1m\"}]}",
            "invalid-ssh: checkPeriod -1m0s must be a positive duration"),
        row(
            "ssh check period too long",
            "{\"ssh\": [{\"action\": \"check\", \"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:self\"], \"users\": [\"root\"], \"checkPeriod\": ⟦\"200h\"}]}",
            "invalid-ssh: checkPeriod 200h0m0s is above the max (168h)"),
        row(
            "ssh check period just too long",
            "{\"ssh\": [{\"action\": \"check\", \"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:self\"], \"users\": [\"root\"], \"checkPeriod\": ⟦\"168h0m1s\"}]}",
            "invalid-ssh: checkPeriod 168h0m1s is above the max (168h)"),
        row(
            "ssh user wildcard",
            "{\"ssh\": [{\"action\": \"accept\", \"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:self\"], \"users\": [\"root\", ⟦\"*\"]}]}",
            "invalid-ssh: user \"*\" is not valid"),
        row(
            "ssh empty action",
            "{\"ssh\": [{\"action\": ⟦\"\", \"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:self\"], \"users\": [\"root\"]}]}",
            "invalid-action: action must be specified"),
        row(
            "ssh upper-case action",
            "{\"ssh\": [{\"action\": ⟦\"Accept\", \"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:self\"], \"users\": [\"root\"]}]}",
            "invalid-action: \"Accept\" is not a valid action"),
        row(
            "ssh whitespace is trimmed with a warning",
            "{\"tagOwners\": {\"tag:s\": []}, \"ssh\": [{\"action\": ⟦\" accept\", \"src\": [⟦\" a@b.c\"], \"dst\": [⟦\"tag:s \"], \"users\": [⟦\"\\troot\"]}]}",
            "warning whitespace: surrounding whitespace in \" accept\" is ignored",
            "warning whitespace: surrounding whitespace in \" a@b.c\" is ignored",
            "warning whitespace: surrounding whitespace in \"tag:s \" is ignored",
            "warning whitespace: surrounding whitespace in \"\\troot\" is ignored"),
        row(
            "ssh empty acceptEnv",
            "{\"ssh\": [{\"action\": \"accept\", \"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:self\"], \"users\": [\"root\"], \"acceptEnv\": [⟦\"\"]}]}",
            "invalid-ssh: acceptEnv values cannot be empty"),
        row(
            "ssh host as dst",
            "{\"hosts\": {\"srv\": \"10.0.0.1\"}, \"ssh\": [{\"action\": \"accept\", \"src\": [\"autogroup:member\"], \"dst\": [⟦\"srv\"], \"users\": [\"root\"]}]}",
            "invalid-ssh: invalid dst \"srv\""),
        row(
            "sshTests CIDR dst",
            "{\"sshTests\": [⟦{\"src\": \"a@b.c\", \"dst\": [\"100.64.0.0/24\"], \"accept\": [\"root\"]}]}",
            "invalid-ssh-test: SSH tests dst contains disallowed element \"100.64.0.0/24\""),
        row(
            "sshTests dst with port",
            "{\"tagOwners\": {\"tag:server\": []}, \"sshTests\": [⟦{\"src\": \"a@b.c\", \"dst\": [\"tag:server:22\"], \"accept\": [\"root\"]}]}",
            "invalid-ssh-test: SSH tests dst contains unknown tag \"tag:server:22\""),
        row(
            "tag name must start with an ASCII letter",
            "{\"tagOwners\": {⟦\"tag:сервер\": []}}",
            "invalid-name: tagOwners[\"tag:сервер\"]: tag names must start with a letter, after 'tag:'"),
        row(
            "reserved ipPool",
            "{\"nodeAttrs\": [⟦{\"target\": [\"*\"], \"ipPool\": [\"100.100.100.0/24\"]}]}",
            "invalid-ip: IPPool(100.100.100.0/24): network within reserved range"),
        row(
            "ipPool inside the reserved range",
            "{\"nodeAttrs\": [⟦{\"target\": [\"*\"], \"ipPool\": [\"100.100.100.128/25\"]}]}",
            "invalid-ip: IPPool(100.100.100.128/25): network within reserved range"),
        row(
            "self as nodeAttrs target",
            "{\"nodeAttrs\": [{\"target\": [⟦\"autogroup:self\"], \"attr\": [\"x\"]}]}",
            "invalid-selector: autogroup:self is not a valid nodeAttrs target"),
        // ---- others
        row(
            "approver that is a host",
            "{\"hosts\": {\"h\": \"10.0.0.1\"}, \"autoApprovers\": {\"exitNode\": [⟦\"h\"]}}",
            "invalid-approver: \"h\" cannot be an auto-approver"),
        row(
            "ssh without users",
            "{\"ssh\": [⟦{\"action\": \"accept\", \"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:self\"], \"users\": []}]}",
            "invalid-ssh: ssh rule needs at least one user"),
        row(
            "ssh without a users key: one diagnostic",
            "{\"ssh\": [⟦{\"action\": \"check\", \"src\": [\"a@b.c\"], \"dst\": [\"autogroup:self\"]}]}",
            "invalid-ssh: ssh rule needs at least one user"),
        row(
            "ssh to *",
            "{\"ssh\": [{\"action\": \"accept\", \"src\": [\"a@b.c\"], \"dst\": [⟦\"*\"], \"users\": [\"root\"]}]}",
            "invalid-ssh: You cannot specify `*` as the destination"),
        row(
            "ssh to a host alias: one diagnostic",
            "{\"ssh\": [{\"action\": \"accept\", \"src\": [\"a@b.c\"], \"dst\": [⟦\"octopi\"], \"users\": [\"root\"]}]}",
            "invalid-ssh: invalid dst \"octopi\""),
        row(
            "ssh recorder that is not a tag",
            "{\"ssh\": [{\"action\": \"accept\", \"src\": [\"a@b.c\"], \"dst\": [\"autogroup:self\"], \"users\": [\"root\"], \"recorder\": [⟦\"a@b.c\"]}]}",
            "invalid-ssh: recorder \"a@b.c\" is not a tag"),
        row(
            "ssh recorder tag undefined",
            "{\"ssh\": [{\"action\": \"accept\", \"src\": [\"a@b.c\"], \"dst\": [\"autogroup:self\"], \"users\": [\"root\"], \"recorder\": [⟦\"tag:rec\"], \"enforceRecorder\": true}]}",
            "undefined-tag: tag not found: \"tag:rec\""),
        row(
            "ssh bad action",
            "{\"ssh\": [{\"action\": ⟦\"allow\", \"src\": [⟦\"group:x\"], \"dst\": [\"autogroup:self\"], \"users\": [\"root\"]}]}",
            "invalid-action: \"allow\" is not a valid action",
            "undefined-group: group:x is not defined in \"groups\""),
        row(
            "test with nothing to check",
            "{\"tests\": [⟦{\"src\": \"a@b.c\"}]}",
            "warning invalid-test: test from \"a@b.c\" checks nothing"),
        row(
            "test proto unknown",
            "{\"tests\": [{\"src\": \"a@b.c\", \"proto\": ⟦\"tcpx\", \"accept\": [\"1.2.3.4:80\"]}]}",
            "invalid-proto: unknown protocol \"tcpx\""),
        row(
            "all problems of a dropped rule are reported",
            "{\"acls\": [{\"action\": ⟦\"deny\", \"src\": [⟦\"group:nope\"], \"dst\": [\"⟦autogroup:danger-all:*\"]}]}",
            "invalid-action: action=\"deny\" is not supported",
            "undefined-group: group:nope is not defined in \"groups\"",
            "danger-all-as-destination: cannot use autogroup:danger-all as a dst"),
        row(
            "multi-line positions",
            "{\n  \"acls\": [\n    {\"action\": \"accept\",\n     \"src\": [⟦\"group:x\"],\n     \"dst\": [\"*:⟦0\"]},\n  ],\n}",
            "undefined-group: group:x is not defined in \"groups\"",
            "invalid-port: port 0 is not allowed"));
  }

  private static Arguments row(String name, String marked, String... expected) {
    return Arguments.of(name, marked, List.of(expected));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void reportsExactly(String name, String marked, List<String> expected) {
    Marked m = Marked.of(marked);
    PolicyResult r = Policies.read("t.hujson", m.text(), Syntax.HUJSON);
    assertThat(Marked.actual(r.diagnostics()))
        .as(name)
        .containsExactlyElementsOf(m.expect(expected));
    boolean anyError = expected.stream().anyMatch(e -> !e.startsWith("warning "));
    assertThat(r.ok()).as("ok()").isEqualTo(!anyError);
    assertThat(r.policy().isPresent()).isEqualTo(!anyError);
  }
}
