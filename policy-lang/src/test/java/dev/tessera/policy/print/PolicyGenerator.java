package dev.tessera.policy.print;

import dev.tessera.net.IpAddress;
import dev.tessera.net.IpCidr;
import dev.tessera.net.IpProtocol;
import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.AclAction;
import dev.tessera.policy.ast.AclDestination;
import dev.tessera.policy.ast.AppCapability;
import dev.tessera.policy.ast.AutoApprovers;
import dev.tessera.policy.ast.AutoGroup;
import dev.tessera.policy.ast.Grant;
import dev.tessera.policy.ast.GrantIp;
import dev.tessera.policy.ast.GroupDef;
import dev.tessera.policy.ast.HostDef;
import dev.tessera.policy.ast.IpSetDef;
import dev.tessera.policy.ast.JsonText;
import dev.tessera.policy.ast.NodeAttr;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PolicyTest;
import dev.tessera.policy.ast.PortRange;
import dev.tessera.policy.ast.PortSpec;
import dev.tessera.policy.ast.PostureCondition;
import dev.tessera.policy.ast.PostureDef;
import dev.tessera.policy.ast.PostureOperator;
import dev.tessera.policy.ast.PostureRef;
import dev.tessera.policy.ast.PostureValue;
import dev.tessera.policy.ast.Protocol;
import dev.tessera.policy.ast.Section;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.ast.SshRule;
import dev.tessera.policy.ast.SshTest;
import dev.tessera.policy.ast.TagOwner;
import dev.tessera.policy.ast.TestDestination;
import dev.tessera.policy.syntax.JsonBlocks;
import dev.tessera.policy.syntax.Tree;
import dev.tessera.policy.syntax.Values;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Random ASTs that any reader could have produced: every value is well-formed (the readers reject
 * malformed values, so such ASTs cannot come from text), but the policy need not be meaningful
 * (undefined groups, odd autogroup placements are fine: printing must preserve them too). Names are
 * unique per kind because readers drop duplicates. Free-text fields (ssh users, attributes, test
 * sources, posture strings, JSON strings) draw from a pool with spaces, quotes, backslashes,
 * keywords of every syntax, non-ASCII and astral characters, to exercise every printer's quoting.
 */
final class PolicyGenerator {
  private static final SourceSpan N = SourceSpan.NONE;
  private static final String[] WORDS = {
    "eng", "ops", "web", "db", "prod", "dev", "a", "x1", "web-1", "db_2", "v1.2", "Émile", "group",
    "tag", "allow", "test", "set", "in", "and", "true", "null", "yes", "no", "on", "443", "1.60",
    "exit-node", "deny", "a-b", "z.z"
  };
  private static final String[] TRICKY = {
    "",
    " ",
    "root",
    "autogroup:nonroot",
    "localpart:*@acme.com",
    "GIT_*",
    "a b",
    "quote\"d",
    "single'q",
    "back\\slash",
    "tab\there",
    "new\nline",
    "日本語",
    "emoji 🎉",
    "#hash",
    "// slashes",
    "/* c */",
    "- dash",
    "key: value",
    "*",
    "&anchor",
    "!tag",
    "@at",
    "%pct",
    "{json}",
    "[1, 2]",
    "true",
    "false",
    "null",
    "~",
    "Yes",
    "0x1F",
    "1e5",
    "012",
    "-",
    "->",
    "=",
    ",",
    "a,1",
    "x:",
    "test",
    "group",
    "SET",
    "NOT IN",
    "funnel",
    "mullvad",
    "drive:share",
    "nextdns:abc123"
  };
  private static final String[] POSTURE_ATTRS = {
    "node:os",
    "node:osVersion",
    "node:tsVersion",
    "node:tsReleaseTrack",
    "node:tsAutoUpdate",
    "custom:tier",
    "custom:managed-by",
    "falcon:ztaScore"
  };
  private static final List<String> PROTO_NAMES = List.copyOf(IpProtocol.NAMES.keySet());
  private static final Set<String> PREFIX_WORDS =
      Set.of("tag", "group", "autogroup", "ipset", "user", "posture", "host", "localpart");

  private final Random r;

  PolicyGenerator(long seed) {
    this.r = new Random(seed);
  }

  Policy policy() {
    Policy.Builder b = Policy.builder();
    for (Section s : Section.values()) {
      if (r.nextInt(10) < 6) {
        int n = r.nextInt(5) == 0 ? 0 : 1 + r.nextInt(4);
        switch (s) {
          case GROUPS ->
              b.groups(unique(n, () -> new GroupDef(name(), selectors(0, 4), N), GroupDef::name));
          case TAG_OWNERS ->
              b.tagOwners(
                  unique(n, () -> new TagOwner(tagName(), selectors(0, 3), N), TagOwner::tag));
          case HOSTS ->
              b.hosts(unique(n, () -> new HostDef(hostName(), prefix(), N), HostDef::name));
          case IPSETS -> b.ipsets(unique(n, this::ipset, IpSetDef::name));
          case POSTURES ->
              b.postures(
                  unique(
                      n,
                      () -> new PostureDef(name(), list(0, 3, this::condition), N),
                      PostureDef::name));
          case DEFAULT_SRC_POSTURE -> b.defaultSrcPosture(list(0, 3, this::postureRef));
          case ACLS -> b.acls(list(n, n, this::acl));
          case GRANTS -> b.grants(list(n, n, this::grant));
          case AUTO_APPROVERS -> b.autoApprovers(autoApprovers());
          case SSH -> b.ssh(list(n, n, this::ssh));
          case NODE_ATTRS -> b.nodeAttrs(list(n, n, this::nodeAttr));
          case TESTS -> b.tests(list(n, n, this::test));
          case SSH_TESTS -> b.sshTests(list(n, n, this::sshTest));
          case DERP_MAP -> b.derpMap(new JsonText(JsonBlocks.compact(jsonObject(3)), N));
          case DISABLE_IPV4 -> b.disableIPv4(r.nextBoolean());
          case RANDOMIZE_CLIENT_PORT -> b.randomizeClientPort(r.nextBoolean());
        }
      }
    }
    return b.build();
  }

  // ------------------------------------------------------------------ entries

  private IpSetDef ipset() {
    List<IpSetDef.Op> ops =
        list(
            0,
            4,
            () ->
                new IpSetDef.Op(
                    r.nextInt(3) == 0 ? IpSetDef.Kind.REMOVE : IpSetDef.Kind.ADD,
                    ipsetTarget(),
                    N));
    return new IpSetDef(name(), ops, N);
  }

  private Selector ipsetTarget() {
    return switch (r.nextInt(5)) {
      case 0 -> new Selector.Host(hostName(), N);
      case 1 -> new Selector.IpSet(name(), N);
      case 2 -> range();
      case 3 -> new Selector.Auto(AutoGroup.INTERNET, N);
      default -> new Selector.Ip(prefix(), N);
    };
  }

  private PostureCondition condition() {
    PostureOperator op = pick(PostureOperator.values());
    List<PostureValue> values =
        switch (op.arity()) {
          case NONE -> List.of();
          case ONE -> List.of(postureValue());
          case LIST -> list(1, 3, this::postureValue);
        };
    return new PostureCondition(pick(POSTURE_ATTRS), op, values, N);
  }

  private PostureValue postureValue() {
    return switch (r.nextInt(4)) {
      case 0 ->
          new PostureValue(
              PostureValue.Kind.NUMBER,
              (r.nextBoolean() ? "-" : "")
                  + r.nextInt(1000)
                  + (r.nextBoolean() ? "." + r.nextInt(100) : ""));
      case 1 -> new PostureValue(PostureValue.Kind.BOOLEAN, Boolean.toString(r.nextBoolean()));
      case 2 -> PostureValue.string(r.nextInt(100) + "." + r.nextInt(100));
      default -> PostureValue.string(text());
    };
  }

  private PostureRef postureRef() {
    return new PostureRef(name(), N);
  }

  private Acl acl() {
    Optional<Protocol> proto = r.nextInt(3) == 0 ? Optional.of(protocol()) : Optional.empty();
    boolean portsOk = proto.map(Protocol::supportsPorts).orElse(true);
    List<AclDestination> dst =
        list(0, 3, () -> new AclDestination(selector(), portsOk ? ports() : PortSpec.ALL, N));
    return new Acl(AclAction.ACCEPT, selectors(0, 3), dst, proto, list(0, 2, this::postureRef), N);
  }

  private Grant grant() {
    List<GrantIp> ip =
        list(
            0,
            3,
            () -> {
              if (r.nextInt(4) == 0) {
                return new GrantIp(
                    Optional.empty(),
                    r.nextBoolean() ? PortSpec.ALL : ports(),
                    r.nextInt(4) == 0,
                    N);
              }
              Protocol p = protocol();
              return new GrantIp(Optional.of(p), p.supportsPorts() ? ports() : PortSpec.ALL, N);
            });
    List<AppCapability> app = r.nextInt(3) == 0 ? apps() : List.of();
    return new Grant(
        selectors(0, 3),
        selectors(0, 3),
        ip,
        app,
        list(0, 2, this::postureRef),
        list(0, 2, () -> new Selector.Tag(name(), N)),
        N);
  }

  private List<AppCapability> apps() {
    List<String> names = new ArrayList<>();
    return list(
        1,
        2,
        () -> {
          String n;
          do {
            n = r.nextBoolean() ? "tailscale.com/cap/" + pick(WORDS) : text();
          } while (names.contains(n));
          names.add(n);
          return new AppCapability(
              n, list(0, 2, () -> new JsonText(JsonBlocks.compact(json(2)), N)), N);
        });
  }

  private AutoApprovers autoApprovers() {
    List<AutoApprovers.RouteApprover> routes =
        unique(
            r.nextInt(3),
            () -> new AutoApprovers.RouteApprover(prefix(), selectors(0, 2), N),
            ra -> ra.route().toCompactString());
    List<AutoApprovers.ServiceApprover> services =
        unique(
            r.nextInt(3),
            () ->
                new AutoApprovers.ServiceApprover(
                    r.nextBoolean()
                        ? new Selector.Service("svc-" + r.nextInt(5), N)
                        : new Selector.Tag(name(), N),
                    selectors(0, 2),
                    N),
            sa -> sa.service().text());
    return new AutoApprovers(routes, selectors(0, 2), services, N);
  }

  private SshRule ssh() {
    return new SshRule(
        pick(SshRule.Action.values()),
        selectors(0, 2),
        selectors(0, 2),
        list(0, 3, this::sshUser),
        r.nextBoolean()
            ? Optional.of(pick(new String[] {"12h", "always", "1h30m", "90s", "168h", "0"}))
            : Optional.empty(),
        list(0, 2, this::nonEmptyText),
        list(0, 2, this::postureRef),
        list(0, 2, () -> new Selector.Tag(name(), N)),
        r.nextInt(3) == 0 ? Optional.of(r.nextBoolean()) : Optional.empty(),
        N);
  }

  /** Readers trim ssh users and reject empty ones and "*" (as Tailscale does). */
  private String sshUser() {
    String u = text().strip();
    return u.isEmpty() || u.equals("*") ? "root" : u;
  }

  private String nonEmptyText() {
    String t = text();
    return t.isEmpty() ? "LANG" : t;
  }

  private NodeAttr nodeAttr() {
    return new NodeAttr(
        selectors(0, 3),
        list(0, 3, this::text),
        r.nextInt(4) == 0 ? apps() : List.of(),
        r.nextInt(4) == 0 ? list(1, 2, this::prefix) : List.of(),
        N);
  }

  private PolicyTest test() {
    String src = r.nextBoolean() ? selector().text() : text();
    Optional<Protocol> proto = r.nextInt(3) == 0 ? Optional.of(protocol()) : Optional.empty();
    return new PolicyTest(
        Values.testSource(src, N), proto, list(0, 3, this::testDst), list(0, 2, this::testDst), N);
  }

  private TestDestination testDst() {
    String raw = r.nextInt(4) == 0 ? text() : new AclDestination(selector(), ports(), N).text();
    return Values.testDestination(raw, N);
  }

  private SshTest sshTest() {
    return new SshTest(
        text(),
        list(0, 2, this::text),
        list(0, 2, this::text),
        list(0, 2, this::text),
        list(0, 2, this::text),
        N);
  }

  // ------------------------------------------------------------------ values

  private List<Selector> selectors(int min, int max) {
    return list(min, max, this::selector);
  }

  private Selector selector() {
    return switch (r.nextInt(10)) {
      case 0 -> new Selector.Wildcard(N);
      case 1 ->
          new Selector.User(
              pick(WORDS).toLowerCase(java.util.Locale.ROOT).replace(".", "")
                  + (r.nextBoolean() ? "@acme.com" : r.nextBoolean() ? "@" : "@github"),
              N);
      case 2 -> new Selector.UserDomain(pick(new String[] {"acme.com", "example.org"}), N);
      case 3 -> new Selector.Group(name(), N);
      case 4 -> new Selector.Tag(name(), N);
      case 5 ->
          r.nextInt(6) == 0
              ? new Selector.Auto(AutoGroup.MEMBER, true, N)
              : new Selector.Auto(pick(AutoGroup.values()), N);
      case 6 -> new Selector.Host(hostName(), N);
      case 7 -> new Selector.IpSet(name(), N);
      case 8 -> r.nextInt(4) == 0 ? new Selector.Service("svc-" + r.nextInt(5), N) : range();
      default -> new Selector.Ip(prefix(), N);
    };
  }

  private Selector range() {
    IpAddress a = address(r.nextBoolean());
    IpAddress b =
        !a.ipv6()
            ? IpAddress.ofV4((int) Math.min(0xFFFF_FFFFL, a.lo() + r.nextInt(300)))
            : IpAddress.ofV6(a.hi(), a.lo() + r.nextInt(300));
    if (Long.compareUnsigned(b.lo(), a.lo()) < 0) {
      b = a;
    }
    return new Selector.Range(a, b, N);
  }

  private IpCidr prefix() {
    IpAddress a = address(r.nextInt(3) > 0);
    int bits = r.nextBoolean() ? a.bitLength() : r.nextInt(a.bitLength() + 1);
    IpCidr p = new IpCidr(a, bits);
    return r.nextBoolean() ? new IpCidr(p.masked().address(), bits) : p;
  }

  private IpAddress address(boolean v4) {
    if (v4) {
      return IpAddress.ofV4(r.nextInt());
    }
    long hi = r.nextBoolean() ? 0xfd7a_115c_a1e0_0000L | r.nextInt(0xFFFF) : r.nextLong();
    long lo = r.nextBoolean() ? r.nextInt(1000) : r.nextLong();
    return IpAddress.ofV6(hi, lo);
  }

  private PortSpec ports() {
    if (r.nextInt(4) == 0) {
      return PortSpec.ALL;
    }
    return new PortSpec(
        list(
            1,
            3,
            () -> {
              int a = 1 + r.nextInt(65535);
              int b = r.nextBoolean() ? a : a + r.nextInt(65536 - a);
              return new PortRange(a, b);
            }));
  }

  private Protocol protocol() {
    return r.nextBoolean()
        ? Protocol.named(PROTO_NAMES.get(r.nextInt(PROTO_NAMES.size())))
        : r.nextBoolean()
            ? Protocol.number(pick(new Integer[] {6, 17, 1, 58, 132}))
            : Protocol.number(r.nextInt(256));
  }

  /** A group/tag/ipset/posture name: letters, digits, '-', '_', '.'. */
  private String name() {
    String w = pick(WORDS);
    if (!Values.validName(w)) {
      w = "n" + r.nextInt(100);
    }
    return r.nextBoolean() ? w : w + "-" + r.nextInt(50);
  }

  /** Defined tag names start with an ASCII letter (Tailscale's rule, enforced by the readers). */
  private String tagName() {
    String n = name();
    char c = n.charAt(0);
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ? n : "t" + n;
  }

  /** Host names must not parse as an IP or a prefixed selector, as the readers decide by form. */
  private String hostName() {
    String n;
    do {
      n = name();
    } while (PREFIX_WORDS.contains(n)
        || !Character.isLetter(n.charAt(0))
        || n.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.'));
    return n;
  }

  private String text() {
    if (r.nextInt(3) == 0) {
      StringBuilder sb = new StringBuilder();
      int len = r.nextInt(8);
      for (int i = 0; i < len; i++) {
        sb.appendCodePoint(
            switch (r.nextInt(6)) {
              case 0 -> 0x20 + r.nextInt(95);
              case 1 -> 0xe9;
              case 2 -> 0x1F600 + r.nextInt(10);
              default -> 'a' + r.nextInt(26);
            });
      }
      return sb.toString();
    }
    return pick(TRICKY);
  }

  // ------------------------------------------------------------------ JSON

  private Tree.Obj jsonObject(int depth) {
    List<Tree.Entry> es = new ArrayList<>();
    Set<String> keys = new HashSet<>();
    int n = r.nextInt(4);
    for (int i = 0; i < n; i++) {
      String k = r.nextBoolean() ? pick(WORDS) : text();
      if (keys.add(k)) {
        es.add(new Tree.Entry(k, N, json(depth - 1)));
      }
    }
    return new Tree.Obj(es, N);
  }

  private Tree json(int depth) {
    int k = depth <= 0 ? 2 + r.nextInt(4) : r.nextInt(6);
    return switch (k) {
      case 0 -> jsonObject(depth);
      case 1 -> new Tree.Arr(list(0, 3, () -> json(depth - 1)), N);
      case 2 -> new Tree.Str(text(), N);
      case 3 ->
          new Tree.Num(
              pick(new String[] {"0", "1", "-7", "1.50", "900", "3.25", "12345678901234567890"}),
              true,
              N);
      case 4 -> new Tree.Bool(r.nextBoolean(), N);
      default -> new Tree.Null(N);
    };
  }

  // ------------------------------------------------------------------ helpers

  private <T> List<T> list(int min, int max, Supplier<T> f) {
    int n = min + (max > min ? r.nextInt(max - min + 1) : 0);
    List<T> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(f.get());
    }
    return out;
  }

  private <T> List<T> unique(int n, Supplier<T> f, java.util.function.Function<T, String> key) {
    List<T> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < n * 3 && out.size() < n; i++) {
      T t = f.get();
      if (seen.add(key.apply(t))) {
        out.add(t);
      }
    }
    return out;
  }

  private <T> T pick(T[] a) {
    return a[r.nextInt(a.length)];
  }
}
