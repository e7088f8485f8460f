package dev.tessera.compiler.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryReader;
import dev.tessera.compiler.ipset.IpSet;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.Peer;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.testsupport.Conformance;
import dev.tessera.testsupport.RequiresConformance;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Conformance against Tailscale's own compiler output, as captured in headscale's testdata ({@code
 * hscontrol/policy/v2/testdata}), read from the project's conformance data ({@link
 * Conformance#headscale}; without it the test skips, and fails under {@code
 * TESSERA_REQUIRE_ALL=1}).
 *
 * <p>For each capture: a policy Tailscale accepted (HTTP 200) must be valid here and compile, and
 * every node's IP filter must allow exactly the packets Tailscale's allowed ({@link
 * FilterMeaning}); peers must match too (the netmap's peer names and AllowedIPs). A policy
 * Tailscale rejected (HTTP 400) must be rejected here. Policies rejected only because their {@code
 * tests} failed are policy-tests' business and counted as n/a here. Every failure must be listed,
 * with its reason, in {@code conformance-known-deviations.txt}; a new one fails the build. The acl,
 * grant and routes pass rates go to {@code bin/test}'s summary.
 */
class HeadscaleConformanceTest {
  static final List<String> FOLDERS =
      List.of("acl_results", "grant_results", "routes_results", "policytest_results", "issue_3212");

  enum Outcome {
    PASS,
    FAIL,
    NA
  }

  record Result(String id, String folder, Outcome filters, Outcome peers, String detail) {}

  @Test
  @RequiresConformance
  void tailscaleCapturesCompileToTheSameFilters() throws IOException {
    Optional<Path> dir = Optional.of(Conformance.headscale());
    Map<String, String> known = knownDeviations();
    List<Result> results = new ArrayList<>();
    for (String folder : FOLDERS) {
      Path f = dir.get().resolve(folder);
      if (!Files.isDirectory(f)) {
        continue;
      }
      List<Path> files;
      try (Stream<Path> s = Files.list(f)) {
        files = s.filter(p -> p.toString().endsWith(".hujson")).sorted().toList();
      }
      for (Path file : files) {
        results.add(check(file));
      }
    }
    StringBuilder report = new StringBuilder();
    Map<String, int[]> perFolder = new LinkedHashMap<>();
    List<String> unexpected = new ArrayList<>();
    for (Result r : results) {
      int[] c = perFolder.computeIfAbsent(r.folder(), k -> new int[6]);
      count(c, 0, r.filters());
      count(c, 3, r.peers());
      boolean failed = r.filters() == Outcome.FAIL || r.peers() == Outcome.FAIL;
      if (failed) {
        report
            .append("FAIL ")
            .append(r.folder())
            .append('/')
            .append(r.id())
            .append(known.containsKey(r.id()) ? " (known: " + known.get(r.id()) + ")" : " (NEW)")
            .append('\n')
            .append(r.detail());
        if (!known.containsKey(r.id())) {
          unexpected.add(r.id());
        }
      }
    }
    StringBuilder summary =
        new StringBuilder("headscale/Tailscale conformance (" + dir.get() + ")\n");
    for (Map.Entry<String, int[]> e : perFolder.entrySet()) {
      int[] c = e.getValue();
      summary.append(
          String.format(
              "  %-20s filters %3d/%-3d pass (%5.1f%%), n/a %3d | peers %3d/%-3d pass (%5.1f%%)%n",
              e.getKey(),
              c[0],
              c[0] + c[1],
              pct(c[0], c[0] + c[1]),
              c[2],
              c[3],
              c[3] + c[4],
              pct(c[3], c[3] + c[4])));
    }
    for (Map.Entry<String, int[]> e : perFolder.entrySet()) {
      int[] c = e.getValue();
      String name = e.getKey().replace("_results", "");
      if (List.of("acl", "grant", "routes").contains(name)) {
        Conformance.recordRate(name, c[0], c[0] + c[1]);
      }
    }
    Path out = Path.of("target", "conformance-report.txt");
    Files.createDirectories(out.getParent());
    Files.writeString(out, summary + "\n" + report);
    System.out.println(summary);
    System.out.println("details: " + out.toAbsolutePath());
    assertThat(unexpected)
        .as(
            "captures that fail and are not listed in conformance-known-deviations.txt;"
                + " see "
                + out.toAbsolutePath())
        .isEmpty();
  }

  private static double pct(int a, int n) {
    return n == 0 ? 100.0 : 100.0 * a / n;
  }

  private static void count(int[] c, int base, Outcome o) {
    switch (o) {
      case PASS -> c[base]++;
      case FAIL -> c[base + 1]++;
      case NA -> c[base + 2]++;
    }
  }

  static Map<String, String> knownDeviations() throws IOException {
    Map<String, String> m = new TreeMap<>();
    try (InputStream in =
        HeadscaleConformanceTest.class.getResourceAsStream("conformance-known-deviations.txt")) {
      if (in == null) {
        return m;
      }
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        line = line.strip();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        int sp = line.indexOf(' ');
        m.put(sp < 0 ? line : line.substring(0, sp), sp < 0 ? "" : line.substring(sp + 1).strip());
      }
    }
    return m;
  }

  static Result check(Path file) {
    CaptureConverter.Capture c;
    try {
      c = CaptureConverter.read(file);
    } catch (IOException | RuntimeException e) {
      return new Result(
          file.getFileName().toString(),
          file.getParent().getFileName().toString(),
          Outcome.FAIL,
          Outcome.NA,
          "  unreadable capture: " + e + "\n");
    }
    PolicyResult pr = Policies.read(c.id() + ".hujson", c.policyText(), Syntax.HUJSON);
    if (c.apiStatus() != 200) {
      if (c.apiMessage().contains("test(s) failed")) {
        // Valid policy whose tests failed: policy-tests checks the verdicts.
        return new Result(
            c.id(),
            c.folder(),
            pr.ok() ? Outcome.NA : Outcome.FAIL,
            Outcome.NA,
            pr.ok()
                ? ""
                : "  rejected a policy Tailscale only rejected for its tests: "
                    + pr.errors()
                    + "\n");
      }
      return new Result(
          c.id(),
          c.folder(),
          pr.ok() ? Outcome.FAIL : Outcome.PASS,
          Outcome.NA,
          pr.ok() ? "  accepted a policy Tailscale rejected: " + c.apiMessage() + "\n" : "");
    }
    if (!pr.ok()) {
      return new Result(
          c.id(),
          c.folder(),
          Outcome.FAIL,
          Outcome.NA,
          "  rejected a policy Tailscale accepted: " + pr.errors() + "\n");
    }
    Diagnostics d = new Diagnostics();
    Inventory inv = InventoryReader.read(c.id() + ".yaml", c.inventoryYaml(pr.policy().get()), d);
    Map<String, List<String>> nodeSpace = c.nodeSpace(pr.policy().get());
    if (d.hasErrors()) {
      return new Result(
          c.id(), c.folder(), Outcome.FAIL, Outcome.NA, "  inventory: " + d.sorted() + "\n");
    }
    Compilation comp = Compiler.compile(pr.policy().get(), inv);
    if (comp.hasErrors()) {
      return new Result(
          c.id(),
          c.folder(),
          Outcome.FAIL,
          Outcome.NA,
          "  compile errors: "
              + comp.diagnostics().stream().filter(Diagnostic::isError).toList()
              + "\n");
    }
    StringBuilder detail = new StringBuilder();
    boolean filtersOk = true;
    for (Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> e :
        c.expectedRules().entrySet()) {
      String node = e.getKey();
      IpSet space = space(nodeSpace.getOrDefault(node, List.of()));
      FilterMeaning want = FilterMeaning.ofTailscale(e.getValue(), space);
      Optional<CompiledFilter> got = comp.filter(node);
      FilterMeaning mine =
          got.map(f -> FilterMeaning.of(f, space)).orElse(FilterMeaning.ofTailscale(null, space));
      String diff = FilterMeaning.difference(want, mine);
      if (!diff.isEmpty()) {
        filtersOk = false;
        detail.append(" node ").append(node).append(" filter differs:\n").append(diff);
      }
    }
    boolean peersOk = true;
    // Routes approved on several routers (HA): Tailscale announces each from one primary router,
    // elected by registration order and failover, which the inventory does not record. Compare
    // them out of the peer comparison (docs/semantics.md, "HA routes").
    Map<String, Integer> routers = new TreeMap<>();
    for (List<String> sp : nodeSpace.values()) {
      for (String r : sp) {
        if (r.contains("/")) {
          routers.merge(IpPrefix.parse(r, true).toString(), 1, Integer::sum);
        }
      }
    }
    java.util.Set<String> ha = new TreeSet<>();
    routers.forEach(
        (r, k) -> {
          if (k > 1 && !r.endsWith("/0")) {
            ha.add(r);
          }
        });
    for (Map.Entry<String, Map<String, List<String>>> e : c.expectedPeers().entrySet()) {
      String node = e.getKey();
      Map<String, TreeSet<String>> want = new TreeMap<>();
      for (Map.Entry<String, List<String>> p : e.getValue().entrySet()) {
        want.put(p.getKey(), canon(p.getValue()));
      }
      Map<String, TreeSet<String>> got = new TreeMap<>();
      comp.filter(node)
          .ifPresent(
              f -> {
                for (Peer p : f.peers()) {
                  List<String> all = new ArrayList<>();
                  p.addresses().forEach(a -> all.add(a.toString()));
                  p.routes().forEach(a -> all.add(a.toString()));
                  got.put(p.name(), canon(all));
                }
              });
      if (!stripHa(want, ha).equals(stripHa(got, ha))) {
        peersOk = false;
        detail
            .append(" node ")
            .append(node)
            .append(" peers differ:\n   want ")
            .append(want)
            .append("\n   got  ")
            .append(got)
            .append('\n');
      }
    }
    return new Result(
        c.id(),
        c.folder(),
        filtersOk ? Outcome.PASS : Outcome.FAIL,
        c.expectedPeers().isEmpty() ? Outcome.NA : peersOk ? Outcome.PASS : Outcome.FAIL,
        detail.toString());
  }

  /** Peers without HA routes. */
  private static Map<String, TreeSet<String>> stripHa(
      Map<String, TreeSet<String>> peers, java.util.Set<String> ha) {
    Map<String, TreeSet<String>> out = new TreeMap<>();
    Map<String, Integer> carried = new TreeMap<>();
    peers.forEach(
        (name, routes) -> {
          TreeSet<String> rs = new TreeSet<>();
          for (String r : routes) {
            if (ha.contains(r)) {
              carried.merge(r, 1, Integer::sum);
            } else {
              rs.add(r);
            }
          }
          out.put(name, rs);
        });
    return out;
  }

  private static TreeSet<String> canon(List<String> prefixes) {
    TreeSet<String> out = new TreeSet<>();
    for (String s : prefixes) {
      out.add(IpPrefix.parse(s, true).toString());
    }
    return out;
  }

  static IpSet space(List<String> addrsAndRoutes) {
    IpSet.Builder b = IpSet.builder();
    for (String s : addrsAndRoutes) {
      b.add(IpPrefix.parse(s, true));
    }
    return b.build();
  }
}
