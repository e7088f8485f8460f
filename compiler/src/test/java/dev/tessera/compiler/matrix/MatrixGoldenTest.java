package dev.tessera.compiler.matrix;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** examples/acme rendered in every format, against golden files under resources/matrix. */
class MatrixGoldenTest {

  static final Provenance PROVENANCE = Acme.PROVENANCE;

  @ParameterizedTest(name = "{0} by {1}")
  @CsvSource({
    "HTML,     NODE, acme.html",
    "CSV,      NODE, acme.csv",
    "CSV_LONG, NODE, acme-long.csv",
    "MD,       NODE, acme.md",
    "JSON,     NODE, acme.json",
    "MD,       GROUP, acme-by-group.md",
    "JSON,     USER, acme-by-user.json",
    "CSV,      TAG,  acme-by-tag.csv",
    "CSV_LONG, GROUP, acme-by-group-long.csv",
  })
  void acmeGolden(MatrixFormat format, Grouping.By by, String file) {
    AccessMatrix m = Grouping.apply(Acme.acme().matrix(), by);
    Acme.golden("matrix/" + file, format.render(m, PROVENANCE));
  }

  @Test
  void everyFormatStatesItsProvenance() {
    AccessMatrix m = Acme.acme().matrix();
    for (MatrixFormat f : MatrixFormat.values()) {
      String out = f.render(m, PROVENANCE);
      assertThat(out)
          .as(f.name())
          .contains(
              "policyc",
              "test",
              "2026-01-02T03:04:05Z",
              Provenance.sha256("policy"),
              Provenance.sha256("inventory"),
              "3f2a1c09b7e54d6a8f0e1d2c3b4a5968778695a4");
    }
  }

  @Test
  void longCsvHasOneRowPerSourceDestinationProtocolPortsAndRule() {
    AccessMatrix m = Acme.acme().matrix();
    java.util.List<String> lines = MatrixFormat.CSV_LONG.render(m).lines().toList();
    assertThat(lines.getFirst())
        .isEqualTo("source,destination,protocol,ports,rule,rule_location,rule_path,rule_text");
    // olivia -> monitor: all ports by acls[4] (R5), DNS by grants[0] (R12): one row per protocol,
    // range and rule
    assertThat(lines)
        .filteredOn(l -> l.startsWith("laptop-olivia,monitor,"))
        .containsExactly(
            "laptop-olivia,monitor,tcp,*,R5,policy.hujson:99,acls[4],\"accept group:ops -> tag:web:22, tag:api:22, tag:ci:22, tag:monitoring:*\"",
            "laptop-olivia,monitor,udp,*,R5,policy.hujson:99,acls[4],\"accept group:ops -> tag:web:22, tag:api:22, tag:ci:22, tag:monitoring:*\"",
            "laptop-olivia,monitor,icmp,,R5,policy.hujson:99,acls[4],\"accept group:ops -> tag:web:22, tag:api:22, tag:ci:22, tag:monitoring:*\"",
            "laptop-olivia,monitor,ipv6-icmp,,R5,policy.hujson:99,acls[4],\"accept group:ops -> tag:web:22, tag:api:22, tag:ci:22, tag:monitoring:*\"",
            "laptop-olivia,monitor,tcp,53,R12,policy.hujson:144,grants[0],\"grant autogroup:member -> tag:monitoring ip udp:53, tcp:53\"",
            "laptop-olivia,monitor,udp,53,R12,policy.hujson:144,grants[0],\"grant autogroup:member -> tag:monitoring ip udp:53, tcp:53\"");
    // every cell with access has rows, and no row names a pair without access
    long pairs =
        lines.stream()
            .skip(1)
            .map(l -> l.substring(0, l.indexOf(',', l.indexOf(',') + 1)))
            .distinct()
            .count();
    assertThat(pairs).isEqualTo(m.cellCount());
  }

  @Test
  void acmeCellsSayWhatThePolicySays() {
    AccessMatrix m = Acme.acme().matrix();
    // Everyone reaches the web tier on 80 and 443 through acls[0] (policy.hujson:71).
    assertThat(text(m, "laptop-hr", "web-1"))
        .isEqualTo("tcp/udp 80,443 + icmp/ipv6-icmp (policy.hujson:71)");
    // The API tier reaches the databases on TCP 5432 only (acls[2], proto tcp).
    assertThat(text(m, "api-1", "db-2")).isEqualTo("tcp 5432 (policy.hujson:85)");
    // Ops reach the databases only from a managed laptop: peggy's fails the posture.
    assertThat(text(m, "laptop-olivia", "db-1"))
        .isEqualTo("tcp/udp 22,5432 + icmp/ipv6-icmp (policy.hujson:91)");
    assertThat(text(m, "laptop-peggy", "db-1")).isEmpty();
    // Finance reaches the ERP behind the office router; sales does not.
    assertThat(text(m, "laptop-yusuf", "subnet:10.10.0.40@office-router"))
        .isEqualTo("tcp/udp 443 + icmp (policy.hujson:125)");
    assertThat(text(m, "laptop-uma", "subnet:10.10.0.40@office-router")).isEmpty();
    // autogroup:self: alice's phone reaches her laptop, not bob's.
    assertThat(text(m, "phone-alice", "laptop-alice")).contains("policy.hujson:135");
    assertThat(text(m, "phone-alice", "laptop-bob")).isEmpty();
    // Two rules on one destination: ops administer monitoring on every port, DNS also by grants[0].
    assertThat(text(m, "laptop-olivia", "monitor"))
        .isEqualTo("tcp/udp * + icmp/ipv6-icmp (policy.hujson:99); tcp/udp 53 (policy.hujson:144)");
    // Exit-node use (grants[1], autogroup:internet) is not a filter rule: it grants no cell.
    assertThat(m.rulesInUse()[m.rules().size() - 1]).isFalse();
  }

  @Test
  void groupedCellsCountMembersThatHaveAccess() {
    AccessMatrix m = Grouping.apply(Acme.acme().matrix(), Grouping.By.GROUP);
    int ops = indexOf(m.sources(), "group:ops");
    int db = indexOf(m.destinations(), "tag:db");
    Cell c = m.cell(ops, db);
    // 5 ops laptops x 2 databases, peggy's laptop fails posture: 8 of 10 pairs.
    assertThat(c.totalPairs()).isEqualTo(10);
    assertThat(CellText.text(c, m.rules()))
        .isEqualTo("tcp/udp 22,5432 + icmp/ipv6-icmp (policy.hujson:91) [8/10]");
  }

  static String text(AccessMatrix m, String src, String dst) {
    return CellText.text(
        m.cell(indexOf(m.sources(), src), indexOf(m.destinations(), dst)), m.rules());
  }

  static int indexOf(java.util.List<Endpoint> l, String id) {
    for (int i = 0; i < l.size(); i++) {
      if (l.get(i).id().equals(id)) {
        return i;
      }
    }
    throw new AssertionError("no endpoint " + id + " in " + l.stream().map(Endpoint::id).toList());
  }
}
