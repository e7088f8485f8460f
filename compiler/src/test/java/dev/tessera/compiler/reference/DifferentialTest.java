package dev.tessera.compiler.reference;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.enforcer.Matcher;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.testsupport.Seed;
import dev.tessera.testsupport.Seeded;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Differential property test: for random tailnets and packets, the enforcer's {@link Matcher} on
 * the compiled filter of the receiving node decides exactly as the {@link ReferenceEvaluator} does
 * on the policy AST. Seeded; the failing seed and packet are printed.
 */
@Seeded
class DifferentialTest {
  private static final int[] PROTOS = {6, 17, 1, 58, 132, 47};
  private static final int[] PORTS = {0, 22, 80, 85, 443, 1500, 5432, 65535};

  @Test
  void compiledFilterAndMatcherAgreeWithReferenceEvaluator(Seed given) {
    long base = given.value();
    int tailnets = Integer.getInteger("tessera.tailnets", 150);
    long checked = 0;
    long allowed = 0;
    for (int t = 0; t < tailnets; t++) {
      long seed = base + t;
      RandomTailnet tn = new RandomTailnet(seed);
      Compilation c = Compiler.compile(tn.policy, tn.inventory);
      assertThat(c.hasErrors()).as("seed %d: %s", seed, c.diagnostics()).isFalse();
      ReferenceEvaluator ref = new ReferenceEvaluator(tn.policy, tn.inventory);
      Random r = new Random(seed * 31 + 7);
      for (InventoryNode at : tn.inventory.nodes()) {
        CompiledFilter f = c.filter(at.name()).orElseThrow();
        Matcher m = Matcher.of(f);
        for (IpAddress dst : destinations(at, r)) {
          for (IpAddress src : tn.probeSources) {
            if (src.ipv6() != dst.ipv6()) {
              continue;
            }
            for (int proto : PROTOS) {
              if (proto == 1 && dst.ipv6() || proto == 58 && !dst.ipv6()) {
                continue;
              }
              int port = PORTS[r.nextInt(PORTS.length)];
              boolean want = ref.allows(at.name(), src, dst, proto, port);
              boolean got = m.allows(src, dst, proto, port);
              assertThat(got)
                  .as(
                      "seed %d (-Dtessera.seed=%d -Dtessera.tailnets=1): at %s %s -> %s proto %d port %d"
                          + "%npolicy acls=%s%ngrants=%s%nfilter=%s",
                      seed,
                      seed,
                      at.name(),
                      src,
                      dst,
                      proto,
                      port,
                      tn.policy.acls(),
                      tn.policy.grants(),
                      f)
                  .isEqualTo(want);
              checked++;
              if (want) {
                allowed++;
              }
            }
          }
        }
      }
    }
    System.out.printf(
        "differential: %d decisions, %d allowed, base seed %d%n", checked, allowed, base);
    assertThat(allowed).as("the generator must produce some allowed flows").isPositive();
    assertThat(checked - allowed).as("and some denied ones").isPositive();
  }

  /** The node's addresses, addresses inside its routes, and public addresses for exit nodes. */
  private static List<IpAddress> destinations(InventoryNode at, Random r) {
    List<IpAddress> out = new ArrayList<>(at.ips());
    for (IpPrefix route : at.routes()) {
      if (route.bits() == 0) {
        out.add(IpAddress.parse(route.ipv6() ? "2001:db8::1" : "8.8.8.8"));
        out.add(IpAddress.parse(route.ipv6() ? "fd00:10::9" : "10.1.2.3"));
      } else {
        out.add(route.address());
        IpAddress a = route.address();
        out.add(
            a.ipv6()
                ? new IpAddress(true, a.hi(), a.lo() + 5)
                : IpAddress.ofV4(a.v4() + 2 + r.nextInt(3)));
      }
    }
    return out;
  }
}
