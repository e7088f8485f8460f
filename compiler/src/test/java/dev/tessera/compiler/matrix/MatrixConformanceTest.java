package dev.tessera.compiler.matrix;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.enforcer.Matcher;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.net.IpProtocol;
import dev.tessera.policy.ast.Policy;
import dev.tessera.testsupport.Conformance;
import dev.tessera.testsupport.RequiresConformance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The matrix is the Matcher: every cell of the matrices of Tailscale's captured policies (the
 * headscale captures converted to policy + inventory) and of the 70 real policy files (on a
 * synthesized inventory) equals what {@link Matcher#explain} says for probe packets of that cell,
 * empty cells included.
 *
 * <p>Probes are complete, not sampled: the Matcher's answer for a (source, destination) pair is
 * constant between the port boundaries of the destination's filter, and the cell's claim is
 * constant between its own segment boundaries, so asking at every such boundary, one port either
 * side, and at every protocol either side names finds any disagreement. Node cells must equal the
 * union of the Matcher's answers over the two nodes' address pairs (allowed, and the granting
 * rules); a subnet column or external row claims what every address of its prefix has, so its
 * claims must hold at the prefix's first and last address, and be exact for a host prefix.
 *
 * <p>Data: {@link Conformance} ({@code ../shared/conformance} beside the project root, or {@code
 * -Dtessera.conformance.dir} / {@code TESSERA_CONFORMANCE_DIR}).
 */
class MatrixConformanceTest {
  private static final int[] EXTRA_PROTOS = {
    IpProtocol.ICMP, IpProtocol.TCP, IpProtocol.UDP, IpProtocol.ICMPV6, IpProtocol.SCTP, 2, 47, 50
  };

  @Test
  @RequiresConformance
  void everyCellOfTheHeadscaleCapturesIsTheMatchers() throws IOException {
    Path root = Conformance.tailscale();
    Report report = new Report();
    for (String folder : List.of("acl", "grant", "routes", "policytest")) {
      for (Path c : list(root.resolve(folder))) {
        if (Files.readString(c.resolve("expect.json")).matches("(?s).*\"error\"\\s*:\\s*true.*")) {
          continue; // Tailscale rejected the policy: there is no matrix to check
        }
        report.check(
            folder + "/" + c.getFileName(),
            Files.readString(c.resolve("policy.hujson")),
            Files.readString(c.resolve("inventory.yaml")));
      }
    }
    report.finish("matrix_captures", 300);
  }

  @Test
  @RequiresConformance
  void everyCellOfTheRealPoliciesIsTheMatchers() throws IOException {
    Path root = Conformance.wild();
    List<String> valid =
        Files.readAllLines(root.resolve("expected.tsv")).stream()
            .filter(l -> l.matches("\\d+\\tvalid\\t.*"))
            .map(l -> l.substring(0, l.indexOf('\t')))
            .toList();
    Report report = new Report();
    for (String id : valid) {
      Path p =
          Files.list(root.resolve(id))
              .filter(f -> f.getFileName().toString().startsWith("policy."))
              .findFirst()
              .orElseThrow();
      report.check("wild/" + id, Files.readString(p), null);
    }
    report.finish(
        "matrix_real_files",
        40); // some valid files use constructs this build rejects: policy-lang's conformance, not
    // the matrix's
  }

  private static List<Path> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isDirectory).sorted().toList();
    }
  }

  /** Checks cases, collecting failures, so one run reports all of them. */
  private static final class Report {
    int checked;
    long cells;
    long probes;
    final List<String> notCompiled = new ArrayList<>();
    final List<String> failures = new ArrayList<>();

    void check(String name, String policy, String inventory) {
      AuditLoader l = new AuditLoader();
      Optional<Policy> p = l.policy("policy.hujson", policy);
      Optional<Inventory> inv =
          p.isEmpty()
              ? Optional.empty()
              : inventory == null
                  ? Optional.of(SyntheticInventory.from(p.get()))
                  : l.inventory("inventory.yaml", inventory);
      PolicyIndex idx = p.map(x -> PolicyIndex.of(x, "policy.hujson")).orElse(null);
      Optional<CompiledNetwork> net =
          inv.isEmpty() ? Optional.empty() : l.compile(idx, inv.get(), inventory == null);
      if (net.isEmpty()) {
        notCompiled.add(name);
        return;
      }
      checked++;
      try {
        checkMatrix(name, net.get());
      } catch (AssertionError e) {
        failures.add(name + ": " + e.getMessage());
      }
    }

    void finish(String rate, int minimum) {
      Conformance.recordRate(rate, checked - failures.size(), checked);
      System.out.printf(
          "matrix == Matcher: %d policies, %d cells, %d probes checked; %d not compiled here %s%n",
          checked, cells, probes, notCompiled.size(), notCompiled);
      assertThat(failures).as("matrix cells that disagree with the Matcher").isEmpty();
      assertThat(checked).as("policies checked").isGreaterThanOrEqualTo(minimum);
      assertThat(cells).as("cells with access seen").isPositive();
    }

    void checkMatrix(String name, CompiledNetwork net) {
      AccessMatrix m = new MatrixBuilder(net).build(name, List.of());
      cells += m.cellCount();
      List<Matcher> matchers = new ArrayList<>();
      for (int i = 0; i < net.nodes().size(); i++) {
        matchers.add(net.matcher(i));
      }
      java.util.Map<String, Integer> nodeIndex = new java.util.HashMap<>();
      for (int i = 0; i < net.nodes().size(); i++) {
        nodeIndex.put(net.nodes().get(i).name(), i);
      }
      for (int d = 0; d < m.destinations().size(); d++) {
        Endpoint de = m.destinations().get(d);
        int router = nodeIndex.get(de.kind() == Endpoint.Kind.SUBNET ? de.via() : de.id());
        Matcher mt = matchers.get(router);
        CompiledFilter f = net.filter(router);
        List<List<IpAddress>> dsts = probeGroups(de);
        for (int s = 0; s < m.sources().size(); s++) {
          Endpoint se = m.sources().get(s);
          Cell cell = m.cell(s, d);
          List<List<IpAddress>> srcs = probeGroups(se);
          boolean exact = isExact(de) && isExact(se);
          for (int proto : protocols(f, cell)) {
            for (int port : ports(f, cell, proto)) {
              probes++;
              TreeSet<Integer> claimed = claimed(cell, proto, port);
              TreeSet<Integer> want = null;
              for (List<IpAddress> gs : srcs) {
                for (List<IpAddress> gd : dsts) {
                  TreeSet<Integer> union = new TreeSet<>();
                  for (IpAddress a : gs) {
                    for (IpAddress b : gd) {
                      granting(net, mt, a, b, proto, port, union);
                    }
                  }
                  if (want == null) {
                    want = union;
                  } else {
                    want.retainAll(union);
                  }
                }
              }
              if (exact ? !claimed.equals(want) : !want.containsAll(claimed)) {
                throw new AssertionError(
                    se.id()
                        + " -> "
                        + de.id()
                        + " proto "
                        + proto
                        + " port "
                        + port
                        + ": cell claims rules "
                        + claimed
                        + ", the Matcher grants "
                        + want
                        + (exact ? "" : " at both ends of the prefix")
                        + " (cell: "
                        + CellText.text(cell, m.rules())
                        + ")");
              }
            }
          }
        }
      }
    }
  }

  private static void granting(
      CompiledNetwork net,
      Matcher mt,
      IpAddress a,
      IpAddress b,
      int proto,
      int port,
      TreeSet<Integer> out) {
    if (a.ipv6() != b.ipv6() || !mt.allows(a, b, proto, port)) {
      return;
    }
    mt.explain(a, b, proto, port).origins().forEach(o -> out.add(net.ruleIndex(o)));
  }

  /**
   * Who stands for an endpoint: a node is one group of its addresses (its cell is the union over
   * them); a subnet or external prefix is the first and the last address, each its own group (its
   * cell must hold for every address).
   */
  private static List<List<IpAddress>> probeGroups(Endpoint e) {
    if (e.kind() == Endpoint.Kind.NODE) {
      return List.of(e.addresses().stream().map(IpAddress::parse).toList());
    }
    IpPrefix p = IpPrefix.parse(e.addresses().getFirst());
    IpAddress last =
        p.ipv6() ? IpAddress.ofV6(p.lastHi(), p.lastLo()) : IpAddress.ofV4((int) p.lastLo());
    return p.isHost()
        ? List.of(List.of(p.address()))
        : List.of(List.of(p.address()), List.of(last));
  }

  /** Nodes and host prefixes are checked for equality; wider prefixes for claims that hold. */
  private static boolean isExact(Endpoint e) {
    return e.kind() == Endpoint.Kind.NODE || IpPrefix.parse(e.addresses().getFirst()).isHost();
  }

  private static TreeSet<Integer> claimed(Cell cell, int proto, int port) {
    TreeSet<Integer> out = new TreeSet<>();
    for (Cell.ProtoPorts pp : cell.protocols()) {
      if (pp.proto() == proto) {
        for (Segment s : pp.segments()) {
          if (!IpProtocol.hasPorts(proto) || (s.first() <= port && port <= s.last())) {
            for (int r : s.rules()) {
              out.add(r);
            }
          }
        }
      }
    }
    return out;
  }

  /** Every protocol the filter or the cell names, and a few neither names. */
  private static TreeSet<Integer> protocols(CompiledFilter f, Cell cell) {
    TreeSet<Integer> out = new TreeSet<>();
    for (int p : EXTRA_PROTOS) {
      out.add(p);
    }
    for (FilterRule r : f.rules()) {
      for (int p : r.effectiveProtocols()) {
        out.add(p);
        out.add(Math.max(0, p - 1));
        out.add(Math.min(255, p + 1));
      }
    }
    cell.protocols().forEach(pp -> out.add(pp.proto()));
    return out;
  }

  /**
   * Every boundary of the filter's port ranges and the cell's segments, with a port either side.
   */
  private static TreeSet<Integer> ports(CompiledFilter f, Cell cell, int proto) {
    TreeSet<Integer> out = new TreeSet<>();
    if (!IpProtocol.hasPorts(proto)) {
      out.add(0);
      return out;
    }
    List<int[]> ranges = new ArrayList<>();
    for (FilterRule r : f.rules()) {
      for (DstPorts d : r.destinations()) {
        ranges.add(new int[] {d.firstPort(), d.lastPort()});
      }
    }
    for (Cell.ProtoPorts pp : cell.protocols()) {
      for (Segment s : pp.segments()) {
        ranges.add(new int[] {s.first(), s.last()});
      }
    }
    out.add(0);
    out.add(65535);
    for (int[] r : ranges) {
      for (int p : new int[] {r[0] - 1, r[0], r[0] + 1, r[1] - 1, r[1], r[1] + 1}) {
        if (p >= 0 && p <= 65535) {
          out.add(p);
        }
      }
    }
    return out;
  }
}
