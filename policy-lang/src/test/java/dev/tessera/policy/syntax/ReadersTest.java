package dev.tessera.policy.syntax;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.net.IpCidr;
import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.AutoGroup;
import dev.tessera.policy.ast.Comment;
import dev.tessera.policy.ast.GrantIp;
import dev.tessera.policy.ast.IpSetDef;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PortRange;
import dev.tessera.policy.ast.PortSpec;
import dev.tessera.policy.ast.PostureOperator;
import dev.tessera.policy.ast.PostureValue;
import dev.tessera.policy.ast.Protocol;
import dev.tessera.policy.ast.Section;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.diag.DiagnosticRenderer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The HuJSON and YAML readers: structure, values, spans, comments, and parity between them. */
class ReadersTest {
  static String resource(String name) {
    try (InputStream in = ReadersTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  static Policy readOk(String name, String text, Syntax syntax) {
    PolicyResult r = Policies.read(name, text, syntax);
    assertThat(r.diagnostics())
        .as(() -> DiagnosticRenderer.text(r.diagnostics(), Map.of(name, r.source())))
        .isEmpty();
    return r.policy().orElseThrow();
  }

  @Test
  void hujsonAndYamlGiveTheSameAst() {
    Policy h = readOk("parity.hujson", resource("parity.hujson"), Syntax.HUJSON);
    Policy y = readOk("parity.yaml", resource("parity.yaml"), Syntax.YAML);
    assertThat(y).isEqualTo(h);
    assertThat(y.hashCode()).isEqualTo(h.hashCode());
    assertThat(h.sections())
        .hasSize(Section.values().length - 1)
        .doesNotContain(Section.DISABLE_IPV4);
  }

  @Test
  void valuesAreParsedIntoTypes() {
    Policy p = readOk("parity.hujson", resource("parity.hujson"), Syntax.HUJSON);
    Acl first = p.acls().getFirst();
    assertThat(first.src()).containsExactly(new Selector.Group("eng", SourceSpan.NONE));
    assertThat(first.dst().getFirst().target()).isEqualTo(new Selector.Tag("web", SourceSpan.NONE));
    assertThat(first.dst().getFirst().ports())
        .isEqualTo(PortSpec.of(PortRange.single(80), PortRange.single(443)));
    assertThat(first.dst().get(1).target()).isEqualTo(new Selector.Host("db", SourceSpan.NONE));
    assertThat(first.proto()).contains(new Protocol(6, "tcp"));
    assertThat(first.srcPosture().getFirst().name()).isEqualTo("mac");
    assertThat(p.acls().get(1).dst().getFirst().target())
        .isEqualTo(new Selector.Auto(AutoGroup.SELF, SourceSpan.NONE));
    assertThat(p.acls().get(1).dst().getFirst().ports().isAll()).isTrue();

    assertThat(p.grants().getFirst().ip())
        .containsExactly(
            new GrantIp(
                Optional.of(new Protocol(6, "tcp")),
                PortSpec.of(PortRange.single(443)),
                SourceSpan.NONE),
            new GrantIp(Optional.of(new Protocol(1, "icmp")), PortSpec.ALL, SourceSpan.NONE),
            new GrantIp(Optional.empty(), PortSpec.of(PortRange.single(53)), SourceSpan.NONE));
    assertThat(p.grants().get(1).app().getFirst().values().getFirst().json())
        .isEqualTo("{\"level\":2,\"on\":true}");
    assertThat(p.derpMap().orElseThrow().json())
        .isEqualTo("{\"Regions\":{\"900\":{\"RegionID\":900}}}");

    IpSetDef office = p.ipsets().getFirst();
    assertThat(office.ops())
        .extracting(IpSetDef.Op::kind)
        .containsExactly(IpSetDef.Kind.ADD, IpSetDef.Kind.REMOVE);
    assertThat(office.ops().get(1).target())
        .isEqualTo(new Selector.Ip(IpCidr.parse("10.10.0.128/25"), SourceSpan.NONE));
    assertThat(p.postures().getFirst().conditions().get(1).operator())
        .isEqualTo(PostureOperator.GE);
    assertThat(p.postures().getFirst().conditions().get(1).values())
        .containsExactly(PostureValue.string("1.60"));
    assertThat(p.hosts().get(1).prefix().toCompactString()).isEqualTo("10.10.0.0/24");
    assertThat(p.autoApprovers().routes().getFirst().route().toCompactString())
        .isEqualTo("10.10.0.0/24");
    assertThat(p.tests().getFirst().deny().getFirst().raw()).isEqualTo("db:22");
    assertThat(p.randomizeClientPort()).contains(true);
    assertThat(p.disableIPv4()).isEmpty();
  }

  @Test
  void spansPointAtTheSource() {
    String text = resource("parity.hujson");
    Policy p = readOk("parity.hujson", text, Syntax.HUJSON);
    SourceSpan group = p.acls().getFirst().src().getFirst().span();
    assertThat(group.sameLocation(new SourceSpan("parity.hujson", 13, 34, 13, 45, -1, -1)))
        .as(group.toString())
        .isTrue();
    assertThat(text.substring(group.startOffset(), group.endOffset())).isEqualTo("\"group:eng\"");
    // The target of a dst points inside the string, at the target part.
    SourceSpan tag = p.acls().getFirst().dst().getFirst().target().span();
    assertThat(text.substring(tag.startOffset(), tag.endOffset())).isEqualTo("tag:web");
    SourceSpan yamlTag =
        readOk("parity.yaml", resource("parity.yaml"), Syntax.YAML)
            .acls()
            .getFirst()
            .dst()
            .getFirst()
            .target()
            .span();
    assertThat(yamlTag.startLine()).isEqualTo(22);
    assertThat(yamlTag.startCol()).isEqualTo(9);
  }

  @Test
  void commentsAreKeptWithKindAndPosition() {
    Policy h = readOk("parity.hujson", resource("parity.hujson"), Syntax.HUJSON);
    assertThat(h.comments())
        .extracting(Comment::kind, Comment::text)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                Comment.Kind.LINE,
                " A policy touching every section; parity.yaml says the same in YAML."),
            org.assertj.core.groups.Tuple.tuple(Comment.Kind.LINE, " engineers"),
            org.assertj.core.groups.Tuple.tuple(Comment.Kind.BLOCK, " tags "));
    assertThat(h.comments().get(1).span().startLine()).isEqualTo(4);
    Policy y = readOk("parity.yaml", resource("parity.yaml"), Syntax.YAML);
    assertThat(y.comments())
        .extracting(Comment::text)
        .containsExactly(
            " A policy touching every section; parity.hujson says the same in HuJSON.",
            " engineers",
            " tags");
    assertThat(y.comments().get(1).span().startLine()).isEqualTo(3);
    // Comments do not take part in equality.
    assertThat(h.withComments(List.of())).isEqualTo(h);
  }

  @Test
  void commentMarkersInsideStringsAreNotComments() {
    Policy p =
        readOk(
            "s.hujson",
            "{\"hosts\": {\"a\": \"10.0.0.1\"}, // real\n \"groups\": {\"group:x\": [\"http://x@y\"]}}",
            Syntax.HUJSON);
    assertThat(p.comments()).extracting(Comment::text).containsExactly(" real");
    // An escaped quote does not end a string; an escaped backslash before a quote does.
    Policy q =
        readOk(
            "e.hujson",
            "{\"groups\": {\"group:x\": [\"a\\\"/*b@c\", \"d\\\\@e\"]} /* c1 */ // c2\n}",
            Syntax.HUJSON);
    assertThat(q.comments()).extracting(Comment::text).containsExactly(" c1 ", " c2");
    assertThat(q.groups().getFirst().members())
        .extracting(Selector::text)
        .containsExactly("a\"/*b@c", "d\\@e");
  }

  @Test
  void absentAndEmptySectionsDiffer() {
    Policy none = readOk("a.hujson", "{}", Syntax.HUJSON);
    Policy empty = readOk("b.hujson", "{\"acls\": []}", Syntax.HUJSON);
    assertThat(none.has(Section.ACLS)).isFalse();
    assertThat(empty.has(Section.ACLS)).isTrue();
    assertThat(none).isNotEqualTo(empty);
  }

  @Test
  void keyCaseVariantsAndLegacyKeysMeanTheSame() {
    Policy canonical =
        readOk(
            "a.hujson",
            "{\"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:22\"]}]}",
            Syntax.HUJSON);
    PolicyResult legacy =
        Policies.read(
            "b.hujson",
            "{\"ACLs\": [{\"Action\": \"accept\", \"Users\": [\"*\"], \"Ports\": [\"*:22\"]}]}",
            Syntax.HUJSON);
    assertThat(legacy.ok()).isTrue();
    assertThat(legacy.diagnostics()).hasSize(4).allMatch(d -> !d.isError());
    assertThat(legacy.policy()).contains(canonical);
  }

  @Test
  void yamlAcceptsUnquotedNumbersWhereStringsAreExpected() {
    Policy y =
        readOk(
            "n.yaml",
            "acls:\n  - {action: accept, src: ['*'], dst: ['*:22'], proto: 6}\ngrants:\n  - {src: ['*'], dst: ['*'], ip: [443]}\n",
            Syntax.YAML);
    assertThat(y.acls().getFirst().proto()).contains(Protocol.number(6));
    assertThat(y.grants().getFirst().ip().getFirst().ports())
        .isEqualTo(PortSpec.of(PortRange.single(443)));
  }

  @Test
  void hujsonRejectsNumbersWhereStringsAreExpected() {
    PolicyResult r =
        Policies.read(
            "n.hujson",
            "{\"grants\": [{\"src\": [\"*\"], \"dst\": [\"*\"], \"ip\": [443]}]}",
            Syntax.HUJSON);
    assertThat(r.ok()).isFalse();
    assertThat(r.diagnostics())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.message()).isEqualTo("grants[0].ip[0] must be a string, not a number");
              assertThat(d.span().startCol()).isEqualTo(49);
            });
  }

  @Test
  void yamlSyntaxErrorsAreLocated() {
    PolicyResult r =
        Policies.read("bad.yaml", "acls:\n  - action: accept\n   src: [x]\n", Syntax.YAML);
    assertThat(r.ok()).isFalse();
    assertThat(r.diagnostics())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.code()).isEqualTo("syntax");
              assertThat(d.span().startLine()).isEqualTo(3);
            });
  }

  @Test
  void yamlDuplicateKeysAreErrors() {
    PolicyResult r =
        Policies.read("dup.yaml", "groups:\n  group:a: []\n  group:a: []\n", Syntax.YAML);
    assertThat(r.diagnostics())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.message())
                  .isEqualTo("duplicate key \"group:a\" (first defined at line 2)");
              assertThat(d.span().startLine()).isEqualTo(3);
              assertThat(d.span().startCol()).isEqualTo(3);
            });
  }

  @Test
  void yamlUnknownKeyHasAHint() {
    PolicyResult r =
        Policies.read("u.yaml", "grants:\n  - {src: ['*'], dst: ['*'], ips: ['*']}\n", Syntax.YAML);
    assertThat(r.diagnostics())
        .extracting(
            d ->
                d.span().startLine()
                    + ":"
                    + d.span().startCol()
                    + " "
                    + d.message()
                    + " / "
                    + d.help())
        .containsExactly(
            "2:5 ip and app can not both be empty / add \"ip\": [\"*\"] for all network access, or list ports such as \"tcp:443\"",
            "2:30 unknown key \"ips\" in grant / did you mean \"ip\"?");
  }

  @Test
  void aByteOrderMarkIsIgnored() {
    readOk("bom.hujson", "\uFEFF{\"acls\": []}", Syntax.HUJSON);
  }

  @Test
  void deeplyNestedInputIsALocatedErrorNotACrash() {
    String deep = "{\"derpMap\": " + "[".repeat(5000) + "]".repeat(5000) + "}";
    PolicyResult r = Policies.read("deep.hujson", deep, Syntax.HUJSON);
    assertThat(r.ok()).isFalse();
    assertThat(r.diagnostics()).first().satisfies(d -> assertThat(d.code()).isEqualTo("syntax"));
  }
}
