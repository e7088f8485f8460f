package dev.tessera.compiler.reference;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.inventory.InventoryUser;
import dev.tessera.compiler.inventory.Role;
import dev.tessera.compiler.pass.PostureEvaluator;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.AclDestination;
import dev.tessera.policy.ast.Grant;
import dev.tessera.policy.ast.GrantIp;
import dev.tessera.policy.ast.HostDef;
import dev.tessera.policy.ast.IpSetDef;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PortRange;
import dev.tessera.policy.ast.PortSpec;
import dev.tessera.policy.ast.PostureDef;
import dev.tessera.policy.ast.PostureRef;
import dev.tessera.policy.ast.Protocol;
import dev.tessera.policy.ast.Selector;
import java.util.List;
import java.util.Optional;

/**
 * A deliberately naive interpreter of the policy AST and inventory, for differential tests only
 * (the compiler's passes, the enforcer's matcher and policy-tests are checked against it). It
 * answers one question by walking every rule each time, with no precomputation, no address sets and
 * no sharing with the compiler beyond the posture comparison:
 *
 * <p><b>Does node {@code at} accept a new flow from {@code src} to {@code dst} with {@code proto}
 * and {@code port}?</b>
 *
 * <p>The semantics are those of docs/semantics.md: a rule allows the flow when the source address
 * matches one of its sources (a device address matched by user/group/tag/autogroup, or an address
 * inside an IP/CIDR/host/ipset/{@code *} source), the source device (if the address is a device's)
 * passes the rule's effective postures, and one destination matches at {@code at}: {@code *}
 * anything; a node selector when {@code at} is selected and {@code dst} is one of its addresses; a
 * prefix when {@code dst} is inside it and is {@code at}'s address or inside one of its non-default
 * approved routes (restricted to {@code via} routers); {@code autogroup:self} when {@code at} is
 * untagged, {@code dst} is its address and the source device is an untagged device of the same
 * user; {@code autogroup:internet} when {@code at} is an exit node and {@code dst} is public. Ports
 * count for TCP, UDP and SCTP; ICMP/ICMPv6 ignore them; other protocols need all ports. No {@code
 * proto} means TCP, UDP, ICMP, ICMPv6.
 */
public final class ReferenceEvaluator {
  private final Policy policy;
  private final Inventory inventory;

  public ReferenceEvaluator(Policy policy, Inventory inventory) {
    this.policy = policy;
    this.inventory = inventory;
  }

  public boolean allows(String at, IpAddress src, IpAddress dst, int proto, int port) {
    InventoryNode d = inventory.node(at).orElseThrow();
    InventoryNode s = deviceOf(src);
    for (Acl a : policy.acls()) {
      if (!sourceMatches(a.src(), src, s) || !posture(a.srcPosture(), s)) {
        continue;
      }
      if (!protoMatches(a.proto(), proto)) {
        continue;
      }
      for (AclDestination ad : a.dst()) {
        if (dstMatches(ad.target(), List.of(), d, dst, s) && portMatches(ad.ports(), proto, port)) {
          return true;
        }
      }
    }
    for (Grant g : policy.grants()) {
      if (!sourceMatches(g.src(), src, s) || !posture(g.srcPosture(), s)) {
        continue;
      }
      for (Selector t : g.dst()) {
        if (!dstMatches(t, g.via(), d, dst, s)) {
          continue;
        }
        for (GrantIp ip : g.ip()) {
          if (protoMatches(ip.proto(), proto) && portMatches(ip.ports(), proto, port)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private InventoryNode deviceOf(IpAddress a) {
    for (InventoryNode n : inventory.nodes()) {
      if (n.ips().contains(a)) {
        return n;
      }
    }
    return null;
  }

  private boolean posture(List<PostureRef> own, InventoryNode s) {
    List<PostureRef> eff = own.isEmpty() ? policy.defaultSrcPosture() : own;
    if (eff.isEmpty() || s == null) {
      return true;
    }
    for (PostureRef r : eff) {
      for (PostureDef def : policy.postures()) {
        if (def.name().equals(r.name()) && PostureEvaluator.passes(def, s)) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean protoMatches(Optional<Protocol> p, int proto) {
    if (p.isEmpty()) {
      return proto == 1 || proto == 6 || proto == 17 || proto == 58;
    }
    return p.get().number() == proto;
  }

  private static boolean portMatches(PortSpec spec, int proto, int port) {
    if (proto == 1 || proto == 58) {
      return true;
    }
    boolean ported = proto == 6 || proto == 17 || proto == 132;
    for (PortRange r : spec.ranges()) {
      if (ported ? r.contains(port) : r.isAll()) {
        return true;
      }
    }
    return false;
  }

  private boolean sourceMatches(List<Selector> srcs, IpAddress a, InventoryNode s) {
    for (Selector sel : srcs) {
      if (srcSelectorMatches(sel, a, s)) {
        return true;
      }
    }
    return false;
  }

  private boolean srcSelectorMatches(Selector sel, IpAddress a, InventoryNode s) {
    return switch (sel) {
      case Selector.Wildcard w ->
          inside("100.64.0.0/10", a) && !inside("100.115.92.0/23", a)
              || inside("fd7a:115c:a1e0::/48", a)
              || s != null
              || inAnySubnetRoute(a);
      case Selector.Auto au when au.group() == dev.tessera.policy.ast.AutoGroup.DANGER_ALL -> true;
      case Selector.Host h -> prefixes(sel).stream().anyMatch(p -> p.contains(a));
      case Selector.IpSet i -> ipsetContains(i.name(), a, 0);
      case Selector.Ip p -> p.cidr().masked().contains(a);
      case Selector.Range r -> inRange(r, a);
      default -> s != null && nodeSelected(sel, s);
    };
  }

  private boolean inAnySubnetRoute(IpAddress a) {
    for (InventoryNode n : inventory.nodes()) {
      for (IpPrefix r : n.subnetRoutes()) {
        if (r.contains(a)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Is device n selected by a user/group/tag/autogroup selector? */
  private boolean nodeSelected(Selector sel, InventoryNode n) {
    String user = n.isTagged() ? null : n.user().orElse(null);
    return switch (sel) {
      case Selector.User u -> u.login().equals(user);
      case Selector.UserDomain ud -> user != null && user.endsWith("@" + ud.domain());
      case Selector.Group g ->
          user != null
              && policy.groups().stream()
                  .filter(gd -> gd.name().equals(g.name()))
                  .flatMap(gd -> gd.members().stream())
                  .anyMatch(m -> m instanceof Selector.User mu && mu.login().equals(user));
      case Selector.Tag t ->
          n.tags().contains("tag:" + t.name())
              && policy.tagOwners().stream()
                  .anyMatch(o -> o.tag().equals(t.name()) || o.tag().equals("tag:" + t.name()));
      case Selector.Auto au ->
          switch (au.group()) {
            case MEMBER -> user != null;
            case TAGGED -> n.isTagged();
            case OWNER, ADMIN, IT_ADMIN, NETWORK_ADMIN, BILLING_ADMIN, AUDITOR ->
                user != null
                    && inventory.users().stream()
                        .filter(x -> x.login().equals(user))
                        .map(InventoryUser::role)
                        .anyMatch(r -> Role.ofAutoGroup(au.group()).orElseThrow() == r);
            default -> false;
          };
      default -> false;
    };
  }

  private boolean dstMatches(
      Selector t, List<Selector> via, InventoryNode at, IpAddress dst, InventoryNode s) {
    return switch (t) {
      case Selector.Wildcard w -> true;
      case Selector.Host h ->
          prefixDst(prefixes(t).stream().anyMatch(p -> p.contains(dst)), via, at, dst);
      case Selector.Ip p -> prefixDst(p.cidr().masked().contains(dst), via, at, dst);
      case Selector.Range r -> prefixDst(inRange(r, dst), via, at, dst);
      case Selector.IpSet i -> prefixDst(ipsetContains(i.name(), dst, 0), via, at, dst);
      case Selector.Auto au when au.group() == dev.tessera.policy.ast.AutoGroup.SELF ->
          !at.isTagged()
              && at.ips().contains(dst)
              && s != null
              && !s.isTagged()
              && s.user().equals(at.user());
      case Selector.Auto au when au.group() == dev.tessera.policy.ast.AutoGroup.INTERNET ->
          internet(at, dst);
      default -> nodeSelected(t, at) && at.ips().contains(dst);
    };
  }

  private static boolean internet(InventoryNode at, IpAddress dst) {
    boolean family = at.routes().stream().anyMatch(r -> r.bits() == 0 && r.ipv6() == dst.ipv6());
    if (!family) {
      return false;
    }
    if (dst.ipv6()) {
      return inside("2000::/3", dst);
    }
    for (String p :
        List.of(
            "10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16")) {
      if (inside(p, dst)) {
        return false;
      }
    }
    return true;
  }

  private boolean prefixDst(boolean inside, List<Selector> via, InventoryNode at, IpAddress dst) {
    if (!inside) {
      return false;
    }
    if (at.ips().contains(dst)) {
      return true;
    }
    boolean viaOk =
        via.isEmpty()
            || via.stream()
                .anyMatch(
                    v -> v instanceof Selector.Tag t && at.tags().contains("tag:" + t.name()));
    return viaOk && at.subnetRoutes().stream().anyMatch(r -> r.contains(dst));
  }

  private List<IpPrefix> prefixes(Selector sel) {
    if (sel instanceof Selector.Host h) {
      for (HostDef d : policy.hosts()) {
        if (d.name().equals(h.name())) {
          return List.of(d.prefix().masked());
        }
      }
    }
    return List.of();
  }

  private boolean ipsetContains(String name, IpAddress a, int depth) {
    if (depth > 16) {
      return false;
    }
    for (IpSetDef def : policy.ipsets()) {
      if (!def.name().equals(name)) {
        continue;
      }
      boolean in = false;
      for (IpSetDef.Op op : def.ops()) {
        boolean hit =
            switch (op.target()) {
              case Selector.Host h -> prefixes(h).stream().anyMatch(p -> p.contains(a));
              case Selector.Ip p -> p.cidr().masked().contains(a);
              case Selector.Range r -> inRange(r, a);
              case Selector.IpSet i -> ipsetContains(i.name(), a, depth + 1);
              default -> false;
            };
        if (hit) {
          in = op.kind() == IpSetDef.Kind.ADD;
        }
      }
      return in;
    }
    return false;
  }

  private static boolean inRange(Selector.Range r, IpAddress a) {
    IpAddress lo = r.first();
    IpAddress hi = r.last();
    return a.ipv6() == lo.ipv6() && a.compareTo(lo) >= 0 && a.compareTo(hi) <= 0;
  }

  private static boolean inside(String prefix, IpAddress a) {
    return IpPrefix.parse(prefix).contains(a);
  }
}
