package dev.tessera.policytests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.ir.Clause;
import dev.tessera.compiler.ir.Destination;
import dev.tessera.compiler.ir.ResolvedRule;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpProtocol;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.SourceSpan;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.function.ToIntFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Differential: random assertions on the example tailnets, decided twice. Once the way {@code
 * policyc test} does it (compiled per-node filters, the enforcer's Matcher); once by a deliberately
 * naive reading of the compiler's resolved rules (a global rule list, as headscale evaluates tests,
 * but per address family). They must agree on every assertion. Seeded; the seed is printed on
 * failure.
 */
class DifferentialTest {

  static final int[] PORTS = {22, 53, 80, 443, 631, 5432, 8085, 9100, 9999};

  @ParameterizedTest
  @ValueSource(strings = {"acme", "failing"})
  void matcherAgreesWithTheResolvedRules(String example) throws Exception {
    String policyFile = "examples/" + example + "/policy.hujson";
    Policy policy = PolicyTesterTest.repoPolicy(policyFile);
    Inventory inv =
        PolicyTesterTest.inventory(
            PolicyTesterTest.root().resolve("examples/" + example + "/inventory.yaml"));
    PolicyTester.Result r =
        PolicyTester.run(
            new PolicyTester.Input(policy, policyFile, Optional.of(inv), List.of()),
            PolicyTestInputs.compiler());
    PolicyTester.Result.Ran ran = (PolicyTester.Result.Ran) r;
    Evaluator ev = ran.evaluator();
    List<ResolvedRule> rules = ran.compiled().rules();
    ToIntFunction<String> id = ran.compiled().nodeId();
    List<InventoryNode> devices =
        ev.tailnet().devices().stream().filter(d -> !Tailnet.standIn(d)).toList();

    long seed = new Random().nextLong();
    Random rnd = new Random(seed);
    int allowedCount = 0;
    for (int i = 0; i < 1500; i++) {
      InventoryNode src = devices.get(rnd.nextInt(devices.size()));
      InventoryNode dst = devices.get(rnd.nextInt(devices.size()));
      int port = PORTS[rnd.nextInt(PORTS.length)];
      OptionalInt proto =
          switch (rnd.nextInt(3)) {
            case 0 -> OptionalInt.empty();
            case 1 -> OptionalInt.of(IpProtocol.TCP);
            default -> OptionalInt.of(IpProtocol.UDP);
          };
      SourceSpan s = SourceSpan.NONE;
      Assertion a =
          new Assertion(
              0,
              s,
              s,
              Assertion.Expect.ALLOW,
              new TestTarget.Node(src.name()),
              src.name(),
              new TestTarget.Node(dst.name()),
              dst.name() + ":" + port,
              port,
              proto);
      boolean viaMatcher = ev.evaluate(a).allowed();
      boolean naive = naive(rules, id, src, dst, port, proto);
      assertThat(viaMatcher)
          .as(
              "seed %d: %s -> %s:%d %s (matcher vs resolved rules)",
              seed, src.name(), dst.name(), port, proto)
          .isEqualTo(naive);
      allowedCount += viaMatcher ? 1 : 0;
    }
    // Both outcomes must occur, or the comparison proves little.
    assertThat(allowedCount).as("seed %d", seed).isBetween(1, 1499);
  }

  /** Every source address reaches one of dst's addresses of its family under some rule. */
  static boolean naive(
      List<ResolvedRule> rules,
      ToIntFunction<String> id,
      InventoryNode src,
      InventoryNode dst,
      int port,
      OptionalInt proto) {
    int considered = 0;
    for (IpAddress s : src.ips()) {
      List<IpAddress> ds = new ArrayList<>();
      for (IpAddress d : dst.ips()) {
        if (d.ipv6() == s.ipv6()) {
          ds.add(d);
        }
      }
      if (ds.isEmpty()) {
        continue;
      }
      considered++;
      boolean ok = false;
      for (IpAddress d : ds) {
        for (ResolvedRule r : rules) {
          if (!r.sources().contains(s)) {
            continue;
          }
          for (Clause c : r.clauses()) {
            if (covers(c.destination(), id, src, dst, d) && protoPort(c, d, port, proto)) {
              ok = true;
            }
          }
        }
      }
      if (!ok) {
        return false;
      }
    }
    return considered > 0;
  }

  static boolean covers(
      Destination dest,
      ToIntFunction<String> id,
      InventoryNode src,
      InventoryNode dst,
      IpAddress d) {
    return switch (dest) {
      case Destination.Any a -> true;
      case Destination.Nodes n -> n.nodes().get(id.applyAsInt(dst.name()));
      case Destination.Prefixes p -> p.set().contains(d);
      case Destination.Self self -> dst.owner().isPresent() && dst.owner().equals(src.owner());
      case Destination.Internet i -> false;
    };
  }

  static boolean protoPort(Clause c, IpAddress d, int port, OptionalInt proto) {
    List<Integer> ps = c.protocols().isEmpty() ? IpProtocol.DEFAULT : c.protocols();
    if (proto.isPresent()) {
      return ps.contains(proto.getAsInt()) && c.ports().contains(port);
    }
    int icmp = d.ipv6() ? IpProtocol.ICMPV6 : IpProtocol.ICMP;
    return (ps.contains(IpProtocol.TCP) || ps.contains(IpProtocol.UDP) || ps.contains(icmp))
        && c.ports().contains(port);
  }
}
