package dev.tessera.compiler.diff;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.diff.AccessDiff.Change;
import dev.tessera.compiler.diff.AccessDiff.Kind;
import dev.tessera.compiler.diff.AccessDiff.Status;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.matrix.Acme;
import dev.tessera.compiler.matrix.AuditLoader;
import dev.tessera.compiler.matrix.CompiledNetwork;
import dev.tessera.compiler.matrix.Endpoint;
import dev.tessera.compiler.matrix.PolicyIndex;
import dev.tessera.compiler.matrix.SyntheticInventory;
import dev.tessera.policy.ast.Policy;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** Semantic diff: pure refactors are unchanged, access changes are found and explained. */
class DifferTest {
  static final Path RES = Path.of("src", "test", "resources", "diff");
  static final String ACME = Acme.read(Acme.EXAMPLES.resolve("acme/policy.hujson"));
  static final String INVENTORY = Acme.read(Acme.EXAMPLES.resolve("acme/inventory.yaml"));

  /**
   * Diffs two policy texts on the acme inventory, or on a synthesized one when inventory is null.
   */
  static AccessDiff diff(String oldText, String newText, String inventory) {
    AuditLoader l = new AuditLoader();
    Policy o =
        l.policy("old.hujson", oldText)
            .orElseThrow(() -> new AssertionError(l.renderDiagnostics()));
    Policy n =
        l.policy("new.hujson", newText)
            .orElseThrow(() -> new AssertionError(l.renderDiagnostics()));
    Inventory inv =
        inventory == null
            ? SyntheticInventory.from(o, n)
            : l.inventory("inventory.yaml", inventory)
                .orElseThrow(() -> new AssertionError(l.renderDiagnostics()));
    PolicyIndex oi = PolicyIndex.of(o, "old.hujson");
    PolicyIndex ni = PolicyIndex.of(n, "new.hujson");
    CompiledNetwork on =
        l.compile(oi, inv, inventory == null)
            .orElseThrow(() -> new AssertionError(l.renderDiagnostics()));
    CompiledNetwork nn =
        l.compile(ni, inv, inventory == null)
            .orElseThrow(() -> new AssertionError(l.renderDiagnostics()));
    return new Differ(on, oi, nn, ni).diff(inventory == null, List.of());
  }

  static String res(String name) {
    return Acme.read(RES.resolve(name));
  }

  /** Pairs of (old, new) with whether access changes; "acme" is examples/acme/policy.hujson. */
  @ParameterizedTest(name = "{0} -> {1} on {2} inventory: changed={3}")
  @CsvSource({
    "acme, acme, real, false",
    "acme, acme-refactor.hujson, real, false",
    "acme-refactor.hujson, acme, real, false",
    "acme, acme-refactor.hujson, synthesized, false",
    "acme, acme-change.hujson, real, true",
    "acme-change.hujson, acme, real, true",
    "acme, acme-change.hujson, synthesized, true",
  })
  void refactorVersusChange(String oldName, String newName, String inventory, boolean changed) {
    String o = oldName.equals("acme") ? ACME : res(oldName);
    String n = newName.equals("acme") ? ACME : res(newName);
    AccessDiff d = diff(o, n, inventory.equals("real") ? INVENTORY : null);
    assertThat(d.unchanged()).as(DiffFormat.TEXT.render(d)).isEqualTo(!changed);
    assertThat(d.inventorySynthesized()).isEqualTo(inventory.equals("synthesized"));
  }

  @Test
  void changesAreLinkedToTheirCause() {
    AccessDiff d = diff(ACME, res("acme-change.hujson"), INVENTORY);
    // 1. ops (managed laptops: olivia, rupert, sybil, trent; not peggy) gain 6432 on both dbs via
    // the edited rule.
    Change port = find(d, Kind.GAINED, "tcp/udp 6432");
    assertThat(ids(port.sources()))
        .containsExactly("laptop-olivia", "laptop-rupert", "laptop-sybil", "laptop-trent");
    assertThat(ids(port.destinations())).containsExactly("db-1", "db-2");
    assertThat(port.causes())
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.status()).isEqualTo(Status.MODIFIED);
              assertThat(c.rule().location()).isEqualTo("new.hujson:63");
              assertThat(c.counterpart().location()).isEqualTo("old.hujson:91");
            });
    // 2. contractors lose staging:443 with the removed rule.
    Change staging = find(d, Kind.LOST, "tcp/udp 443 + icmp/ipv6-icmp");
    assertThat(ids(staging.sources()))
        .containsExactly("laptop-c-kim", "laptop-c-lee", "laptop-c-park");
    assertThat(ids(staging.destinations())).containsExactly("staging-1");
    assertThat(staging.causes())
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.status()).isEqualTo(Status.REMOVED);
              assertThat(c.rule().location()).isEqualTo("old.hujson:128");
            });
    // 3. bob gains the ERP through an unchanged rule whose group changed.
    Change erp =
        d.changes().stream()
            .filter(
                c ->
                    c.kind() == Kind.GAINED
                        && ids(c.destinations()).contains("subnet:10.10.0.40@office-router")
                        && DiffFormat.access(c).equals("tcp/udp 443 + icmp"))
            .findFirst()
            .orElseThrow();
    assertThat(ids(erp.sources())).containsExactly("laptop-bob", "phone-bob");
    assertThat(erp.causes())
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.status()).isEqualTo(Status.DEFINITION_CHANGED);
              assertThat(c.definitions()).containsExactly("group:finance");
            });
    // Nothing else changed: every gained/lost change belongs to one of the three edits.
    assertThat(d.changes()).allSatisfy(c -> assertThat(c.causes()).isNotEmpty());
    assertThat(
            d.changes().stream()
                .map(c -> c.causes().getFirst().rule().path())
                .collect(Collectors.toSet()))
        .containsExactlyInAnyOrder("acls[3]", "acls[9]", "acls[8]");
  }

  @ParameterizedTest
  @EnumSource(DiffFormat.class)
  void goldenOutput(DiffFormat format) {
    AccessDiff d = diff(ACME, res("acme-change.hujson"), INVENTORY);
    Acme.golden(
        "diff/acme-change." + format.name().toLowerCase(), format.render(d, Acme.PROVENANCE));
  }

  @Test
  void unchangedSaysSo() {
    AccessDiff d = diff(ACME, res("acme-refactor.hujson"), null);
    String text = DiffFormat.TEXT.render(d);
    assertThat(text).contains("Access unchanged").contains("synthesized");
    assertThat(DiffFormat.JSON.render(d))
        .contains("\"changed\" : false")
        .contains("\"inventorySynthesized\" : true");
  }

  static Change find(AccessDiff d, Kind kind, String access) {
    List<Change> l =
        d.changes().stream()
            .filter(c -> c.kind() == kind && DiffFormat.access(c).equals(access))
            .toList();
    assertThat(l).as(DiffFormat.TEXT.render(d)).hasSize(1);
    return l.getFirst();
  }

  static List<String> ids(List<Endpoint> es) {
    return es.stream().map(Endpoint::id).toList();
  }

  /** Diffs without an inventory run on synthesized devices: their addresses are Tailscale's. */
  @Test
  void synthesizedDevicesHaveTailnetAddresses() {
    AuditLoader l = new AuditLoader();
    Policy p = l.policy("p.hujson", ACME).orElseThrow();
    dev.tessera.net.IpPrefix v4 = dev.tessera.net.IpPrefix.parse("100.64.0.0/10");
    dev.tessera.net.IpPrefix v6 = dev.tessera.net.IpPrefix.parse("fd7a:115c:a1e0::/48");
    List<dev.tessera.net.IpAddress> ips =
        SyntheticInventory.from(p).nodes().stream().flatMap(n -> n.ips().stream()).toList();
    assertThat(ips).isNotEmpty().allMatch(a -> a.ipv6() ? v6.contains(a) : v4.contains(a));
    assertThat(ips).anyMatch(dev.tessera.net.IpAddress::ipv6);
  }

  /** Each change is said in the policy's words before its devices. */
  @Test
  void changesSpeakInPrincipals() {
    AccessDiff d = diff(ACME, res("acme-change.hujson"), INVENTORY);
    assertThat(d.changes())
        .extracting(DiffFormat::sentence)
        .containsExactly(
            "bob@acme.com gained tcp/udp:443 + icmp on legacy-erp (10.10.0.40) via office-router",
            "4 of 5 devices of group:ops gained tcp/udp:6432 on tag:db",
            "group:contractors lost tcp/udp:443 + icmp/ipv6-icmp on tag:staging");
    assertThat(DiffFormat.TEXT.render(d))
        .contains(
            "- group:contractors lost tcp/udp:443 + icmp/ipv6-icmp on tag:staging\n"
                + "    from (3): laptop-c-kim, laptop-c-lee, laptop-c-park\n");
  }
}
