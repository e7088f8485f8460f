package dev.tessera.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.inventory.InventoryUser;
import dev.tessera.compiler.inventory.Role;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.ast.PostureValue;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.registry.Node;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The registry seen as the compiler's inventory: what the server compiles against when it has a
 * registry, and what {@code policyc inventory export} writes so that {@code test}, {@code explain},
 * {@code matrix} and {@code diff} run offline against the live tailnet.
 *
 * <p>A node whose key has expired is left out, so it is in no bundle and no filter admits it; only
 * approved routes are routes. Each node's inventory {@code key} is its WireGuard public key, which
 * is how the server authenticates its requests. Users are the owners and taggers of the nodes, all
 * members (roles are not kept in the registry).
 */
public final class RegistryInventory {
  private RegistryInventory() {}

  /** The inventory of the nodes whose keys have not expired at {@code now}, sorted by name. */
  public static Inventory inventory(List<Node> nodes, Instant now) {
    List<InventoryNode> out = new ArrayList<>();
    TreeSet<String> users = new TreeSet<>();
    for (Node n : live(nodes, now)) {
      n.user().ifPresent(users::add);
      TreeMap<String, PostureValue> posture = new TreeMap<>();
      n.posture().forEach((k, v) -> posture.put(k, PostureValue.string(v)));
      out.add(
          new InventoryNode(
              n.name(),
              n.user(),
              n.tags(),
              List.of(IpAddress.parse(n.ipv4()), IpAddress.parse(n.ipv6())),
              Optional.of(n.publicKey()),
              posture,
              n.approvedRoutes().stream().map(RegistryInventory::prefix).toList(),
              SourceSpan.NONE));
    }
    List<InventoryUser> us =
        users.stream().map(u -> new InventoryUser(u, Role.MEMBER, SourceSpan.NONE)).toList();
    return new Inventory(us, out);
  }

  /**
   * The same inventory as the inventory file format's JSON (which the YAML reader reads): written
   * from {@link #inventory}, so the file and the compiled inventory never differ.
   */
  public static String exportJson(List<Node> nodes, Instant now) {
    Inventory inv = inventory(nodes, now);
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode doc = json.createObjectNode();
    ArrayNode users = doc.putArray("users");
    for (InventoryUser u : inv.users()) {
      users.addObject().put("login", u.login()).put("role", u.role().text());
    }
    ArrayNode ns = doc.putArray("nodes");
    for (InventoryNode n : inv.nodes()) {
      ObjectNode m = ns.addObject();
      m.put("name", n.name());
      n.user().ifPresent(u -> m.put("user", u));
      n.tags().forEach(m.putArray("tags")::add);
      ArrayNode ips = m.putArray("ips");
      n.ips().forEach(a -> ips.add(a.toString()));
      n.key().ifPresent(k -> m.put("key", k));
      ObjectNode posture = m.putObject("posture");
      n.posture().forEach((k, v) -> posture.set(k, postureValue(json, v)));
      ArrayNode routes = m.putArray("routes");
      n.routes().forEach(r -> routes.add(r.toString()));
    }
    try {
      return json.writeValueAsString(doc) + "\n";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e); // a tree of strings always serializes
    }
  }

  private static JsonNode postureValue(ObjectMapper json, PostureValue v) {
    return switch (v.kind()) {
      case STRING -> json.getNodeFactory().textNode(v.text());
      case NUMBER -> json.getNodeFactory().numberNode(new java.math.BigDecimal(v.text()));
      case BOOLEAN -> json.getNodeFactory().booleanNode(Boolean.parseBoolean(v.text()));
    };
  }

  private static List<Node> live(List<Node> nodes, Instant now) {
    return nodes.stream()
        .filter(n -> !n.isExpired(now))
        .sorted(java.util.Comparator.comparing(Node::name))
        .toList();
  }

  private static IpPrefix prefix(String route) {
    int slash = route.indexOf('/');
    return IpPrefix.of(
        IpAddress.parse(route.substring(0, slash)), Integer.parseInt(route.substring(slash + 1)));
  }
}
