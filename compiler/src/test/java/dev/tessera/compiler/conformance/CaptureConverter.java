package dev.tessera.compiler.conformance;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.ast.AutoApprovers;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.Selector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Converts one headscale capture file ({@code hscontrol/policy/v2/testdata/*_results/*.hujson}: a
 * policy, an 8-12 node topology and what Tailscale SaaS compiled for each node) into Tessera
 * inputs: the policy text (HuJSON) and a Tessera inventory (YAML text, read back by {@code
 * InventoryReader}), plus the expected per-node packet filter rules and peers.
 *
 * <p>The captures are BSD-3-Clause (headscale) data about Tailscale's behaviour; they are read from
 * a directory at test time and never copied into this repository (workplace rule).
 */
public final class CaptureConverter {
  static final ObjectMapper HUJSON =
      JsonMapper.builder()
          .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
          .enable(JsonReadFeature.ALLOW_TRAILING_COMMA)
          .build();

  private CaptureConverter() {}

  /** One capture, converted. {@code expected} is null for a node with no rules. */
  public record Capture(
      String id,
      String folder,
      int apiStatus,
      String apiMessage,
      String policyText,
      JsonNode topology,
      String tailnet,
      Map<String, JsonNode> expectedRules,
      Map<String, Map<String, List<String>>> expectedPeers,
      Map<String, List<String>> expectedSpace) {

    /**
     * The Tessera inventory for this capture under {@code policy}: routes are the topology's
     * approved routes plus the advertised ones the policy's autoApprovers approve (Tailscale
     * approves those automatically, so the captured netmaps include them).
     */
    public String inventoryYaml(Policy policy) {
      return CaptureConverter.inventoryYaml(id, topology, tailnet, policy);
    }

    /** Each node's address space: addresses plus approved routes under {@code policy}. */
    public Map<String, List<String>> nodeSpace(Policy policy) {
      return CaptureConverter.space(topology, tailnet, policy);
    }
  }

  public static Capture read(Path file) throws IOException {
    JsonNode root = HUJSON.readTree(Files.readString(file));
    String folder = file.getParent().getFileName().toString();
    String id = root.path("test_id").asText(file.getFileName().toString());
    JsonNode input = root.path("input");
    int status = input.path("api_response_code").asInt(200);
    String message = input.path("api_response_body").path("message").asText("");
    JsonNode fp = input.path("full_policy");
    String policy = fp.isTextual() ? fp.asText() : HUJSON.writeValueAsString(fp);

    JsonNode topo = root.path("topology");
    Map<String, JsonNode> rules = new TreeMap<>();
    Map<String, Map<String, List<String>>> peers = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.path("captures").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode r = e.getValue().path("packet_filter_rules");
      rules.put(e.getKey(), r.isArray() ? r : null);
      JsonNode nm = e.getValue().path("netmap");
      if (nm.has("Peers")) {
        Map<String, List<String>> ps = new TreeMap<>();
        for (JsonNode p : nm.path("Peers")) {
          String pn = p.path("Name").asText();
          int dot = pn.indexOf('.');
          ps.put(dot < 0 ? pn : pn.substring(0, dot), strings(p.path("AllowedIPs")));
        }
        peers.put(e.getKey(), ps);
      }
    }
    return new Capture(
        id,
        folder,
        status,
        message,
        policy,
        topo,
        root.path("tailnet").asText(),
        rules,
        peers,
        Map.of());
  }

  static Map<String, List<String>> space(JsonNode topo, String tailnet, Policy policy) {
    Map<String, List<String>> space = new TreeMap<>();
    Map<String, String> emails = emails(topo);
    for (Iterator<Map.Entry<String, JsonNode>> it = topo.path("nodes").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      List<String> sp = new ArrayList<>(ips(e.getValue()));
      sp.addAll(approved(e.getValue(), emails, policy));
      space.put(e.getKey(), sp);
    }
    return space;
  }

  private static Map<String, String> emails(JsonNode topo) {
    Map<String, String> emailByName = new HashMap<>();
    for (JsonNode u : topo.path("users")) {
      String email = u.path("email").asText();
      emailByName.put(
          u.path("name").asText(), email.isEmpty() ? u.path("name").asText() + "@" : email);
    }
    return emailByName;
  }

  private static List<String> ips(JsonNode n) {
    List<String> ips = new ArrayList<>();
    if (n.hasNonNull("ipv4")) {
      ips.add(n.path("ipv4").asText());
    }
    if (n.hasNonNull("ipv6")) {
      ips.add(n.path("ipv6").asText());
    }
    return ips;
  }

  /**
   * Approved routes plus advertised routes auto-approved by the policy (Tailscale KB 1337,
   * autoApprovers).
   */
  static List<String> approved(JsonNode n, Map<String, String> emails, Policy policy) {
    List<String> out = new ArrayList<>(strings(n.path("approved_routes")));
    List<String> tags = strings(n.path("tags"));
    String user =
        n.hasNonNull("user")
            ? emails.getOrDefault(n.path("user").asText(), n.path("user").asText())
            : null;
    for (String adv : strings(n.path("routable_ips"))) {
      if (out.contains(adv)) {
        continue;
      }
      IpPrefix r = IpPrefix.parse(adv, true);
      boolean ok = false;
      if (r.bits() == 0) {
        ok = matches(policy.autoApprovers().exitNode(), tags, user, policy);
      } else {
        for (AutoApprovers.RouteApprover ra : policy.autoApprovers().routes()) {
          IpPrefix p = ra.route().masked();
          if (p.contains(r) && matches(ra.approvers(), tags, user, policy)) {
            ok = true;
          }
        }
      }
      if (ok) {
        out.add(adv);
      }
    }
    return out;
  }

  private static boolean matches(
      List<Selector> approvers, List<String> tags, String user, Policy policy) {
    for (Selector s : approvers) {
      boolean hit =
          switch (s) {
            case Selector.Tag t -> tags.contains("tag:" + t.name());
            case Selector.User u -> tags.isEmpty() && u.login().equals(user);
            case Selector.Group g ->
                tags.isEmpty()
                    && policy.groups().stream()
                        .anyMatch(
                            d ->
                                d.name().equals(g.name())
                                    && d.members().stream()
                                        .anyMatch(
                                            m ->
                                                m instanceof Selector.User mu
                                                    && mu.login().equals(user)));
            case Selector.Auto a ->
                switch (a.group()) {
                  case MEMBER -> tags.isEmpty() && user != null;
                  case TAGGED -> !tags.isEmpty();
                  default -> false;
                };
            default -> false;
          };
      if (hit) {
        return true;
      }
    }
    return false;
  }

  static String inventoryYaml(String id, JsonNode topo, String tailnet, Policy policy) {
    Map<String, String> emailByName = emails(topo);
    StringBuilder y =
        new StringBuilder("# converted from headscale capture ").append(id).append('\n');
    y.append("users:\n");
    for (JsonNode u : topo.path("users")) {
      String email = emailByName.get(u.path("name").asText());
      // The topology has no roles; the tailnet's login (the capture's "tailnet") is its owner.
      String role = email.equals(tailnet) ? "owner" : "member";
      y.append("  - login: ").append(q(email)).append("\n    role: ").append(q(role)).append('\n');
    }
    y.append("nodes:\n");
    for (Iterator<Map.Entry<String, JsonNode>> it = topo.path("nodes").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode n = e.getValue();
      y.append("  - name: ").append(q(e.getKey())).append('\n');
      List<String> tags = strings(n.path("tags"));
      if (tags.isEmpty() && n.hasNonNull("user")) {
        y.append("    user: ")
            .append(q(emailByName.getOrDefault(n.path("user").asText(), n.path("user").asText())))
            .append('\n');
      }
      y.append("    tags: ").append(list(tags)).append('\n');
      y.append("    ips: ").append(list(ips(n))).append('\n');
      y.append("    routes: ").append(list(approved(n, emailByName, policy))).append('\n');
    }
    return y.toString();
  }

  private static List<String> strings(JsonNode arr) {
    List<String> out = new ArrayList<>();
    if (arr != null && arr.isArray()) {
      for (JsonNode x : arr) {
        out.add(x.asText());
      }
    }
    return out;
  }

  private static String q(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static String list(List<String> xs) {
    StringBuilder sb = new StringBuilder("[");
    for (String x : xs) {
      if (sb.length() > 1) {
        sb.append(", ");
      }
      sb.append(q(x));
    }
    return sb.append(']').toString();
  }
}
