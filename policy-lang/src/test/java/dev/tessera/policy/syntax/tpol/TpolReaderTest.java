package dev.tessera.policy.syntax.tpol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.policy.Policies;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.Comment;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.SourceText;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Table tests of the DSL reader. Valid cases state their meaning as the equivalent HuJSON: both are
 * read and must give equal ASTs without errors. Invalid cases state the exact diagnostic (code,
 * message, line, column) of the first error.
 */
class TpolReaderTest {

  private static Policy readOk(String text, Syntax s) {
    Diagnostics d = new Diagnostics();
    Policy p = Policies.reader(s).orElseThrow().read(new SourceText("t", text), d);
    assertThat(d.sorted().stream().filter(Diagnostic::isError).toList())
        .as("errors reading %s", text)
        .isEmpty();
    return p;
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      textBlock =
          """
      group eng = alice@acme.com, bob@acme.com        | {"groups": {"group:eng": ["alice@acme.com", "bob@acme.com"]}}
      group group:eng = [alice@acme.com]              | {"groups": {"group:eng": ["alice@acme.com"]}}
      group "eng" = []                                | {"groups": {"group:eng": []}}
      tag web owned by group:eng, autogroup:admin     | {"tagOwners": {"tag:web": ["group:eng", "autogroup:admin"]}}
      tag web                                         | {"tagOwners": {"tag:web": []}}
      host prod-db = 10.20.0.5                        | {"hosts": {"prod-db": "10.20.0.5"}}
      host "test" = fd7a:115c:a1e0::/48               | {"hosts": {"test": "fd7a:115c:a1e0::/48"}}
      ipset prod = 10.0.0.0/8, 192.168.1.1-192.168.1.9 | {"ipsets": {"ipset:prod": ["10.0.0.0/8", "192.168.1.1-192.168.1.9"]}}
      ipset prod = add 10.0.0.0/8, remove 10.1.0.0/16 | {"ipsets": {"ipset:prod": ["add 10.0.0.0/8", "remove 10.1.0.0/16"]}}
      posture mac = node:os == "macos" and node:tsVersion >= "1.60" | {"postures": {"posture:mac": ["node:os == 'macos'", "node:tsVersion >= '1.60'"]}}
      posture p = node:os IN ("macos", 'linux') and custom:x IS SET | {"postures": {"posture:p": ["node:os IN ['macos', 'linux']", "custom:x IS SET"]}}
      posture p = node:os not in [macos] and custom:n > -3 and custom:b != true | {"postures": {"posture:p": ["node:os NOT IN ['macos']", "custom:n > -3", "custom:b != true"]}}
      posture p = custom:x NOT SET and custom:v <= 1.5 | {"postures": {"posture:p": ["custom:x NOT SET", "custom:v <= 1.5"]}}
      default posture mac, posture:other               | {"defaultSrcPosture": ["posture:mac", "posture:other"]}
      allow group:eng -> tag:web:80,443 proto tcp      | {"acls": [{"action": "accept", "src": ["group:eng"], "dst": ["tag:web:80,443"], "proto": "tcp"}]}
      allow group:ops -> prod-db:5432 when recent-mac | {"acls": [{"action": "accept", "src": ["group:ops"], "dst": ["prod-db:5432"], "srcPosture": ["posture:recent-mac"]}]}
      allow autogroup:member -> autogroup:self:*       | {"acls": [{"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]}]}
      allow a@b.c->tag:x:22 allow b@b.c->c:1           | {"acls": [{"action": "accept", "src": ["a@b.c"], "dst": ["tag:x:22"]}, {"action": "accept", "src": ["b@b.c"], "dst": ["c:1"]}]}
      allow * -> [fd7a::1]:22, fd7a::2:80-90, 10.0.0.0/8:*// c | {"acls": [{"action": "accept", "src": ["*"], "dst": ["[fd7a::1]:22", "fd7a::2:80-90", "10.0.0.0/8:*"]}]}
      allow * -> *:* proto 47                          | {"acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"], "proto": "47"}]}
      grant group:eng -> tag:web ip tcp:443, udp:53, 80 | {"grants": [{"src": ["group:eng"], "dst": ["tag:web"], "ip": ["tcp:443", "udp:53", "80"]}]}
      grant * -> tag:r app {"cap/x": [{"k": [1, 2.50]}]} via tag:a when p | {"grants": [{"src": ["*"], "dst": ["tag:r"], "app": {"cap/x": [{"k": [1, 2.50]}]}, "via": ["tag:a"], "srcPosture": ["posture:p"]}]}
      approve route 10.0.0.0/8 by tag:r approve exit-node by tag:e, group:x | {"autoApprovers": {"routes": {"10.0.0.0/8": ["tag:r"]}, "exitNode": ["tag:e", "group:x"]}}
      approve exit-node by tag:a approve exit-node by tag:b | {"autoApprovers": {"exitNode": ["tag:a", "tag:b"]}}
      ssh check group:eng -> tag:prod as root, autogroup:nonroot period 12h env GIT_* when p | {"ssh": [{"action": "check", "src": ["group:eng"], "dst": ["tag:prod"], "users": ["root", "autogroup:nonroot"], "checkPeriod": "12h", "acceptEnv": ["GIT_*"], "srcPosture": ["posture:p"]}]}
      attr [] for tag:r pool 100.100.0.0/16, fd7a::/64 | {"nodeAttrs": [{"target": ["tag:r"], "ipPool": ["100.100.0.0/16", "fd7a::/64"]}]}
      attr funnel, "drive:share" for tag:web app {"tailscale.com/cap/drive": []} | {"nodeAttrs": [{"target": ["tag:web"], "attr": ["funnel", "drive:share"], "app": {"tailscale.com/cap/drive": []}}]}
      test alice@acme.com can reach tag:web:443 cannot reach prod-db:5432 | {"tests": [{"src": "alice@acme.com", "accept": ["tag:web:443"], "deny": ["prod-db:5432"]}]}
      test tag:ci proto udp cannot reach 100.64.0.1:53 | {"tests": [{"src": "tag:ci", "proto": "udp", "deny": ["100.64.0.1:53"]}]}
      ssh test alice@acme.com -> tag:prod accept root check admin deny bob | {"sshTests": [{"src": "alice@acme.com", "dst": ["tag:prod"], "accept": ["root"], "check": ["admin"], "deny": ["bob"]}]}
      derp {"OmitDefaultRegions": true, "Regions": {"900": {"RegionID": 900}}} | {"derpMap": {"OmitDefaultRegions": true, "Regions": {"900": {"RegionID": 900}}}}
      set disableIPv4 = true set randomizeClientPort = false | {"disableIPv4": true, "randomizeClientPort": false}
      empty acls, grants, autoApprovers                | {"acls": [], "grants": [], "autoApprovers": {}}
      ``                                               | {}
      """)
  void validMeansTheSameAsHujson(String tpol, String hujson) {
    assertThat(readOk(tpol, Syntax.TPOL)).isEqualTo(readOk(hujson, Syntax.HUJSON));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      textBlock =
          """
      alow group:eng -> tag:web:80            | syntax | expected a statement, found 'alow' | 1 | 1
      allow group:eng tag:web:80              | syntax | unexpected 'tag:web:80', expected '->' | 1 | 17
      allow group:eng ->                      | syntax | unexpected end of file, expected a value or '[' | 1 | 19
      allow group:eng -> tag:web              | invalid-destination | destination "tag:web" has no port | 1 | 20
      allow group:eng -> tag:web:0            | invalid-port | port 0 is not allowed | 1 | 28
      allow group:eng -> tag:web:80-22        | invalid-port | port range 80-22 is reversed | 1 | 28
      allow group:eng -> tag:web:80 proto tpc | invalid-proto | unknown protocol "tpc" | 1 | 37
      allow group:eng -> tag:web:80 proto icmp | ports-not-supported | protocol icmp does not support specific ports | 1 | 20
      allow group:eng -> tag:web:80 ip tcp:443 | unknown-key | 'ip' is not allowed in an allow rule | 1 | 31
      allow a -> b:1 proto tcp proto udp      | duplicate-key | 'proto' given twice in one statement | 1 | 26
      deny group:eng -> tag:web:80            | invalid-action | action="deny" is not supported | 1 | 1
      allow group:eng -> tag:web:80 }         | syntax | unexpected character '}' | 1 | 31
      allow group:eng -> tag:web:80 /* open   | syntax | unterminated block comment: no closing */ | 1 | 31
      allow "a\\qb" -> tag:web:80             | syntax | invalid escape "\\q" in string | 1 | 9
      group eng alice@acme.com                | syntax | unexpected 'alice@acme.com', expected '=' | 1 | 11
      group eng = alice@acme.com,             | syntax | unexpected end of file, expected a value | 1 | 28
      `group eng = a@b.c\ngroup eng = b@b.c`  | duplicate-key | group eng is defined twice (first at line 1) | 2 | 7
      group e$g = a@b.c                       | syntax | unexpected character '$' | 1 | 8
      group e.g! = a@b.c                      | syntax | unexpected character '!' | 1 | 10
      group "e g" = a@b.c                     | invalid-name | invalid group name "e g" | 1 | 7
      tag 1.60 owned by a@b.c                 | invalid-name | tagOwners["tag:1.60"]: tag names must start with a letter, after 'tag:' | 1 | 5
      attr funnel for tag:x pool 10.0.0.0/33   | invalid-ip | invalid IP address or CIDR "10.0.0.0/33" | 1 | 28
      group eng = autogroup:foo               | unknown-autogroup | unknown autogroup "autogroup:foo" | 1 | 13
      host db = 10.0.0.256                    | invalid-ip | invalid IP address or CIDR "10.0.0.256" | 1 | 11
      host db = "10.0.0.1                     | syntax | unterminated string: no closing " on this line | 1 | 11
      posture p = node:os ~= "mac"            | unknown-posture-operator | unknown posture operator '~' | 1 | 21
      posture p = node:tsVersion >= 1.60.1    | invalid-posture | unquoted version "1.60.1" | 1 | 31
      posture p = os == "mac"                 | invalid-posture | invalid posture attribute "os" | 1 | 13
      grant a -> b app {"a": 1}               | type | app.a must be an array, not a number | 1 | 24
      grant a -> b ip icmp                    | invalid-port | "icmp" needs a port | 1 | 17
      `derp {\n  "a": 1,\n  "a": 2}`          | duplicate-key | duplicate key "a" (first defined at line 2) | 3 | 3
      derp {                                  | syntax | unterminated JSON block: no matching '}' | 1 | 6
      derp [1]                                | syntax | unexpected '[', expected a { JSON } block | 1 | 6
      set disableIPv4 = yes                   | type | disableIPv4 must be true or false, not "yes" | 1 | 19
      set foo = true                          | unknown-key | unknown setting "foo" | 1 | 5
      empty aclz                              | unknown-key | unknown section "aclz" | 1 | 7
      empty derpMap                           | syntax | derpMap is a value, not a list: it cannot be empty | 1 | 7
      ssh deny a -> b as root                 | invalid-action | unknown ssh action "deny" | 1 | 5
      ssh check a -> b as root period 12x     | invalid-ssh | time: invalid duration "12x" | 1 | 33
      test a@b.c can reach x:1 can reach y:2  | duplicate-key | 'can' given twice in one statement | 1 | 26
      approve route 10.0.0.0/33 by tag:x      | invalid-ip | invalid IP address or CIDR "10.0.0.0/33" | 1 | 15
      approve exit-node tag:x                 | syntax | unexpected 'tag:x', expected 'by' | 1 | 19
      attr funnel for tag:x proto tcp         | unknown-key | 'proto' is not allowed in an attr statement | 1 | 23
      """)
  void invalidGivesLocatedDiagnostic(String text, String code, String message, int line, int col) {
    String src = text.replace("\\n", "\n");
    Diagnostics d = new Diagnostics();
    new TpolReader().read(new SourceText("t.tpol", src), d);
    List<Diagnostic> errors = d.sorted().stream().filter(Diagnostic::isError).toList();
    assertThat(errors).as("errors for %s", src).isNotEmpty();
    Diagnostic first = errors.getFirst();
    assertThat(first.code()).isEqualTo(code);
    assertThat(first.message()).isEqualTo(message.replace("\\\\", "\\"));
    assertThat(first.span().file()).isEqualTo("t.tpol");
    assertThat(first.span().startLine()).as("line").isEqualTo(line);
    assertThat(first.span().startCol()).as("column").isEqualTo(col);
  }

  @Test
  void reportsEveryBadStatementAndKeepsTheGoodOnes() {
    String src =
        """
        group eng = alice@acme.com
        allow group:eng tag:web:80
        host db = 10.0.0.1
        allow group:eng -> tag:web:0
        allow group:eng -> db:22
        """;
    Diagnostics d = new Diagnostics();
    Policy p = new TpolReader().read(new SourceText("t.tpol", src), d);
    assertThat(d.sorted()).extracting(x -> x.span().startLine()).containsExactly(2, 4);
    assertThat(p.groups()).hasSize(1);
    assertThat(p.hosts()).hasSize(1);
    // As in the HuJSON reader, a bad destination is left out of its rule (the policy has errors,
    // so it is never compiled).
    assertThat(p.acls()).hasSize(2);
    assertThat(p.acls().getFirst().dst()).isEmpty();
  }

  @Test
  void commentsAreKeptWithPositions() {
    String src =
        "# head\ngroup eng = a@b.c // trailing\n/* block\n comment */ host db = 10.0.0.1\n";
    Diagnostics d = new Diagnostics();
    Policy p = new TpolReader().read(new SourceText("t.tpol", src), d);
    assertThat(d.size()).isZero();
    assertThat(p.comments())
        .extracting(Comment::text)
        .containsExactly(" head", " trailing", " block\n comment ");
    assertThat(p.comments())
        .extracting(Comment::kind)
        .containsExactly(Comment.Kind.LINE, Comment.Kind.LINE, Comment.Kind.BLOCK);
    assertThat(p.comments().get(1).span().startLine()).isEqualTo(2);
    assertThat(p.comments().get(1).span().startCol()).isEqualTo(19);
  }

  @Test
  void spansCountUtf16LikeTheOtherReaders() {
    // An astral character before the error: ANTLR counts one code point, Java two chars.
    String src = "# 🎉\nhost db = 🎉x\n";
    Diagnostics d = new Diagnostics();
    new TpolReader().read(new SourceText("t.tpol", src), d);
    Diagnostic e = d.sorted().getFirst();
    assertThat(e.span().startLine()).isEqualTo(2);
    assertThat(e.span().startCol()).isEqualTo(11);
    assertThat(e.message()).isEqualTo("unexpected character '🎉'");
    assertThat(src.substring(e.span().startOffset(), e.span().endOffset())).isEqualTo("🎉");
  }

  @Test
  void deeplyNestedJsonIsALocatedErrorNotACrash() {
    String src = "derp " + "{\"a\":".repeat(5000) + "1" + "}".repeat(5000);
    Diagnostics d = new Diagnostics();
    new TpolReader().read(new SourceText("t.tpol", src), d);
    assertThat(d.hasErrors()).isTrue();
    assertThat(d.sorted().getFirst().span().startLine()).isEqualTo(1);
  }
}
