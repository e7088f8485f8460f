package dev.tessera.compiler.matrix;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.inventory.InventoryUser;
import dev.tessera.compiler.inventory.Role;
import dev.tessera.enforcer.Matcher;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.SourceSpan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Differential test: every cell of the matrix must say exactly what the enforcer's Matcher says for
 * the same packets, and name exactly the rules the Matcher reports as granting them. Random
 * compiled filters (both families, subnet routes, external sources, every protocol kind, port
 * ranges) over a dozen nodes; the seed is in the test name and failure message.
 */
class MatcherAgreementTest {
  private static final int[] PROTOS = {6, 17, 132, 1, 58, 47};

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
  void matrixAgreesWithMatcher(long seed) {
    Random rnd = new Random(seed);
    int n = 6 + rnd.nextInt(7);
    List<InventoryNode> nodes = new ArrayList<>();
    List<InventoryUser> users = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      List<IpPrefix> routes =
          rnd.nextInt(4) == 0 ? List.of(IpPrefix.parse("10." + i + ".0.0/24")) : List.of();
      String user = "u" + (i % 3) + "@x.io";
      if (i < 3) {
        users.add(new InventoryUser(user, Role.MEMBER, SourceSpan.NONE));
      }
      boolean tagged = rnd.nextBoolean();
      nodes.add(
          InventoryNode.of(
              "n" + i,
              tagged ? null : user,
              tagged ? List.of("tag:t" + (i % 2)) : List.of(),
              List.of(v4(i), v6(i)),
              Map.of(),
              routes));
    }
    Inventory inv = new Inventory(users, nodes);
    Map<String, CompiledFilter> filters = new HashMap<>();
    Map<String, Matcher> matchers = new HashMap<>();
    int origin = 0;
    for (int i = 0; i < n; i++) {
      List<FilterRule> rules = new ArrayList<>();
      int count = rnd.nextInt(6);
      for (int r = 0; r < count; r++) {
        rules.add(randomRule(rnd, n, i, nodes.get(i), origin++));
      }
      CompiledFilter f =
          CompiledFilter.of("n" + i, nodes.get(i).addressPrefixes(), rules, List.of(), List.of());
      filters.put("n" + i, f);
      matchers.put("n" + i, Matcher.of(f));
    }
    CompiledNetwork net = CompiledNetworks.of(PolicyIndex.of(Policy.empty(), "p"), inv, filters);
    AccessMatrix m = new MatrixBuilder(net).build("t", List.of());
    Map<String, Integer> srcIdx = index(m.sources());
    Map<String, Integer> dstIdx = index(m.destinations());
    int[] ports = {0, 1, 22, 80, 443, 1000, 8080, 65535, rnd.nextInt(65536)};
    int allowedPackets = 0;
    for (InventoryNode s : nodes) {
      for (InventoryNode d : nodes) {
        Cell cell = m.cell(srcIdx.get(s.name()), dstIdx.get(d.name()));
        Matcher mt = matchers.get(d.name());
        for (int proto : PROTOS) {
          for (int port : ports) {
            Set<String> want = new TreeSet<>();
            boolean allowed = false;
            for (IpAddress a : s.ips()) {
              for (IpAddress b : d.ips()) {
                var res = mt.explain(a, b, proto, port);
                allowed |= res.allowed();
                res.origins().forEach(o -> want.add(o.kind() + "[" + o.index() + "]"));
              }
            }
            Set<String> got = granting(cell, m, proto, port);
            allowedPackets += allowed ? 1 : 0;
            assertThat(!got.isEmpty())
                .as(
                    "seed %d: %s -> %s proto %d port %d (cell %s)",
                    seed, s.name(), d.name(), proto, port, CellText.text(cell, m.rules()))
                .isEqualTo(allowed);
            assertThat(got)
                .as(
                    "seed %d: granting rules %s -> %s proto %d port %d",
                    seed, s.name(), d.name(), proto, port)
                .isEqualTo(want);
          }
        }
      }
      // Subnet columns: everything a cell claims holds for every address of the prefix, and for
      // a host prefix it is exactly what the Matcher allows.
      for (int c = 0; c < m.destinations().size(); c++) {
        Endpoint e = m.destinations().get(c);
        if (e.kind() != Endpoint.Kind.SUBNET) {
          continue;
        }
        IpPrefix pfx = IpPrefix.parse(e.addresses().getFirst());
        IpAddress target = pfx.address();
        IpAddress last =
            pfx.ipv6()
                ? IpAddress.ofV6(pfx.lastHi(), pfx.lastLo())
                : IpAddress.ofV4((int) pfx.lastLo());
        Matcher mt = matchers.get(e.via());
        Cell cell = m.cell(srcIdx.get(s.name()), c);
        for (int proto : PROTOS) {
          for (int port : ports) {
            boolean claimed = !granting(cell, m, proto, port).isEmpty();
            boolean first = false;
            boolean lastOk = false;
            for (IpAddress a : s.ips()) {
              first |= mt.allows(a, target, proto, port);
              lastOk |= mt.allows(a, last, proto, port);
            }
            if (claimed) {
              assertThat(first && lastOk)
                  .as("seed %d: %s -> %s proto %d port %d", seed, s.name(), e.label(), proto, port)
                  .isTrue();
            }
            if (pfx.isHost()) {
              assertThat(claimed)
                  .as("seed %d: %s -> %s proto %d port %d", seed, s.name(), e.label(), proto, port)
                  .isEqualTo(first);
            }
          }
        }
      }
    }
    // Guard against a vacuous pass: every seed's filters allow some of the probed packets.
    assertThat(allowedPackets).as("seed %d: probed packets allowed", seed).isPositive();
  }

  private static Set<String> granting(Cell cell, AccessMatrix m, int proto, int port) {
    Set<String> got = new TreeSet<>();
    for (Cell.ProtoPorts pp : cell.protocols()) {
      if (pp.proto() != proto) {
        continue;
      }
      for (Segment seg : pp.segments()) {
        if (seg.first() <= port && port <= seg.last()) {
          for (int r : seg.rules()) {
            got.add(m.rules().get(r).origin().kind() + "[" + m.rules().get(r).index() + "]");
          }
        }
      }
    }
    return got;
  }

  private static Map<String, Integer> index(List<Endpoint> l) {
    Map<String, Integer> m = new HashMap<>();
    for (int i = 0; i < l.size(); i++) {
      m.put(l.get(i).id(), i);
    }
    return m;
  }

  private static IpAddress v4(int i) {
    return IpAddress.parse("100.64.0." + (i + 1));
  }

  private static IpAddress v6(int i) {
    return IpAddress.parse("fd7a:115c:a1e0::" + Integer.toHexString(i + 1));
  }

  private static FilterRule randomRule(
      Random rnd, int n, int self, InventoryNode node, int origin) {
    List<IpPrefix> srcs = new ArrayList<>();
    int k = 1 + rnd.nextInt(3);
    for (int j = 0; j < k; j++) {
      int pick = rnd.nextInt(10);
      int other = rnd.nextInt(n);
      srcs.add(
          switch (pick) {
            case 0 -> IpPrefix.parse("100.64.0.0/10");
            case 1 -> IpPrefix.parse("fd7a:115c:a1e0::/48");
            case 2 -> IpPrefix.parse("192.168." + rnd.nextInt(3) + ".0/24");
            case 3 -> IpPrefix.ALL_V4;
            case 4, 5 -> IpPrefix.host(v6(other));
            default -> IpPrefix.host(v4(other));
          });
    }
    List<Integer> protos = new ArrayList<>();
    if (rnd.nextInt(3) > 0) {
      int pc = 1 + rnd.nextInt(2);
      for (int j = 0; j < pc; j++) {
        int p = PROTOS[rnd.nextInt(PROTOS.length)];
        if (!protos.contains(p)) {
          protos.add(p);
        }
      }
    }
    List<DstPorts> dsts = new ArrayList<>();
    int dc = 1 + rnd.nextInt(3);
    for (int j = 0; j < dc; j++) {
      IpPrefix pfx;
      int pick = rnd.nextInt(6);
      if (pick == 0) {
        pfx = rnd.nextBoolean() ? IpPrefix.ALL_V4 : IpPrefix.ALL_V6;
      } else if (pick == 1 && !node.routes().isEmpty()) {
        IpPrefix r = node.routes().getFirst();
        pfx =
            rnd.nextBoolean()
                ? r
                : IpPrefix.parse("10." + self + ".0." + (rnd.nextInt(4) * 8) + "/29");
      } else if (pick == 2 && !node.routes().isEmpty()) {
        pfx = IpPrefix.parse("10." + self + ".0." + rnd.nextInt(8));
      } else {
        pfx = rnd.nextBoolean() ? IpPrefix.host(v4(self)) : IpPrefix.host(v6(self));
      }
      int a = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(2000);
      int b = a == 0 ? 65535 : a + rnd.nextInt(500);
      dsts.add(new DstPorts(pfx, a, b));
    }
    return new FilterRule(srcs, protos, dsts, RuleOrigin.synthetic("acl", origin));
  }
}
