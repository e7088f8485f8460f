package dev.tessera.enforcer.format;

import dev.tessera.net.IpPrefix;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON view of a compiled filter: what {@code policyc compile --format tessera} writes next to
 * the binary form for people and diffs, and what tests and tools may read back.
 *
 * <pre>
 * {
 *   "format": "tessera-filter", "version": 1, "node": "web-1",
 *   "nodeAddresses": ["100.64.0.1/32", "fd7a:115c:a1e0::1/128"],
 *   "rules": [{"sources": ["100.64.0.2/32"], "protocols": [6],
 *              "destinations": [{"prefix": "100.64.0.1/32", "ports": "443"}],   // "22", "80-90", "*"
 *              "origin": {"file": "policy.hujson", "line": 12, "col": 5, "kind": "acl", "index": 0}}],
 *   "peers": [{"name": "laptop", "publicKey": null, "addresses": [...], "routes": [...]}],
 *   "capGrants": [{"sources": [...], "destinations": [...], "capability": "example.com/cap/x",
 *                  "values": [{"any": "json"}], "origin": {...}}]
 * }
 * </pre>
 *
 * <p>{@link #write} emits the canonical form with a fixed key order, so equal filters print equal
 * text. {@link #read} is strict: every key required, no unknown keys, types and ranges checked,
 * prefixes canonical; errors name the JSON path. An empty {@code protocols} list means the default
 * set (TCP, UDP, ICMP, ICMPv6).
 */
public final class FilterJson {
  private FilterJson() {}

  public static final String FORMAT = "tessera-filter";

  public static String write(CompiledFilter filter) {
    CompiledFilter f = filter.canonical();
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("format", FORMAT);
    root.put("version", f.formatVersion());
    root.put("node", f.node());
    root.put("nodeAddresses", prefixes(f.nodeAddresses()));
    List<Object> rules = new ArrayList<>();
    for (FilterRule r : f.rules()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("sources", prefixes(r.sources()));
      m.put("protocols", new ArrayList<Object>(r.protocols()));
      List<Object> ds = new ArrayList<>();
      for (DstPorts d : r.destinations()) {
        Map<String, Object> dm = new LinkedHashMap<>();
        dm.put("prefix", d.prefix().toString());
        dm.put("ports", d.portsText());
        ds.add(dm);
      }
      m.put("destinations", ds);
      m.put("origin", origin(r.origin()));
      rules.add(m);
    }
    root.put("rules", rules);
    List<Object> peers = new ArrayList<>();
    for (Peer p : f.peers()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", p.name());
      m.put("publicKey", p.publicKey() == null ? Json.NULL : p.publicKey());
      m.put("addresses", prefixes(p.addresses()));
      m.put("routes", prefixes(p.routes()));
      peers.add(m);
    }
    root.put("peers", peers);
    List<Object> caps = new ArrayList<>();
    for (CapGrant c : f.capGrants()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("sources", prefixes(c.sources()));
      m.put("destinations", prefixes(c.destinations()));
      m.put("capability", c.capability());
      m.put("values", c.values().stream().map(v -> (Object) new Json.Raw(v)).toList());
      m.put("origin", origin(c.origin()));
      caps.add(m);
    }
    root.put("capGrants", caps);
    return Json.writePretty(root);
  }

  private static List<Object> prefixes(List<IpPrefix> ps) {
    return ps.stream().map(p -> (Object) p.toString()).toList();
  }

  private static Map<String, Object> origin(RuleOrigin o) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("file", o.file());
    m.put("line", o.line());
    m.put("col", o.col());
    m.put("kind", o.kind());
    m.put("index", o.index());
    return m;
  }

  public static CompiledFilter read(String json) throws FilterFormatException {
    Object root;
    try {
      root = Json.parse(json);
    } catch (Json.ParseException e) {
      throw new FilterFormatException("invalid JSON: " + e.getMessage(), e);
    }
    Map<String, Object> m =
        object(
            root,
            "$",
            Set.of("format", "version", "node", "nodeAddresses", "rules", "peers", "capGrants"));
    String format = string(m.get("format"), "$.format");
    if (!FORMAT.equals(format)) {
      throw new FilterFormatException(
          "$.format: expected \"" + FORMAT + "\", got \"" + format + "\"");
    }
    int version = integer(m.get("version"), "$.version", 0, Integer.MAX_VALUE);
    if (version != CompiledFilter.FORMAT_VERSION) {
      throw new FilterFormatException(
          "$.version: unsupported format version "
              + version
              + " (this build reads version "
              + CompiledFilter.FORMAT_VERSION
              + ")");
    }
    String node = string(m.get("node"), "$.node");
    List<IpPrefix> addrs = prefixList(m.get("nodeAddresses"), "$.nodeAddresses");
    List<Object> rs = array(m.get("rules"), "$.rules");
    List<FilterRule> rules = new ArrayList<>();
    for (int i = 0; i < rs.size(); i++) {
      String at = "$.rules[" + i + "]";
      Map<String, Object> r =
          object(rs.get(i), at, Set.of("sources", "protocols", "destinations", "origin"));
      List<IpPrefix> src = prefixList(r.get("sources"), at + ".sources");
      List<Object> ps = array(r.get("protocols"), at + ".protocols");
      List<Integer> protos = new ArrayList<>();
      for (int k = 0; k < ps.size(); k++) {
        protos.add(integer(ps.get(k), at + ".protocols[" + k + "]", 0, 255));
      }
      List<Object> ds = array(r.get("destinations"), at + ".destinations");
      List<DstPorts> dsts = new ArrayList<>();
      for (int k = 0; k < ds.size(); k++) {
        String dat = at + ".destinations[" + k + "]";
        Map<String, Object> d = object(ds.get(k), dat, Set.of("prefix", "ports"));
        IpPrefix p = prefix(d.get("prefix"), dat + ".prefix");
        int[] range = ports(string(d.get("ports"), dat + ".ports"), dat + ".ports");
        dsts.add(new DstPorts(p, range[0], range[1]));
      }
      rules.add(new FilterRule(src, protos, dsts, origin(r.get("origin"), at + ".origin")));
    }
    List<Object> pl = array(m.get("peers"), "$.peers");
    List<Peer> peers = new ArrayList<>();
    for (int i = 0; i < pl.size(); i++) {
      String at = "$.peers[" + i + "]";
      Map<String, Object> p =
          object(pl.get(i), at, Set.of("name", "publicKey", "addresses", "routes"));
      Object key = p.get("publicKey");
      peers.add(
          new Peer(
              string(p.get("name"), at + ".name"),
              key == Json.NULL ? null : string(key, at + ".publicKey"),
              prefixList(p.get("addresses"), at + ".addresses"),
              prefixList(p.get("routes"), at + ".routes")));
    }
    List<Object> cl = array(m.get("capGrants"), "$.capGrants");
    List<CapGrant> caps = new ArrayList<>();
    for (int i = 0; i < cl.size(); i++) {
      String at = "$.capGrants[" + i + "]";
      Map<String, Object> c =
          object(
              cl.get(i), at, Set.of("sources", "destinations", "capability", "values", "origin"));
      List<String> values = new ArrayList<>();
      for (Object v : array(c.get("values"), at + ".values")) {
        values.add(Json.write(v));
      }
      String cap = string(c.get("capability"), at + ".capability");
      if (cap.isEmpty()) {
        throw new FilterFormatException(at + ".capability: empty");
      }
      caps.add(
          new CapGrant(
              prefixList(c.get("sources"), at + ".sources"),
              prefixList(c.get("destinations"), at + ".destinations"),
              cap,
              values,
              origin(c.get("origin"), at + ".origin")));
    }
    try {
      return CompiledFilter.of(node, addrs, rules, peers, caps);
    } catch (IllegalArgumentException e) {
      throw new FilterFormatException("invalid filter: " + e.getMessage(), e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(Object v, String at, Set<String> keys)
      throws FilterFormatException {
    if (!(v instanceof Map)) {
      throw new FilterFormatException(at + ": expected an object");
    }
    Map<String, Object> m = (Map<String, Object>) v;
    for (String k : m.keySet()) {
      if (!keys.contains(k)) {
        throw new FilterFormatException(at + ": unknown key \"" + k + "\"");
      }
    }
    for (String k : keys) {
      if (!m.containsKey(k)) {
        throw new FilterFormatException(at + ": missing key \"" + k + "\"");
      }
    }
    return m;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> array(Object v, String at) throws FilterFormatException {
    if (!(v instanceof List)) {
      throw new FilterFormatException(at + ": expected an array");
    }
    return (List<Object>) v;
  }

  private static String string(Object v, String at) throws FilterFormatException {
    if (!(v instanceof String s)) {
      throw new FilterFormatException(at + ": expected a string");
    }
    return s;
  }

  private static int integer(Object v, String at, int min, int max) throws FilterFormatException {
    if (!(v instanceof BigDecimal d)) {
      throw new FilterFormatException(at + ": expected an integer");
    }
    try {
      int i = d.intValueExact();
      if (i < min || i > max) {
        throw new FilterFormatException(at + ": " + i + " out of range " + min + ".." + max);
      }
      return i;
    } catch (ArithmeticException e) {
      throw new FilterFormatException(at + ": expected an integer, got " + d);
    }
  }

  private static IpPrefix prefix(Object v, String at) throws FilterFormatException {
    String s = string(v, at);
    if (s.indexOf('/') < 0) {
      throw new FilterFormatException(at + ": expected address/bits, got \"" + s + "\"");
    }
    try {
      return IpPrefix.parse(s);
    } catch (IllegalArgumentException e) {
      throw new FilterFormatException(at + ": " + e.getMessage());
    }
  }

  private static List<IpPrefix> prefixList(Object v, String at) throws FilterFormatException {
    List<Object> l = array(v, at);
    List<IpPrefix> out = new ArrayList<>(l.size());
    for (int i = 0; i < l.size(); i++) {
      out.add(prefix(l.get(i), at + "[" + i + "]"));
    }
    return out;
  }

  private static int[] ports(String s, String at) throws FilterFormatException {
    if (s.equals("*")) {
      return new int[] {0, 65535};
    }
    int dash = s.indexOf('-');
    int first = port(dash < 0 ? s : s.substring(0, dash), at);
    int last = dash < 0 ? first : port(s.substring(dash + 1), at);
    if (first > last) {
      throw new FilterFormatException(at + ": inverted port range \"" + s + "\"");
    }
    return new int[] {first, last};
  }

  private static int port(String s, String at) throws FilterFormatException {
    if (s.isEmpty()
        || s.length() > 5
        || !s.chars().allMatch(c -> c >= '0' && c <= '9')
        || (s.length() > 1 && s.charAt(0) == '0')) {
      throw new FilterFormatException(at + ": bad port \"" + s + "\"");
    }
    int p = Integer.parseInt(s);
    if (p > 65535) {
      throw new FilterFormatException(at + ": port " + p + " out of range 0..65535");
    }
    return p;
  }

  private static RuleOrigin origin(Object v, String at) throws FilterFormatException {
    Map<String, Object> o = object(v, at, Set.of("file", "line", "col", "kind", "index"));
    try {
      return new RuleOrigin(
          string(o.get("file"), at + ".file"),
          integer(o.get("line"), at + ".line", 0, Integer.MAX_VALUE),
          integer(o.get("col"), at + ".col", 0, Integer.MAX_VALUE),
          string(o.get("kind"), at + ".kind"),
          integer(o.get("index"), at + ".index", 0, Integer.MAX_VALUE));
    } catch (IllegalArgumentException e) {
      throw new FilterFormatException(at + ": " + e.getMessage());
    }
  }
}
