package dev.tessera.enforcer;

import dev.tessera.enforcer.format.CapGrant;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.enforcer.rules.RuleTable;
import dev.tessera.enforcer.rules.SourceCache;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpProtocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * "Is a new flow from src to dst:port over protocol allowed?" — the single implementation used by
 * the agent's packet path, {@code policyc test}, {@code explain} and {@code matrix}.
 *
 * <p>Built once per {@link CompiledFilter} (immutable, thread-safe). It holds one {@link RuleTable}
 * per address family. Two entry points read the same tables: {@link #allowsV4}/{@link #allowsV6}
 * (packet path: primitives in, boolean out, no allocation) and {@link #allows}/{@link #explain}
 * (query path: addresses in, the granting rules out). The query path makes the same two lookups and
 * then lists the intersecting rules instead of stopping at the first, so its decision is the packet
 * path's by construction.
 *
 * <p>Semantics of {@code protocol} and {@code dstPort}: TCP (6), UDP (17), SCTP (132) match the
 * rule's port ranges; ICMP (1) for IPv4 and ICMPv6 (58) for IPv6 match any rule that lists the
 * protocol (including the default set), ports ignored; any other protocol matches rules that list
 * it with all ports (0-65535). The port argument is ignored for portless protocols. A source and
 * destination of different families never match. What this answers is the new-flow question;
 * replies, established flows and ICMP errors are the {@link Enforcer}'s connection tracking.
 */
public final class Matcher {
  private final CompiledFilter filter;
  private final RuleTable v4;
  private final RuleTable v6;

  private Matcher(CompiledFilter filter, SourceCache cache) {
    this.filter = filter;
    RuleTable[] both = RuleTable.buildBoth(filter.rules(), cache);
    this.v4 = both[0];
    this.v6 = both[1];
  }

  public static Matcher of(CompiledFilter filter) {
    return new Matcher(Objects.requireNonNull(filter, "filter"), null);
  }

  /**
   * As {@link #of(CompiledFilter)}, sharing the source side of the rule tables with the other
   * Matchers built through {@code cache} whose rules have the same source lists (the many
   * destination filters of one compilation: {@code policyc test}, {@code matrix}). The Matcher
   * answers exactly as one built without the cache.
   */
  public static Matcher of(CompiledFilter filter, Cache cache) {
    return new Matcher(
        Objects.requireNonNull(filter, "filter"), Objects.requireNonNull(cache, "cache").sources);
  }

  /**
   * Shared build state for the Matchers of one compilation; thread-safe. See {@link SourceCache}.
   */
  public static final class Cache {
    private final SourceCache sources = new SourceCache();

    /** Distinct source sides built so far. */
    int sourceSides() {
      return sources.size();
    }
  }

  public CompiledFilter filter() {
    return filter;
  }

  /** The rule table of one family, for the reachability query ({@link Reachability}). */
  RuleTable table(boolean ipv6) {
    return ipv6 ? v6 : v4;
  }

  // ---- packet path ----

  /** Packet path, IPv4. {@code port} is ignored unless the protocol is TCP, UDP or SCTP. */
  public boolean allowsV4(int src, int dst, int protocol, int port) {
    RuleTable t = v4;
    int s = t.srcRow4(src);
    if (s < 0) {
      return false;
    }
    int d = t.dstRow4(dst, protocol, IpProtocol.hasPorts(protocol) ? port : 0);
    return d >= 0 && t.intersects(s, d);
  }

  /** Packet path, IPv6. */
  public boolean allowsV6(long srcHi, long srcLo, long dstHi, long dstLo, int protocol, int port) {
    RuleTable t = v6;
    int s = t.srcRow6(srcHi, srcLo);
    if (s < 0) {
      return false;
    }
    int d = t.dstRow6(dstHi, dstLo, protocol, IpProtocol.hasPorts(protocol) ? port : 0);
    return d >= 0 && t.intersects(s, d);
  }

  // ---- query path ----

  /** Would a new flow src -> dst:dstPort over {@code protocol} be admitted? */
  public boolean allows(IpAddress src, IpAddress dst, int protocol, int dstPort) {
    if (src.ipv6() != dst.ipv6() || !validPort(protocol, dstPort)) {
      return false;
    }
    return src.ipv6()
        ? allowsV6(src.hi(), src.lo(), dst.hi(), dst.lo(), protocol, dstPort)
        : allowsV4(src.v4(), dst.v4(), protocol, dstPort);
  }

  /** As {@link #allows}, naming every rule that admits the flow. */
  public MatchResult explain(IpAddress src, IpAddress dst, int protocol, int dstPort) {
    List<Integer> idx = new ArrayList<>();
    if (src.ipv6() == dst.ipv6() && validPort(protocol, dstPort)) {
      RuleTable t = src.ipv6() ? v6 : v4;
      int port = IpProtocol.hasPorts(protocol) ? dstPort : 0;
      int s = src.ipv6() ? t.srcRow6(src.hi(), src.lo()) : t.srcRow4(src.v4());
      int d =
          src.ipv6()
              ? t.dstRow6(dst.hi(), dst.lo(), protocol, port)
              : t.dstRow4(dst.v4(), protocol, port);
      if (s >= 0 && d >= 0) {
        t.collect(s, d, idx);
      }
    }
    List<RuleOrigin> origins = new ArrayList<>(idx.size());
    for (int i : idx) {
      origins.add(filter.rules().get(i).origin());
    }
    return new MatchResult(!idx.isEmpty(), idx, origins);
  }

  /** The rules at the given indices (convenience for tools). */
  public List<FilterRule> rules(List<Integer> indices) {
    return indices.stream().map(filter.rules()::get).toList();
  }

  /** Capability grants whose sources contain {@code src} and destinations contain {@code dst}. */
  public List<CapGrant> capabilities(IpAddress src, IpAddress dst) {
    List<CapGrant> out = new ArrayList<>();
    for (CapGrant c : filter.capGrants()) {
      if (c.sources().stream().anyMatch(p -> p.contains(src))
          && c.destinations().stream().anyMatch(p -> p.contains(dst))) {
        out.add(c);
      }
    }
    return out;
  }

  private static boolean validPort(int protocol, int port) {
    return protocol >= 0
        && protocol <= 255
        && (!IpProtocol.hasPorts(protocol) || (port >= 0 && port <= 65535));
  }

  /** Table sizes, for diagnostics and benchmarks. */
  public String describe() {
    return v4.describe() + "; " + v6.describe();
  }
}
