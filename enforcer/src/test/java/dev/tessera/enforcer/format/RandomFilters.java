package dev.tessera.enforcer.format;

import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Random compiled filters (every field exercised) for codec round-trip tests. */
public final class RandomFilters {
  private RandomFilters() {}

  static IpPrefix prefix(Random r) {
    boolean v6 = r.nextBoolean();
    IpAddress a =
        v6
            ? IpAddress.ofV6(r.nextInt(4) == 0 ? 0 : r.nextLong(), r.nextLong())
            : IpAddress.ofV4(r.nextInt());
    return IpPrefix.of(a, r.nextInt(a.bitLength() + 1));
  }

  static List<IpPrefix> prefixes(Random r, int max) {
    List<IpPrefix> l = new ArrayList<>();
    for (int i = r.nextInt(max + 1); i > 0; i--) {
      l.add(prefix(r));
    }
    return l;
  }

  static String text(Random r) {
    String[] parts = {"a", "web", "ü", "🚀", "\"q\"", "\\", "x y", "\n", "policy.hujson", ""};
    StringBuilder sb = new StringBuilder();
    for (int i = r.nextInt(3); i > 0; i--) {
      sb.append(parts[r.nextInt(parts.length)]);
    }
    return sb.toString();
  }

  static RuleOrigin origin(Random r) {
    return new RuleOrigin(
        text(r), r.nextInt(500), r.nextInt(80), r.nextBoolean() ? "acl" : "grant", r.nextInt(50));
  }

  public static CompiledFilter filter(Random r) {
    List<FilterRule> rules = new ArrayList<>();
    for (int i = r.nextInt(6); i > 0; i--) {
      List<Integer> protos = new ArrayList<>();
      for (int k = r.nextInt(3); k > 0; k--) {
        protos.add(r.nextInt(256));
      }
      List<DstPorts> ds = new ArrayList<>();
      for (int k = r.nextInt(4); k > 0; k--) {
        int a = r.nextInt(65536);
        ds.add(new DstPorts(prefix(r), a, a + r.nextInt(65536 - a)));
      }
      rules.add(new FilterRule(prefixes(r, 4), protos, ds, origin(r)));
    }
    List<Peer> peers = new ArrayList<>();
    for (int i = r.nextInt(4); i > 0; i--) {
      peers.add(
          new Peer(
              "peer-" + r.nextInt(100) + text(r),
              r.nextBoolean() ? null : "k" + r.nextInt(),
              prefixes(r, 2),
              prefixes(r, 2)));
    }
    List<CapGrant> caps = new ArrayList<>();
    String[] values = {"{}", "{\"a\":[1,2,{\"b\":null}]}", "true", "\"s\\u00fc\"", "-1.5e3", "[]"};
    for (int i = r.nextInt(3); i > 0; i--) {
      List<String> vs = new ArrayList<>();
      for (int k = r.nextInt(3); k > 0; k--) {
        vs.add(values[r.nextInt(values.length)]);
      }
      caps.add(
          new CapGrant(
              prefixes(r, 2), prefixes(r, 2), "example.com/cap/" + r.nextInt(5), vs, origin(r)));
    }
    return CompiledFilter.of("node-" + text(r), prefixes(r, 2), rules, peers, caps);
  }
}
