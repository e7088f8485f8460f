package dev.tessera.compiler.diff;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.matrix.Endpoint;
import dev.tessera.compiler.matrix.MatrixBuilder;
import dev.tessera.net.IpAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Sets of devices said in the policy's words, table-driven over one small tailnet. */
class PrincipalsTest {
  // ops: olivia (laptop-2, laptop-10), peggy (laptop-3); eng: alice (laptop-1); db-1, db-2 tagged
  // tag:db; ci-1 tag:ci
  static final Map<String, List<String>> GROUPS =
      Map.of(
          "olivia@x.io", List.of("group:ops"),
          "peggy@x.io", List.of("group:ops"),
          "alice@x.io", List.of("group:eng"));

  static final List<InventoryNode> NODES =
      List.of(
          node("laptop-2", "olivia@x.io", List.of()),
          node("laptop-10", "olivia@x.io", List.of()),
          node("laptop-3", "peggy@x.io", List.of()),
          node("laptop-1", "alice@x.io", List.of()),
          node("db-1", null, List.of("tag:db")),
          node("db-2", null, List.of("tag:db")),
          node("ci-1", null, List.of("tag:ci")));
  static final Map<String, Endpoint> BY_NAME =
      NODES.stream().collect(Collectors.toMap(InventoryNode::name, PrincipalsTest::endpoint));

  static InventoryNode node(String name, String user, List<String> tags) {
    return InventoryNode.of(
        name,
        user,
        tags,
        List.of(IpAddress.parse("100.64.0." + (1 + name.length()))),
        Map.of(),
        List.of());
  }

  static Endpoint endpoint(InventoryNode n) {
    return MatrixBuilder.nodeEndpoint(n, PrincipalsTest::groupsOf);
  }

  static List<String> groupsOf(String login) {
    return GROUPS.getOrDefault(login, List.of());
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      laptop-2 laptop-10 laptop-3                    | group:ops
      laptop-2 laptop-10 laptop-3 db-1 db-2          | group:ops; tag:db
      laptop-2 laptop-10 laptop-3 laptop-1 db-1 db-2 ci-1 | *
      laptop-2 laptop-10 laptop-3 laptop-1           | autogroup:member
      laptop-2 laptop-10                             | olivia@x.io
      laptop-2 laptop-3                              | 2 of 3 devices of group:ops
      laptop-3                                       | peggy@x.io
      laptop-10 db-1                                 | db-1; laptop-10
      """)
  void describe(String devices, String expected) {
    // the last row: one device of a user with two and one of a tag with two are named as devices
    List<Endpoint> es =
        new ArrayList<>(Arrays.stream(devices.trim().split("\\s+")).map(BY_NAME::get).toList());
    assertThat(new Principals(NODES, PrincipalsTest::groupsOf).describe(es))
        .containsExactly(expected.trim().split("; "));
  }

  /** Principals that say the same: the rule's names first, then named ones before autogroups. */
  @org.junit.jupiter.api.Test
  void tiesGoToTheRulesNamesThenToNamedPrincipals() {
    // one user, in group:eng, with one device: autogroup:member, group:eng and the user are the
    // same device
    List<InventoryNode> nodes =
        List.of(node("laptop", "alice@x.io", List.of()), node("web-1", null, List.of("tag:web")));
    List<Endpoint> laptop = List.of(endpoint(nodes.getFirst()));
    List<Endpoint> web = List.of(endpoint(nodes.getLast()));
    Principals p = new Principals(nodes, PrincipalsTest::groupsOf);
    assertThat(p.describe(laptop, java.util.Set.of("group:eng", "tag:web")))
        .containsExactly("group:eng");
    assertThat(p.describe(laptop, java.util.Set.of("alice@x.io"))).containsExactly("alice@x.io");
    assertThat(p.describe(laptop)).containsExactly("group:eng");
    assertThat(p.describe(web)).containsExactly("tag:web");
  }

  @ParameterizedTest(name = "{0} before {1}")
  @CsvSource({
    "laptop-2, laptop-10",
    "laptop-9, laptop-10",
    "10.0.0.9, 10.0.0.20",
    "a2b, a10b",
    "Laptop-1, laptop-2",
    "laptop-02, laptop-3",
    "laptop-2, laptop-02",
    "web, web-1"
  })
  void devicesSortNaturally(String first, String second) {
    List<Endpoint> es =
        new ArrayList<>(
            List.of(
                Endpoint.node(second, "u", List.of(), List.of(), List.of()),
                Endpoint.node(first, "u", List.of(), List.of(), List.of())));
    es.sort(Principals.DEVICE_ORDER);
    assertThat(es).extracting(Endpoint::id).containsExactly(first, second);
  }
}
