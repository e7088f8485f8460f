package dev.tessera.policytests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.inventory.InventoryUser;
import dev.tessera.compiler.inventory.Role;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.testsupport.Conformance;
import dev.tessera.testsupport.RequiresConformance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Conformance with Tailscale's own verdicts on {@code tests} blocks: headscale's {@code
 * policytest_results} captures (juanfont/headscale, hscontrol/policy/v2/testdata, BSD-3-Clause),
 * each a policy with a tests block, the 8-node topology it was applied to, and whether Tailscale
 * SaaS accepted it ({@code error: false}) or rejected it with {@code test(s) failed}.
 *
 * <p>The captures come from the project's conformance data ({@link Conformance#headscale}; without
 * it the test skips, and fails under {@code TESSERA_REQUIRE_ALL=1}). For each capture the policy is
 * read with policy-lang, the topology converted to an inventory (users by email, tagged nodes
 * without user, approved routes only: no policytest capture has autoApprovers, so the compiler
 * harness's auto-approval step is not needed), and {@link PolicyTester} run with the real compiler:
 * Tailscale accepted the policy iff every assertion passes here. A capture whose policy policy-lang
 * rejects counts as agreeing only if Tailscale rejected it too.
 */
class PolicyTestConformanceTest {

  private static final ObjectMapper HUJSON =
      JsonMapper.builder(
              JsonFactory.builder()
                  .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
                  .enable(JsonReadFeature.ALLOW_TRAILING_COMMA)
                  .build())
          .build();

  record Case(String id, boolean saasRejected, String policyJson, Inventory inventory) {}

  static Case load(Path file) throws IOException {
    JsonNode root = HUJSON.readTree(Files.readString(file));
    JsonNode policy = root.at("/input/full_policy");
    return new Case(
        root.path("test_id").asText(file.getFileName().toString()),
        root.path("error").asBoolean(false),
        HUJSON.writerWithDefaultPrettyPrinter().writeValueAsString(policy),
        inventory(root.get("topology")));
  }

  /** headscale's capture topology to Tessera's inventory. */
  static Inventory inventory(JsonNode topo) {
    Map<String, String> emailByName = new HashMap<>();
    List<InventoryUser> users = new ArrayList<>();
    for (JsonNode u : topo.path("users")) {
      emailByName.put(u.path("name").asText(), u.path("email").asText());
      users.add(new InventoryUser(u.path("email").asText(), Role.MEMBER, SourceSpan.NONE));
    }
    List<InventoryNode> nodes = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : topo.path("nodes").properties()) {
      JsonNode n = e.getValue();
      List<String> tags = new ArrayList<>();
      n.path("tags").forEach(t -> tags.add(t.asText()));
      List<IpAddress> ips = new ArrayList<>();
      for (String k : List.of("ipv4", "ipv6")) {
        if (n.hasNonNull(k)) {
          ips.add(IpAddress.parse(n.get(k).asText()));
        }
      }
      List<IpPrefix> routes = new ArrayList<>();
      n.path("approved_routes").forEach(r -> routes.add(IpPrefix.parse(r.asText())));
      String user = n.hasNonNull("user") ? emailByName.get(n.get("user").asText()) : null;
      nodes.add(
          InventoryNode.of(
              n.path("hostname").asText(e.getKey()), user, tags, ips, new TreeMap<>(), routes));
    }
    return new Inventory(users, nodes);
  }

  @Test
  @RequiresConformance
  void policytestResultsAgreeWithTailscale() throws IOException {
    Optional<Path> dir = Optional.of(Conformance.headscale().resolve("policytest_results"));
    List<Path> files;
    try (Stream<Path> s = Files.list(dir.get())) {
      files = s.filter(p -> p.toString().endsWith(".hujson")).sorted().toList();
    }
    assertThat(files).isNotEmpty();
    List<String> disagreements = new ArrayList<>();
    Map<String, Integer> how = new TreeMap<>();
    int agree = 0;
    for (Path f : files) {
      Case c = load(f);
      PolicyResult pr = Policies.read(c.id() + ".hujson", c.policyJson(), Syntax.HUJSON);
      String ours;
      boolean weRejected;
      if (pr.policy().isEmpty()) {
        weRejected = true;
        ours = "policy rejected: " + pr.errors();
      } else {
        PolicyTester.Result r =
            PolicyTester.run(
                new PolicyTester.Input(
                    pr.policy().get(), c.id(), Optional.of(c.inventory()), List.of()),
                PolicyTestInputs.compiler());
        switch (r) {
          case PolicyTester.Result.Rejected rej -> {
            weRejected = true;
            ours = "compile rejected: " + rej.diagnostics();
          }
          case PolicyTester.Result.Ran ran -> {
            weRejected = !ran.run().allPassed();
            ours = HumanReport.render(ran.run(), false, false).strip().replace("\n", " | ");
          }
        }
      }
      how.merge(
          (c.saasRejected() ? "rejected" : "accepted")
              + " by Tailscale; ours: "
              + (ours.startsWith("policy rejected")
                  ? "policy invalid"
                  : ours.startsWith("compile rejected")
                      ? "compile error"
                      : ours.contains("invalid test") && ours.contains("expected ")
                          ? "invalid test + wrong verdict"
                          : ours.contains("invalid test")
                              ? "invalid test"
                              : ours.contains("expected ") ? "wrong verdict" : "all passed"),
          1,
          Integer::sum);
      if (Boolean.getBoolean("conformance.verbose")) {
        System.out.println("  " + c.id() + ": " + ours);
      }
      if (weRejected == c.saasRejected()) {
        agree++;
      } else {
        disagreements.add(
            c.id()
                + ": Tailscale "
                + (c.saasRejected() ? "rejected" : "accepted")
                + ", we: "
                + ours);
      }
    }
    System.out.printf(
        "policytest_results: %d/%d agree with Tailscale (%.1f%%)%n",
        agree, files.size(), 100.0 * agree / files.size());
    Conformance.recordRate("policy tests", agree, files.size());
    how.forEach((k, v) -> System.out.println("  " + v + " " + k));
    disagreements.forEach(d -> System.out.println("  DISAGREE " + d));
    assertThat(disagreements).as("captures where policyc test disagrees with Tailscale").isEmpty();
  }
}
