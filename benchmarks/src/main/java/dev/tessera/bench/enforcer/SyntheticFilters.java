package dev.tessera.bench.enforcer;

import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.net.IpProtocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Per-node filters shaped like compiler output for a large tailnet: each rule lets a handful of
 * tailnet hosts (and sometimes a /24 or a subnet route) reach one of this node's addresses on a
 * port or port range, over TCP, UDP or the default protocol set. Rules are numbered so that
 * benchmark packets can be aimed at the last rule (worst case) or at no rule.
 */
public final class SyntheticFilters {
  private SyntheticFilters() {}

  public static final IpAddress NODE4 = IpAddress.parse("100.64.0.1");
  public static final IpAddress NODE6 = IpAddress.parse("fd7a:115c:a1e0::1");

  /** Source host {@code i} of the synthetic tailnet (never the node itself). */
  public static IpAddress host(boolean v6, int i) {
    return v6
        ? IpAddress.ofV6(0xFD7A_115C_A1E0_0000L, 0x1000 + i)
        : IpAddress.ofV4(0x64400000 | (0x1000 + i));
  }

  /** Destination port of rule {@code r}: distinct per rule, 1000 + r. */
  public static int port(int r) {
    return 1000 + r;
  }

  /** Source host of rule {@code r}, used only by that rule. */
  public static int ownHost(int r) {
    return 100_000 + r;
  }

  public static CompiledFilter filter(int rules, long seed) {
    Random rnd = new Random(seed);
    List<FilterRule> out = new ArrayList<>();
    for (int r = 0; r < rules; r++) {
      List<IpPrefix> src = new ArrayList<>();
      for (boolean v6 : new boolean[] {false, true}) {
        src.add(IpPrefix.host(host(v6, ownHost(r))));
        for (int k = rnd.nextInt(6); k >= 0; k--) {
          src.add(IpPrefix.host(host(v6, rnd.nextInt(50_000))));
        }
        if (rnd.nextInt(8) == 0) {
          src.add(IpPrefix.of(host(v6, rnd.nextInt(50_000)), v6 ? 120 : 24));
        }
      }
      List<Integer> protos =
          switch (rnd.nextInt(3)) {
            case 0 -> List.of(IpProtocol.TCP);
            case 1 -> List.of(IpProtocol.UDP);
            default -> List.of();
          };
      int p = port(r);
      int last = rnd.nextInt(4) == 0 ? p + rnd.nextInt(3) : p;
      List<DstPorts> dst = new ArrayList<>();
      dst.add(new DstPorts(IpPrefix.host(NODE4), p, last));
      dst.add(new DstPorts(IpPrefix.host(NODE6), p, last));
      if (rnd.nextInt(16) == 0) {
        dst.add(new DstPorts(IpPrefix.parse("10." + rnd.nextInt(256) + ".0.0/16"), p, last));
      }
      out.add(
          new FilterRule(src, protos, dst, new RuleOrigin("synthetic.hujson", r + 1, 3, "acl", r)));
    }
    return CompiledFilter.of(
        "node", List.of(IpPrefix.host(NODE4), IpPrefix.host(NODE6)), out, List.of(), List.of());
  }

  /** Protocol a packet must use to hit rule {@code r}. */
  public static int protocolOf(CompiledFilter f, int r) {
    List<Integer> ps = f.rules().get(r).protocols();
    return ps.isEmpty() ? IpProtocol.TCP : ps.get(0);
  }
}
