package dev.tessera.enforcer;

import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.Peer;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpPrefix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The node filter the table-driven tests run against (node 100.64.0.1 / fd7a::1, router for
 * 10.1.0.0/24).
 */
final class TestFilters {
  private TestFilters() {}

  static final String NODE4 = "100.64.0.1";
  static final String NODE6 = "fd7a::1";

  static List<IpPrefix> ps(String... s) {
    return Arrays.stream(s).map(IpPrefix::parse).toList();
  }

  static DstPorts d(String prefix, int first, int last) {
    return new DstPorts(IpPrefix.parse(prefix), first, last);
  }

  static FilterRule rule(int index, List<IpPrefix> src, List<Integer> protos, DstPorts... dsts) {
    return new FilterRule(
        src, protos, List.of(dsts), new RuleOrigin("policy.hujson", 10 + index, 5, "acl", index));
  }

  static List<FilterRule> rules() {
    List<FilterRule> r = new ArrayList<>();
    r.add(
        rule(
            0,
            ps("100.64.0.2", "fd7a::2"),
            List.of(6),
            d("100.64.0.1/32", 443, 443),
            d("fd7a::1/128", 443, 443)));
    r.add(rule(1, ps("100.64.0.0/24"), List.of(), d("100.64.0.1/32", 22, 22)));
    r.add(rule(2, ps("100.64.1.3"), List.of(17), d("100.64.0.1/32", 53, 53)));
    r.add(
        rule(
            3,
            ps("100.64.0.4", "fd7a::4"),
            List.of(132),
            d("100.64.0.1/32", 5000, 5010),
            d("fd7a::1/128", 5000, 5010)));
    r.add(rule(4, ps("100.64.0.5"), List.of(47), d("100.64.0.1/32", 0, 65535)));
    r.add(rule(5, ps("100.64.0.6"), List.of(50), d("100.64.0.1/32", 500, 500)));
    r.add(rule(6, ps("fd7a::6"), List.of(58), d("fd7a::1/128", 0, 65535)));
    r.add(rule(7, ps("100.64.0.2"), List.of(6), d("10.1.0.0/24", 80, 80)));
    r.add(rule(8, ps("fd7a::3"), List.of(17), d("fd7a::1/128", 53, 53)));
    return r;
  }

  static CompiledFilter node() {
    return CompiledFilter.of(
        "web-1",
        ps("100.64.0.1", "fd7a::1"),
        rules(),
        List.of(new Peer("laptop", "aGVsbG8=", ps("100.64.0.2", "fd7a::2"), List.of())),
        List.of());
  }

  /** The same filter without rules 0 and 2 (443 and DNS revoked). */
  static CompiledFilter revoked() {
    List<FilterRule> r = new ArrayList<>(rules());
    r.remove(2);
    r.remove(0);
    return CompiledFilter.of("web-1", ps("100.64.0.1", "fd7a::1"), r, List.of(), List.of());
  }
}
