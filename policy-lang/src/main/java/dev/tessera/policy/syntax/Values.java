package dev.tessera.policy.syntax;

import dev.tessera.net.IpAddress;
import dev.tessera.net.IpCidr;
import dev.tessera.net.IpProtocol;
import dev.tessera.policy.ast.AclDestination;
import dev.tessera.policy.ast.AutoGroup;
import dev.tessera.policy.ast.GrantIp;
import dev.tessera.policy.ast.IpSetDef;
import dev.tessera.policy.ast.PortRange;
import dev.tessera.policy.ast.PortSpec;
import dev.tessera.policy.ast.PostureCondition;
import dev.tessera.policy.ast.PostureOperator;
import dev.tessera.policy.ast.PostureRef;
import dev.tessera.policy.ast.PostureValue;
import dev.tessera.policy.ast.Protocol;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.ast.TestDestination;
import dev.tessera.policy.ast.TestSource;
import dev.tessera.policy.diag.Codes;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.Suggest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Parsers for the strings inside a policy: selectors, {@code target:ports}, ports, protocols, grant
 * {@code ip} entries, posture conditions, ipset operations, test endpoints. Shared by every syntax
 * (the .tpol reader uses them too) so a value means the same wherever it is written.
 *
 * <p>Each parser takes the text and the span of the string that holds it, reports problems to the
 * collector and returns empty on failure. Problems inside a string are located at the offending
 * part when the span maps one-to-one onto the text (no escapes), else at the string. Messages
 * follow Tailscale's where it has one (port 0, {@code deny}, {@code icmp} without port).
 */
public final class Values {
  private Values() {}

  /** Prefix words that are never host names: {@code tag:web} without a port splits here. */
  private static final List<String> PREFIX_WORDS =
      List.of("tag", "group", "autogroup", "ipset", "user", "posture", "host", "localpart", "svc");

  private static final List<String> AUTOGROUP_TEXTS =
      Arrays.stream(AutoGroup.values()).map(AutoGroup::text).toList();

  // ---------------------------------------------------------------- spans

  /**
   * The span of {@code text[from, to)} inside a string whose whole span is {@code whole}: exact
   * when the string sits on one line and its width is the text's (plain) or the text's plus two
   * quotes; otherwise the whole string.
   */
  public static SourceSpan sub(SourceSpan whole, String text, int from, int to) {
    if (!whole.isKnown() || whole.startLine() != whole.endLine()) {
      return whole;
    }
    int width = whole.endCol() - whole.startCol();
    int base;
    if (width == text.length() + 2) {
      base = 1;
    } else if (width == text.length()) {
      base = 0;
    } else {
      return whole;
    }
    int sc = whole.startCol() + base + from;
    int ec = whole.startCol() + base + Math.max(from, to);
    int so = whole.startOffset() < 0 ? -1 : whole.startOffset() + base + from;
    int eo = whole.startOffset() < 0 ? -1 : whole.startOffset() + base + Math.max(from, to);
    return new SourceSpan(whole.file(), whole.startLine(), sc, whole.startLine(), ec, so, eo);
  }

  // ---------------------------------------------------------------- selectors

  /** A src/dst/member/owner/approver target. */
  public static Optional<Selector> selector(String text, SourceSpan span, Diagnostics d) {
    if (text.isEmpty()) {
      d.error(Codes.INVALID_SELECTOR, "empty target", span);
      return Optional.empty();
    }
    if (text.equals("*")) {
      return Optional.of(new Selector.Wildcard(span));
    }
    int colon = text.indexOf(':');
    if (colon > 0) {
      String kind = text.substring(0, colon);
      String name = text.substring(colon + 1);
      switch (kind) {
        case "group", "tag", "ipset" -> {
          if (!validName(name)) {
            d.error(
                Codes.INVALID_SELECTOR,
                "invalid " + kind + " name in \"" + text + "\"",
                span,
                kind + " names are letters, digits, '-', '_' and '.'");
            return Optional.empty();
          }
          return Optional.of(
              switch (kind) {
                case "group" -> new Selector.Group(name, span);
                case "tag" -> new Selector.Tag(name, span);
                default -> new Selector.IpSet(name, span);
              });
        }
        case "autogroup" -> {
          Optional<AutoGroup> g = AutoGroup.byName(name);
          if (g.isEmpty()) {
            d.error(
                Codes.UNKNOWN_AUTOGROUP,
                "unknown autogroup \"" + text + "\"",
                span,
                Suggest.didYouMean(text, AUTOGROUP_TEXTS));
            return Optional.empty();
          }
          return Optional.of(
              new Selector.Auto(g.get(), text.equals(AutoGroup.LEGACY_MEMBERS), span));
        }
        case "svc" -> {
          if (!validServiceName(name)) {
            d.error(
                Codes.INVALID_SELECTOR,
                "invalid service name in \"" + text + "\"",
                span,
                "service names are DNS labels: lower-case letters, digits and '-', e.g. svc:web");
            return Optional.empty();
          }
          return Optional.of(new Selector.Service(name, span));
        }
        case "user" -> {
          if (name.startsWith("*@") && name.length() > 2 && name.indexOf('@', 2) < 0) {
            return Optional.of(new Selector.UserDomain(name.substring(2), span));
          }
          d.error(
              Codes.INVALID_SELECTOR,
              "invalid user selector \"" + text + "\"",
              span,
              "write user:*@example.com for every user of a domain, or the login alone");
          return Optional.empty();
        }
        case "posture" -> {
          d.error(
              Codes.INVALID_SELECTOR,
              "\"" + text + "\" is a posture, not a target",
              span,
              "list postures in srcPosture");
          return Optional.empty();
        }
        default -> {
          // not a known prefix: an IPv6 literal, or a mistake handled below
        }
      }
    }
    if (text.indexOf('@') >= 0) {
      if (text.indexOf('@') != text.lastIndexOf('@') || text.startsWith("@") || hasSpace(text)) {
        d.error(Codes.INVALID_SELECTOR, "invalid user login \"" + text + "\"", span);
        return Optional.empty();
      }
      return Optional.of(new Selector.User(text, span));
    }
    int dash = text.indexOf('-');
    if (dash > 0 && looksLikeIp(text.substring(0, dash)) && looksLikeIp(text.substring(dash + 1))) {
      IpAddress a = IpAddress.tryParse(text.substring(0, dash));
      IpAddress b = IpAddress.tryParse(text.substring(dash + 1));
      if (a == null || b == null || a.ipv6() != b.ipv6() || a.compareTo(b) > 0) {
        d.error(
            Codes.INVALID_IP,
            "invalid IP range \"" + text + "\"",
            span,
            "a range is FIRST-LAST, two addresses of the same family, FIRST <= LAST");
        return Optional.empty();
      }
      return Optional.of(new Selector.Range(a, b, span));
    }
    if (looksLikeIp(text)) {
      IpCidr p = IpCidr.tryParse(text);
      if (p == null) {
        d.error(Codes.INVALID_IP, "invalid IP address or CIDR \"" + text + "\"", span);
        return Optional.empty();
      }
      return Optional.of(new Selector.Ip(p, span));
    }
    if (!validName(text)) {
      d.error(
          Codes.INVALID_SELECTOR,
          "invalid target \"" + text + "\"",
          span,
          "targets are *, a user login, group:NAME, tag:NAME, autogroup:NAME, ipset:NAME, a host"
              + " alias, an IP or a CIDR");
      return Optional.empty();
    }
    return Optional.of(new Selector.Host(text, span));
  }

  /** An {@code autoApprovers.services} key: {@code svc:NAME} or {@code tag:NAME}. */
  public static Optional<Selector> serviceApproverKey(String text, SourceSpan span, Diagnostics d) {
    if (!text.startsWith("svc:") && !text.startsWith("tag:")) {
      d.error(
          Codes.INVALID_SELECTOR,
          "autoApprovers.services key \"" + text + "\" is not a service or a tag",
          span,
          "write svc:NAME for one service, or tag:NAME for every service carrying that tag");
      return Optional.empty();
    }
    return selector(text, span, d);
  }

  /**
   * A grant {@code dst}: a target without ports. A written port ({@code tag:web:443}) gets a
   * message that says where ports go in a grant.
   */
  public static Optional<Selector> grantTarget(String text, SourceSpan span, Diagnostics d) {
    Diagnostics quiet = new Diagnostics();
    Optional<Selector> sel = selector(text, span, quiet);
    if (sel.isEmpty()) {
      Optional<AclDestination> withPorts = aclDestination(text, span, new Diagnostics());
      if (withPorts.isPresent()) {
        d.error(
            Codes.INVALID_DESTINATION,
            "grant destinations have no ports: \"" + text + "\"",
            span,
            "write \""
                + withPorts.get().target().text()
                + "\" in dst and the ports in ip, e.g. \"tcp:"
                + withPorts.get().ports()
                + "\"");
        return Optional.empty();
      }
      d.addAll(quiet.sorted());
    }
    return sel;
  }

  private static boolean hasSpace(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isWhitespace(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  /** A service name: a DNS label (1-63 of a-z, 0-9, '-', not starting or ending with '-'). */
  public static boolean validServiceName(String name) {
    if (name.isEmpty() || name.length() > 63 || name.startsWith("-") || name.endsWith("-")) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        return false;
      }
    }
    return true;
  }

  /** Names of groups, tags, ipsets, postures and hosts: letters, digits, '-', '_', '.'. */
  public static boolean validName(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!(Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.')) {
        return false;
      }
    }
    return true;
  }

  /** Digits and dots (IPv4), or hex digits and colons (IPv6), optionally with /bits. */
  static boolean looksLikeIp(String s) {
    if (s.isEmpty()) {
      return false;
    }
    boolean colon = false;
    boolean allDigitsDots = true;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == ':') {
        colon = true;
      } else if (c == '/') {
        // prefix length
      } else if (c == '.' || (c >= '0' && c <= '9')) {
        // fine for both
      } else if (Character.digit(c, 16) >= 0) {
        allDigitsDots = false;
      } else {
        return false;
      }
    }
    return colon || allDigitsDots || s.indexOf('/') > 0;
  }

  /** A host or route value: an IP or a CIDR. */
  public static Optional<IpCidr> prefix(String text, SourceSpan span, Diagnostics d) {
    Optional<IpCidr> p = Optional.ofNullable(IpCidr.tryParse(text));
    if (p.isEmpty()) {
      d.error(Codes.INVALID_IP, "invalid IP address or CIDR \"" + text + "\"", span);
    }
    return p;
  }

  // ---------------------------------------------------------------- ports and protocols

  /**
   * {@code *}, {@code 22}, {@code 80-90}, {@code 22,80-90}. Ports are 1-65535 ({@code *} = all).
   */
  public static Optional<PortSpec> ports(
      String text, SourceSpan whole, String owner, int offset, Diagnostics d) {
    if (text.equals("*")) {
      return Optional.of(PortSpec.ALL);
    }
    List<PortRange> out = new ArrayList<>();
    boolean ok = true;
    int start = 0;
    for (String part : text.split(",", -1)) {
      SourceSpan ps = sub(whole, owner, offset + start, offset + start + part.length());
      start += part.length() + 1;
      Optional<PortRange> r = portRange(part, ps, d);
      if (r.isEmpty()) {
        ok = false;
      } else {
        out.add(r.get());
      }
    }
    return ok ? Optional.of(new PortSpec(out)) : Optional.empty();
  }

  /** Ports alone, where the string is only the ports. */
  public static Optional<PortSpec> ports(String text, SourceSpan span, Diagnostics d) {
    return ports(text, span, text, 0, d);
  }

  private static Optional<PortRange> portRange(String part, SourceSpan span, Diagnostics d) {
    if (part.isEmpty()) {
      d.error(Codes.INVALID_PORT, "empty port in port list", span);
      return Optional.empty();
    }
    if (part.equals("*")) {
      d.error(Codes.INVALID_PORT, "\"*\" must stand alone, not in a port list", span);
      return Optional.empty();
    }
    int dash = part.indexOf('-');
    String a = dash < 0 ? part : part.substring(0, dash);
    String b = dash < 0 ? part : part.substring(dash + 1);
    int first = portNumber(a, part, span, d);
    if (first < 0) {
      return Optional.empty();
    }
    int last = dash < 0 ? first : portNumber(b, part, span, d);
    if (last < 0) {
      return Optional.empty();
    }
    if (first == 0) {
      d.error(
          Codes.INVALID_PORT,
          "port 0 is not allowed",
          span,
          "ports start at 1; use * for every port");
      return Optional.empty();
    }
    if (first > last) {
      d.error(
          Codes.INVALID_PORT,
          "port range " + part + " is reversed",
          span,
          "write " + last + "-" + first);
      return Optional.empty();
    }
    return Optional.of(new PortRange(first, last));
  }

  private static int portNumber(String s, String part, SourceSpan span, Diagnostics d) {
    if (s.isEmpty() || s.length() > 9) {
      if (s.length() > 9 && s.chars().allMatch(Character::isDigit)) {
        d.error(Codes.INVALID_PORT, "port " + s + " is out of range (1-65535)", span);
      } else {
        d.error(
            Codes.INVALID_PORT,
            "invalid port \"" + part + "\"",
            span,
            "ports are *, 22, 80-90 or lists like 22,80,443");
      }
      return -1;
    }
    int v = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        String help =
            IpProtocol.NAMES.containsKey(s.toLowerCase(java.util.Locale.ROOT))
                ? "a protocol goes in proto, not in the port"
                : "ports are *, 22, 80-90 or lists like 22,80,443";
        d.error(Codes.INVALID_PORT, "invalid port \"" + part + "\": not a number", span, help);
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    if (v > 65535) {
      d.error(Codes.INVALID_PORT, "port " + v + " is out of range (1-65535)", span);
      return -1;
    }
    return v;
  }

  private static final List<String> PROTO_NAMES =
      List.copyOf(new java.util.TreeSet<>(IpProtocol.NAMES.keySet()));

  /** A proto name or number. */
  public static Optional<Protocol> protocol(String text, SourceSpan span, Diagnostics d) {
    Optional<Protocol> p = Protocol.parse(text);
    if (p.isPresent()) {
      return p;
    }
    if (text.equals("*")) {
      d.error(
          Codes.INVALID_PROTO,
          "proto \"*\" is not allowed",
          span,
          "omit proto to allow TCP, UDP and ICMP, or name one protocol");
    } else if (!text.isEmpty() && text.chars().allMatch(Character::isDigit)) {
      d.error(
          Codes.INVALID_PROTO,
          "invalid protocol number \"" + text + "\"",
          span,
          "protocol numbers are 0-255 without leading zeros");
    } else {
      String hint = Suggest.didYouMean(text, PROTO_NAMES);
      d.error(
          Codes.INVALID_PROTO,
          "unknown protocol \"" + text + "\"",
          span,
          hint != null ? hint : "known protocols: " + String.join(", ", PROTO_NAMES));
    }
    return Optional.empty();
  }

  /** Reports ports on a protocol that has none (everything but TCP, UDP, SCTP needs {@code *}). */
  public static boolean checkPortsAllowed(
      Protocol proto, PortSpec ports, SourceSpan span, Diagnostics d) {
    if (proto.supportsPorts() || ports.isAll()) {
      return true;
    }
    d.error(
        Codes.PORTS_NOT_SUPPORTED,
        "protocol " + proto + " does not support specific ports",
        span,
        "use * as the port");
    return false;
  }

  // ---------------------------------------------------------------- ACL destinations, grant ip

  /**
   * An ACL dst {@code target:ports}, split at the last colon ({@code fd7a::1:22} works) or {@code
   * [v6]:ports}.
   */
  public static Optional<AclDestination> aclDestination(
      String text, SourceSpan span, Diagnostics d) {
    String target;
    int portsAt;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
        d.error(
            Codes.INVALID_DESTINATION,
            "invalid destination \"" + text + "\"",
            span,
            "write [IPv6]:ports, e.g. [fd7a:115c:a1e0::1]:22");
        return Optional.empty();
      }
      String inner = text.substring(1, close);
      IpAddress p = IpAddress.tryParse(inner);
      if (p == null || !p.ipv6()) {
        d.error(
            Codes.INVALID_IP, "invalid IPv6 address \"" + inner + "\"", sub(span, text, 1, close));
        return Optional.empty();
      }
      Optional<PortSpec> ports = ports(text.substring(close + 2), span, text, close + 2, d);
      return ports.map(
          ps ->
              new AclDestination(
                  new Selector.Ip(IpCidr.host(p), sub(span, text, 1, close)), ps, span));
    }
    int colon = text.lastIndexOf(':');
    if (colon < 0 || PREFIX_WORDS.contains(text.substring(0, colon))) {
      d.error(
          Codes.INVALID_DESTINATION,
          "destination \"" + text + "\" has no port",
          span,
          "write " + text + ":* for every port, or " + text + ":22 for one");
      return Optional.empty();
    }
    target = text.substring(0, colon);
    portsAt = colon + 1;
    Optional<Selector> sel = selector(target, sub(span, text, 0, colon), d);
    Optional<PortSpec> ports = ports(text.substring(portsAt), span, text, portsAt, d);
    if (sel.isEmpty() || ports.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new AclDestination(sel.get(), ports.get(), span));
  }

  /**
   * A grant {@code ip} entry: {@code *}, {@code 443}, {@code tcp:443}, {@code icmp:*}, {@code
   * 6:22}.
   */
  public static Optional<GrantIp> grantIp(String text, SourceSpan span, Diagnostics d) {
    if (text.equals("*")) {
      return Optional.of(new GrantIp(Optional.empty(), PortSpec.ALL, span));
    }
    int colon = text.indexOf(':');
    if (colon < 0) {
      if (IpProtocol.NAMES.containsKey(text.toLowerCase(java.util.Locale.ROOT))) {
        d.error(
            Codes.INVALID_PORT,
            "\"" + text + "\" needs a port",
            span,
            "write " + text + ":* (a bare word in ip is read as a port)");
        return Optional.empty();
      }
      return ports(text, span, d).map(ps -> new GrantIp(Optional.empty(), ps, span));
    }
    if (text.substring(0, colon).equals("*")) {
      // "*:PORTS": any of the default protocols, as Tailscale parses it (same as a bare PORTS).
      return ports(text.substring(colon + 1), span, text, colon + 1, d)
          .map(ps -> new GrantIp(Optional.empty(), ps, true, span));
    }
    Optional<Protocol> proto = protocol(text.substring(0, colon), sub(span, text, 0, colon), d);
    Optional<PortSpec> ports = ports(text.substring(colon + 1), span, text, colon + 1, d);
    if (proto.isEmpty() || ports.isEmpty()) {
      return Optional.empty();
    }
    if (!checkPortsAllowed(proto.get(), ports.get(), span, d)) {
      return Optional.empty();
    }
    return Optional.of(new GrantIp(proto, ports.get(), span));
  }

  // ---------------------------------------------------------------- postures

  /** {@code posture:NAME} in srcPosture/defaultSrcPosture. */
  public static Optional<PostureRef> postureRef(String text, SourceSpan span, Diagnostics d) {
    if (!text.startsWith("posture:") || !validName(text.substring(8))) {
      d.error(
          Codes.INVALID_POSTURE,
          "invalid posture reference \"" + text + "\"",
          span,
          "postures are named posture:NAME");
      return Optional.empty();
    }
    return Optional.of(new PostureRef(text.substring(8), span));
  }

  /** Parses one posture assertion, e.g. {@code node:os IN ['macos', 'linux']}. */
  public static Optional<PostureCondition> postureCondition(
      String text, SourceSpan span, Diagnostics d) {
    return new PostureLexer(text, span, d).condition();
  }

  /** A tiny hand-written scanner for posture assertions. */
  private static final class PostureLexer {
    private static final String OPERATORS = "==, !=, IN, NOT IN, IS SET, NOT SET, <, <=, >, >=";
    private final String s;
    private final SourceSpan span;
    private final Diagnostics d;
    private int i;

    PostureLexer(String s, SourceSpan span, Diagnostics d) {
      this.s = s;
      this.span = span;
      this.d = d;
    }

    private SourceSpan at(int from, int to) {
      return sub(span, s, from, Math.min(Math.max(to, from + 1), s.length()));
    }

    private void ws() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    Optional<PostureCondition> condition() {
      ws();
      int a0 = i;
      while (i < s.length()
          && !Character.isWhitespace(s.charAt(i))
          && "=!<>[".indexOf(s.charAt(i)) < 0) {
        i++;
      }
      String attr = s.substring(a0, i);
      int c = attr.indexOf(':');
      if (c <= 0
          || c == attr.length() - 1
          || !validName(attr.substring(0, c))
          || !validName(attr.substring(c + 1))) {
        d.error(
            Codes.INVALID_POSTURE,
            "invalid posture attribute \"" + attr + "\"",
            at(a0, i),
            "attributes look like node:os, node:tsVersion or custom:NAME");
        return Optional.empty();
      }
      ws();
      int o0 = i;
      PostureOperator op = operator();
      if (op == null) {
        return Optional.empty();
      }
      List<PostureValue> values = new ArrayList<>();
      switch (op.arity()) {
        case NONE -> {}
        case ONE -> {
          ws();
          PostureValue v = value();
          if (v == null) {
            return Optional.empty();
          }
          values.add(v);
        }
        case LIST -> {
          ws();
          if (i >= s.length() || s.charAt(i) != '[') {
            d.error(
                Codes.INVALID_POSTURE,
                op.text() + " needs a list of values",
                at(o0, i),
                "e.g. node:os IN ['macos', 'windows']");
            return Optional.empty();
          }
          i++;
          while (true) {
            ws();
            PostureValue v = value();
            if (v == null) {
              return Optional.empty();
            }
            values.add(v);
            ws();
            if (i < s.length() && s.charAt(i) == ',') {
              i++;
              continue;
            }
            if (i < s.length() && s.charAt(i) == ']') {
              i++;
              break;
            }
            d.error(Codes.INVALID_POSTURE, "expected ',' or ']' in the value list", at(i, i + 1));
            return Optional.empty();
          }
        }
      }
      ws();
      if (i < s.length()) {
        d.error(
            Codes.INVALID_POSTURE,
            "unexpected \"" + s.substring(i) + "\" after the posture condition",
            at(i, s.length()),
            "one assertion per string; list several strings for AND");
        return Optional.empty();
      }
      return Optional.of(new PostureCondition(attr, op, values, span));
    }

    private PostureOperator operator() {
      int o0 = i;
      for (String sym : new String[] {"==", "!=", "<=", ">=", "<", ">"}) {
        if (s.startsWith(sym, i)) {
          i += sym.length();
          if (i < s.length() && "=<>!~".indexOf(s.charAt(i)) >= 0) {
            break;
          }
          return PostureOperator.byText(sym).orElseThrow();
        }
      }
      i = o0;
      String w1 = word();
      String op = w1;
      if (w1.equals("NOT") || w1.equals("IS")) {
        int save = i;
        ws();
        String w2 = word();
        op = w1 + " " + w2;
        if (w2.isEmpty()) {
          i = save;
        }
      }
      Optional<PostureOperator> known = PostureOperator.byText(op);
      if (known.isPresent()) {
        return known.get();
      }
      if (op.isEmpty()) {
        int e = o0;
        while (e < s.length() && !Character.isWhitespace(s.charAt(e))) {
          e++;
        }
        op = s.substring(o0, e);
        i = e;
      }
      if (op.isEmpty()) {
        d.error(
            Codes.INVALID_POSTURE,
            "posture condition has no operator",
            at(o0, o0 + 1),
            "operators: " + OPERATORS);
        return null;
      }
      String upper = op.toUpperCase(java.util.Locale.ROOT);
      String help =
          PostureOperator.byText(upper)
              .map(k -> "did you mean " + k.text() + "? operators are upper case")
              .orElse("operators: " + OPERATORS);
      d.error(
          Codes.UNKNOWN_POSTURE_OPERATOR,
          "unknown posture operator \"" + op + "\"",
          at(o0, i),
          help);
      return null;
    }

    private String word() {
      int w0 = i;
      while (i < s.length() && Character.isLetter(s.charAt(i))) {
        i++;
      }
      return s.substring(w0, i);
    }

    private PostureValue value() {
      if (i >= s.length()) {
        d.error(
            Codes.INVALID_POSTURE,
            "posture condition is missing its value",
            at(Math.max(0, s.length() - 1), s.length()));
        return null;
      }
      char c = s.charAt(i);
      if (c == '\'' || c == '"') {
        int v0 = i;
        StringBuilder sb = new StringBuilder();
        i++;
        while (i < s.length() && s.charAt(i) != c) {
          if (s.charAt(i) == '\\' && i + 1 < s.length()) {
            i++;
          }
          sb.append(s.charAt(i));
          i++;
        }
        if (i >= s.length()) {
          d.error(
              Codes.INVALID_POSTURE,
              "unterminated string in posture condition",
              at(v0, s.length()));
          return null;
        }
        i++;
        return PostureValue.string(sb.toString());
      }
      int v0 = i;
      while (i < s.length()
          && !Character.isWhitespace(s.charAt(i))
          && ",]".indexOf(s.charAt(i)) < 0) {
        i++;
      }
      String tok = s.substring(v0, i);
      if (tok.equals("true") || tok.equals("false")) {
        return new PostureValue(PostureValue.Kind.BOOLEAN, tok);
      }
      if (tok.matches("-?[0-9]+(\\.[0-9]+)?")) {
        return new PostureValue(PostureValue.Kind.NUMBER, tok);
      }
      if (tok.matches("[0-9][0-9.]*")) {
        d.error(
            Codes.INVALID_POSTURE,
            "unquoted version \"" + tok + "\"",
            at(v0, i),
            "quote it: '" + tok + "'");
        return null;
      }
      d.error(
          Codes.INVALID_POSTURE,
          "invalid value \"" + tok + "\" in posture condition",
          at(v0, Math.max(i, v0 + 1)),
          "quote strings: '" + tok + "'");
      return null;
    }
  }

  // ---------------------------------------------------------------- ssh check period

  /** Tailscale's maximum SSH check period. */
  private static final long MAX_CHECK_PERIOD_NANOS = 168L * 3600 * 1_000_000_000L;

  /**
   * Validates an ssh {@code checkPeriod}: {@code always}, or a Go duration ({@code 12h}, {@code
   * 1h30m}, {@code 90s}) that is not negative and at most 168h. Messages follow Go's
   * time.ParseDuration and Tailscale's (SaaS captures).
   */
  public static boolean checkPeriod(String text, SourceSpan span, Diagnostics d) {
    if (text.equals("always")) {
      return true;
    }
    Long nanos = goDuration(text);
    if (nanos == null) {
      d.error(
          Codes.INVALID_SSH,
          "time: invalid duration \"" + text + "\"",
          span,
          "write a duration such as 12h or 30m, or \"always\"");
      return false;
    }
    if (nanos < 0) {
      d.error(
          Codes.INVALID_SSH,
          "checkPeriod " + goDurationString(nanos) + " must be a positive duration",
          span);
      return false;
    }
    if (nanos > MAX_CHECK_PERIOD_NANOS) {
      d.error(
          Codes.INVALID_SSH,
          "checkPeriod " + goDurationString(nanos) + " is above the max (168h)",
          span);
      return false;
    }
    return true;
  }

  /**
   * Go's time.ParseDuration: [-+]? then (number unit)+, units ns us µs ms s m h; "0" alone. Null if
   * invalid.
   */
  static Long goDuration(String s) {
    int i = 0;
    boolean neg = false;
    if (i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
      neg = s.charAt(i) == '-';
      i++;
    }
    if (s.substring(i).equals("0")) {
      return 0L;
    }
    if (i == s.length()) {
      return null;
    }
    double total = 0;
    while (i < s.length()) {
      int n0 = i;
      while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
        i++;
      }
      String num = s.substring(n0, i);
      if (num.isEmpty() || num.equals(".") || num.indexOf('.') != num.lastIndexOf('.')) {
        return null;
      }
      int u0 = i;
      while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
        i++;
      }
      double unit =
          switch (s.substring(u0, i)) {
            case "ns" -> 1;
            case "us", "µs", "μs" -> 1e3;
            case "ms" -> 1e6;
            case "s" -> 1e9;
            case "m" -> 60e9;
            case "h" -> 3600e9;
            default -> -1;
          };
      if (unit < 0) {
        return null;
      }
      total += Double.parseDouble(num) * unit;
      if (total > Long.MAX_VALUE) {
        return null;
      }
    }
    long v = Math.round(total);
    return neg ? -v : v;
  }

  /** Go's Duration.String for whole and fractional seconds and above, e.g. 200h0m0s, -1m0s. */
  static String goDurationString(long nanos) {
    if (nanos == 0) {
      return "0s";
    }
    StringBuilder sb = new StringBuilder();
    long n = Math.abs(nanos);
    if (nanos < 0) {
      sb.append('-');
    }
    if (n < 1_000_000_000L) {
      return sb.append(n).append("ns").toString();
    }
    long h = n / 3_600_000_000_000L;
    long m = (n / 60_000_000_000L) % 60;
    long sec = (n / 1_000_000_000L) % 60;
    long frac = n % 1_000_000_000L;
    if (h > 0) {
      sb.append(h).append('h');
    }
    if (h > 0 || m > 0) {
      sb.append(m).append('m');
    }
    sb.append(sec);
    if (frac > 0) {
      String f = String.format("%09d", frac).replaceAll("0+$", "");
      sb.append('.').append(f);
    }
    return sb.append('s').toString();
  }

  // ---------------------------------------------------------------- ipsets and tests

  /** An ipset operation {@code add T}, {@code remove T} or a bare {@code T} (add). */
  static Optional<IpSetOpParse> ipsetOp(String text, SourceSpan span, Diagnostics d) {
    String t = text.strip();
    int sp = indexOfSpace(t);
    IpSetDef.Kind kind = IpSetDef.Kind.ADD;
    boolean explicit = false;
    String target = t;
    int off = text.indexOf(t);
    if (sp > 0) {
      String w = t.substring(0, sp);
      if (w.equals("add") || w.equals("remove")) {
        kind = w.equals("add") ? IpSetDef.Kind.ADD : IpSetDef.Kind.REMOVE;
        explicit = true;
        target = t.substring(sp).strip();
        off = text.indexOf(target, off + sp);
      } else {
        d.error(
            Codes.INVALID_IPSET_ELEMENT,
            "invalid ipset operation \"" + text + "\"",
            span,
            "write \"add TARGET\" or \"remove TARGET\"");
        return Optional.empty();
      }
    }
    Optional<Selector> sel = selector(target, sub(span, text, off, off + target.length()), d);
    IpSetDef.Kind k = kind;
    boolean e = explicit;
    return sel.map(s -> new IpSetOpParse(new IpSetDef.Op(k, s, span), e));
  }

  /** An ipset operation and whether its add/remove word was written. */
  record IpSetOpParse(IpSetDef.Op op, boolean explicit) {}

  private static int indexOfSpace(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isWhitespace(s.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  /**
   * A test source: raw text kept; parsed quietly (an odd source fails the test, not the policy).
   */
  public static TestSource testSource(String text, SourceSpan span) {
    return new TestSource(text, selector(text, span, new Diagnostics()), span);
  }

  /** A test destination {@code host:port}: raw text kept, parsed quietly. */
  public static TestDestination testDestination(String text, SourceSpan span) {
    Optional<AclDestination> dst = aclDestination(text, span, new Diagnostics());
    return new TestDestination(
        text, dst.map(AclDestination::target), dst.map(AclDestination::ports), span);
  }
}
