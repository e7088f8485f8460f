package dev.tessera.compiler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryReader;
import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.AclAction;
import dev.tessera.policy.ast.AclDestination;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PortSpec;
import dev.tessera.policy.ast.PostureRef;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.Diagnostics;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Bad input never escapes as an exception: unresolved references are located errors and match
 * nothing.
 */
class CompilerRobustnessTest {
  static final SourceSpan AT = new SourceSpan("p.hujson", 3, 5, 3, 20, 40, 55);

  @Test
  void unresolvedReferencesAreErrorsAndMatchNothing() {
    Policy p =
        Policy.builder()
            .acls(
                List.of(
                    new Acl(
                        AclAction.ACCEPT,
                        List.of(
                            new Selector.Group("nope", AT),
                            new Selector.Host("ghost", AT),
                            new Selector.IpSet("none", AT)),
                        List.of(
                            new AclDestination(
                                new Selector.Tag("undefined", AT), PortSpec.ALL, AT)),
                        Optional.empty(),
                        List.of(new PostureRef("missing", AT)),
                        AT)))
            .build();
    Inventory inv =
        InventoryReader.read(
            "i.yaml",
            """
        users: [{login: a@x.com}]
        nodes: [{name: n1, user: a@x.com, ips: [100.64.0.1]}]
        """,
            new Diagnostics());
    Compilation c = Compiler.compile(p, inv);
    assertThat(c.diagnostics())
        .filteredOn(Diagnostic::isError)
        .extracting(Diagnostic::code)
        .containsOnly(CompilerCodes.UNRESOLVED)
        .hasSize(5);
    assertThat(c.diagnostics()).allSatisfy(d -> assertThat(d.span().startLine()).isEqualTo(3));
    assertThat(c.filter("n1").orElseThrow().rules()).isEmpty();
  }

  @Test
  void garbageInventoryGivesLocatedDiagnostics() {
    for (String text :
        List.of("{", "[1, 2]", "users: 3", "nodes: [[]]", "users: [{login: [x]}]", "- - -", "\t")) {
      Diagnostics d = new Diagnostics();
      Inventory inv = InventoryReader.read("i.yaml", text, d);
      assertThat(inv.nodes()).as(text).isEmpty();
      assertThat(d.sorted())
          .as(text)
          .allSatisfy(x -> assertThat(x.span().file()).isEqualTo("i.yaml"));
    }
    Diagnostics d = new Diagnostics();
    InventoryReader.read(
        "i.json",
        "{\"nodes\": [{\"name\": \"n\", \"tags\": [\"web\"], \"ips\": [\"1.2.3.4\"]}]}",
        d);
    assertThat(d.sorted())
        .extracting(Diagnostic::code)
        .containsExactly(CompilerCodes.INVENTORY_BAD_TAG);
    assertThat(d.sorted().getFirst().span().startLine()).isEqualTo(1);
  }

  @Test
  void inventorySyntaxErrorsAndDuplicateKeysReadAsInAPolicy() {
    Diagnostics d = new Diagnostics();
    InventoryReader.read("i.json", "{\"nodes\": [{\"name\": \"n\" \"ips\": []}]}", d);
    assertThat(d.sorted())
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.code()).isEqualTo(CompilerCodes.INVENTORY_SYNTAX);
              assertThat(x.message())
                  .isEqualTo(
                      "inventory is not valid JSON: expected ',' or '}' after the value of"
                          + " \"name\", found '\"'");
              assertThat(x.span().toString()).isEqualTo("i.json:1:25");
            });
    Diagnostics dup = new Diagnostics();
    Inventory inv =
        InventoryReader.read(
            "i.yaml",
            "users: [{login: a@x.com}]\n"
                + "nodes: [{name: n1, user: a@x.com, ips: [100.64.0.1], ips: [100.64.0.2]}]\n",
            dup);
    assertThat(dup.sorted()).extracting(Diagnostic::code).containsExactly("duplicate-key");
    assertThat(dup.sorted().getFirst().span().toString()).isEqualTo("i.yaml:2:54");
    assertThat(inv.nodes()).singleElement().satisfies(n -> assertThat(n.ips()).hasSize(1));
  }

  @Test
  void policyWithoutRulesDeniesAllWithAWarning() {
    Compilation c =
        Compiler.compile(
            Policy.empty(),
            InventoryReader.read(
                "i.yaml",
                "users: [{login: a@x.com}]\nnodes: [{name: n1, user: a@x.com, ips: [100.64.0.1]}]\n",
                new Diagnostics()));
    assertThat(c.hasErrors()).isFalse();
    assertThat(c.diagnostics()).extracting(Diagnostic::code).containsExactly("no-rules");
    assertThat(c.filter("n1").orElseThrow().rules()).isEmpty();
  }
}
