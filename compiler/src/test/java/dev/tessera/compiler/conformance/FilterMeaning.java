package dev.tessera.compiler.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.compiler.ipset.IpSet;
import dev.tessera.compiler.ipset.PortSet;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.net.IpProtocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a node's packet filter allows, as a canonical value: for every protocol, the set of (source
 * address, destination address, port) triples, within the node's own address space (its addresses
 * and approved routes; a node never receives packets for anything else). Two filters allow the same
 * packets exactly when their meanings are equal, whatever their text: rule order, splitting,
 * duplicate entries, {@code *} versus 0.0.0.0/0 + ::/0, ranges versus CIDRs.
 *
 * <p>Canonical form: the destination sets and port sets of both filters are refined into atoms (the
 * Boolean algebra they generate), and each (protocol, destination atom, port atom) maps to the
 * union of the sources allowed there. ICMP and ICMPv6 ignore ports (as the enforcer and Tailscale's
 * client do), so their port dimension is always 0-65535.
 */
public final class FilterMeaning {
  /** One allow box: sources x destinations x ports for one protocol. */
  record Box(int proto, IpSet src, IpSet dst, PortSet ports) {}

  private final List<Box> boxes;

  private FilterMeaning(List<Box> boxes) {
    this.boxes = boxes;
  }

  public static FilterMeaning of(CompiledFilter f, IpSet space) {
    List<Box> bs = new ArrayList<>();
    for (FilterRule r : f.rules()) {
      IpSet src = IpSet.of(r.sources());
      for (int proto : r.effectiveProtocols()) {
        for (DstPorts d : r.destinations()) {
          add(
              bs,
              proto,
              src,
              IpSet.of(d.prefix()).intersect(space),
              PortSet.range(d.firstPort(), d.lastPort()));
        }
      }
    }
    return new FilterMeaning(bs);
  }

  /** From Tailscale's FilterRule JSON ({@code SrcIPs}, {@code DstPorts}, {@code IPProto}). */
  public static FilterMeaning ofTailscale(JsonNode rules, IpSet space) {
    List<Box> bs = new ArrayList<>();
    if (rules == null) {
      return new FilterMeaning(bs);
    }
    for (JsonNode r : rules) {
      if (!r.has("DstPorts")) {
        continue; // CapGrant-only rules carry no packet permission
      }
      IpSet.Builder sb = IpSet.builder();
      for (JsonNode s : r.path("SrcIPs")) {
        sb.addAll(parse(s.asText()));
      }
      IpSet src = sb.build();
      List<Integer> protos = new ArrayList<>();
      for (JsonNode p : r.path("IPProto")) {
        protos.add(p.asInt());
      }
      if (protos.isEmpty()) {
        protos = IpProtocol.DEFAULT;
      }
      for (int proto : protos) {
        for (JsonNode d : r.path("DstPorts")) {
          IpSet dst = parse(d.path("IP").asText()).intersect(space);
          JsonNode ports = d.path("Ports");
          add(
              bs,
              proto,
              src,
              dst,
              PortSet.range(ports.path("First").asInt(), ports.path("Last").asInt()));
        }
      }
    }
    return new FilterMeaning(bs);
  }

  private static void add(List<Box> bs, int proto, IpSet src, IpSet dst, PortSet ports) {
    if (src.isEmpty() || dst.isEmpty()) {
      return;
    }
    boolean icmp = proto == IpProtocol.ICMP || proto == IpProtocol.ICMPV6;
    bs.add(new Box(proto, src, dst, icmp ? PortSet.ALL : ports));
  }

  /** "*", an IP, a CIDR (host bits tolerated) or "a-b". */
  static IpSet parse(String s) {
    if (s.equals("*")) {
      return IpSet.ALL;
    }
    int dash = s.indexOf('-');
    if (dash > 0) {
      return IpSet.range(
          IpAddress.parse(s.substring(0, dash)), IpAddress.parse(s.substring(dash + 1)));
    }
    return IpSet.of(IpPrefix.parse(s, true));
  }

  /** Sources per (proto, dst atom, port atom), over the atoms of both meanings. */
  private static Map<String, IpSet> canonical(List<Box> mine, List<Box> all) {
    List<IpSet> dstAtoms = new ArrayList<>();
    dstAtoms.add(IpSet.ALL);
    List<PortSet> portAtoms = new ArrayList<>();
    portAtoms.add(PortSet.ALL);
    for (Box b : all) {
      dstAtoms = refine(dstAtoms, b.dst());
      portAtoms = refinePorts(portAtoms, b.ports());
    }
    Map<String, IpSet> out = new TreeMap<>();
    for (Box b : mine) {
      for (IpSet d : dstAtoms) {
        if (!b.dst().containsAll(d)) {
          continue;
        }
        for (PortSet p : portAtoms) {
          if (!b.ports().intersect(p).equals(p)) {
            continue;
          }
          out.merge(b.proto() + " " + d + " " + p, b.src(), IpSet::union);
        }
      }
    }
    return out;
  }

  private static List<IpSet> refine(List<IpSet> atoms, IpSet by) {
    List<IpSet> out = new ArrayList<>();
    for (IpSet a : atoms) {
      IpSet in = a.intersect(by);
      IpSet rest = a.subtract(by);
      if (!in.isEmpty()) {
        out.add(in);
      }
      if (!rest.isEmpty()) {
        out.add(rest);
      }
    }
    return out;
  }

  private static List<PortSet> refinePorts(List<PortSet> atoms, PortSet by) {
    List<PortSet> out = new ArrayList<>();
    for (PortSet a : atoms) {
      PortSet in = a.intersect(by);
      PortSet rest = a.intersect(complement(by));
      if (!in.isEmpty()) {
        out.add(in);
      }
      if (!rest.isEmpty()) {
        out.add(rest);
      }
    }
    return out;
  }

  private static PortSet complement(PortSet s) {
    PortSet out = PortSet.EMPTY;
    int next = 0;
    for (var r : s.ranges()) {
      if (r.first() > next) {
        out = out.union(PortSet.range(next, r.first() - 1));
      }
      next = r.last() + 1;
    }
    if (next <= 65535) {
      out = out.union(PortSet.range(next, 65535));
    }
    return out;
  }

  /** Empty when equal; else a description of the differences (for test output). */
  public static String difference(FilterMeaning want, FilterMeaning got) {
    List<Box> all = new ArrayList<>(want.boxes);
    all.addAll(got.boxes);
    Map<String, IpSet> w = canonical(want.boxes, all);
    Map<String, IpSet> g = canonical(got.boxes, all);
    StringBuilder sb = new StringBuilder();
    java.util.Set<String> keys = new java.util.TreeSet<>(w.keySet());
    keys.addAll(g.keySet());
    for (String k : keys) {
      IpSet a = w.getOrDefault(k, IpSet.EMPTY);
      IpSet b = g.getOrDefault(k, IpSet.EMPTY);
      if (!a.equals(b)) {
        IpSet missing = a.subtract(b);
        IpSet extra = b.subtract(a);
        sb.append("  proto/dst/ports ").append(k).append(':');
        if (!missing.isEmpty()) {
          sb.append(" missing src ").append(missing);
        }
        if (!extra.isEmpty()) {
          sb.append(" extra src ").append(extra);
        }
        sb.append('\n');
      }
    }
    return sb.toString();
  }
}
