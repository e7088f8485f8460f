package dev.tessera.compiler.reference;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.inventory.InventoryUser;
import dev.tessera.compiler.inventory.Role;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpCidr;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.AclAction;
import dev.tessera.policy.ast.AclDestination;
import dev.tessera.policy.ast.AutoGroup;
import dev.tessera.policy.ast.Grant;
import dev.tessera.policy.ast.GrantIp;
import dev.tessera.policy.ast.GroupDef;
import dev.tessera.policy.ast.HostDef;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PortRange;
import dev.tessera.policy.ast.PortSpec;
import dev.tessera.policy.ast.PostureCondition;
import dev.tessera.policy.ast.PostureDef;
import dev.tessera.policy.ast.PostureOperator;
import dev.tessera.policy.ast.PostureRef;
import dev.tessera.policy.ast.PostureValue;
import dev.tessera.policy.ast.Protocol;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.ast.TagOwner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;

/**
 * Random small tailnets (inventory + valid policy AST) for differential tests: users with roles,
 * untagged and tagged devices, subnet routers (one with overlapping routes), an exit node, posture
 * attributes; acls and grants over every selector kind, ports, protocols, postures, {@code
 * defaultSrcPosture}, autogroup:self and autogroup:internet. Seeded: the same seed gives the same
 * tailnet.
 */
public final class RandomTailnet {
  static final SourceSpan NO = SourceSpan.NONE;
  static final String[] USERS = {"ann@a.com", "bo@a.com", "cy@b.org", "di@b.org"};
  static final String[] TAGS = {"web", "db", "router", "exit"};
  static final String[] GROUPS = {"eng", "ops"};
  static final String[] ROUTES = {"10.1.0.0/16", "10.1.2.0/24", "192.168.5.0/24", "fd00:10::/64"};

  public final Policy policy;
  public final Inventory inventory;
  public final List<IpAddress> probeSources = new ArrayList<>();

  public RandomTailnet(long seed) {
    Random r = new Random(seed);
    List<InventoryUser> users = new ArrayList<>();
    Role[] roles = Role.values();
    for (String u : USERS) {
      users.add(new InventoryUser(u, roles[r.nextInt(roles.length)], NO));
    }
    List<InventoryNode> nodes = new ArrayList<>();
    int n = 5 + r.nextInt(7);
    for (int i = 0; i < n; i++) {
      boolean tagged = r.nextInt(3) == 0;
      List<String> tags = new ArrayList<>();
      if (tagged) {
        tags.add("tag:" + TAGS[r.nextInt(TAGS.length)]);
        if (r.nextBoolean()) {
          String t = "tag:" + TAGS[r.nextInt(TAGS.length)];
          if (!tags.contains(t)) {
            tags.add(t);
          }
        }
      }
      String user = tagged ? null : USERS[r.nextInt(USERS.length)];
      List<IpAddress> ips =
          List.of(
              IpAddress.parse("100.64.0." + (i + 1)),
              IpAddress.parse("fd7a:115c:a1e0::" + (i + 1)));
      List<IpPrefix> routes = new ArrayList<>();
      if (tagged && r.nextInt(3) == 0) {
        routes.add(IpPrefix.parse(ROUTES[r.nextInt(ROUTES.length)]));
      }
      if (tagged && r.nextInt(5) == 0) {
        routes.add(IpPrefix.ALL_V4);
        routes.add(IpPrefix.ALL_V6);
      }
      Map<String, PostureValue> posture = new TreeMap<>();
      if (r.nextInt(4) != 0) {
        posture.put("node:os", PostureValue.string(r.nextBoolean() ? "macos" : "linux"));
      }
      if (r.nextInt(4) != 0) {
        posture.put("node:tsVersion", PostureValue.string(r.nextBoolean() ? "1.60.0" : "1.100.2"));
      }
      nodes.add(
          InventoryNode.of("n" + i, user, tags, ips, posture, routes.stream().distinct().toList()));
    }
    inventory = new Inventory(users, nodes);
    for (InventoryNode node : nodes) {
      probeSources.addAll(node.ips());
    }
    probeSources.add(IpAddress.parse("10.1.2.7"));
    probeSources.add(IpAddress.parse("10.1.200.7"));
    probeSources.add(IpAddress.parse("192.168.5.9"));
    probeSources.add(IpAddress.parse("8.8.8.8"));
    probeSources.add(IpAddress.parse("100.100.100.100"));
    probeSources.add(IpAddress.parse("fd00:10::5"));

    List<GroupDef> groups = new ArrayList<>();
    for (String g : GROUPS) {
      List<Selector> members = new ArrayList<>();
      for (String u : USERS) {
        if (r.nextBoolean()) {
          members.add(new Selector.User(u, NO));
        }
      }
      groups.add(new GroupDef(g, members, NO));
    }
    List<TagOwner> owners = new ArrayList<>();
    for (String t : TAGS) {
      owners.add(new TagOwner(t, List.of(new Selector.Group("ops", NO)), NO));
    }
    List<HostDef> hosts =
        List.of(
            new HostDef("lan", IpCidr.parse("10.1.0.0/16"), NO),
            new HostDef("n2host", IpCidr.parse("100.64.0.3"), NO));
    List<PostureDef> postures =
        List.of(
            new PostureDef(
                "mac",
                List.of(
                    new PostureCondition(
                        "node:os", PostureOperator.EQ, List.of(PostureValue.string("macos")), NO)),
                NO),
            new PostureDef(
                "recent",
                List.of(
                    new PostureCondition(
                        "node:tsVersion",
                        PostureOperator.GE,
                        List.of(PostureValue.string("1.62")),
                        NO)),
                NO));
    Policy.Builder b =
        Policy.builder().groups(groups).tagOwners(owners).hosts(hosts).postures(postures);
    if (r.nextInt(4) == 0) {
      b.defaultSrcPosture(List.of(new PostureRef(r.nextBoolean() ? "mac" : "recent", NO)));
    }
    List<Acl> acls = new ArrayList<>();
    int na = r.nextInt(4);
    for (int i = 0; i < na; i++) {
      List<Selector> src = sources(r);
      boolean selfOk =
          src.stream()
              .allMatch(
                  s ->
                      s instanceof Selector.User
                          || s instanceof Selector.Group
                          || s instanceof Selector.Auto a && a.group() == AutoGroup.MEMBER);
      List<AclDestination> dst = new ArrayList<>();
      int nd = 1 + r.nextInt(2);
      for (int k = 0; k < nd; k++) {
        dst.add(new AclDestination(destination(r, selfOk), ports(r), NO));
      }
      Optional<Protocol> proto =
          switch (r.nextInt(5)) {
            case 0 -> Optional.of(Protocol.named("tcp"));
            case 1 -> Optional.of(Protocol.named("udp"));
            default -> Optional.empty();
          };
      acls.add(new Acl(AclAction.ACCEPT, src, dst, proto, postureRefs(r), NO));
    }
    b.acls(acls);
    List<Grant> grants = new ArrayList<>();
    int ng = r.nextInt(4);
    for (int i = 0; i < ng; i++) {
      List<Selector> src = sources(r);
      boolean selfOk =
          src.stream()
              .allMatch(
                  s ->
                      s instanceof Selector.User
                          || s instanceof Selector.Group
                          || s instanceof Selector.Auto a && a.group() == AutoGroup.MEMBER);
      List<Selector> dst = List.of(destination(r, selfOk));
      List<GrantIp> ip = new ArrayList<>();
      int ni = 1 + r.nextInt(2);
      for (int k = 0; k < ni; k++) {
        Optional<Protocol> proto =
            switch (r.nextInt(5)) {
              case 0 -> Optional.of(Protocol.named("tcp"));
              case 1 -> Optional.of(Protocol.named("udp"));
              case 2 -> Optional.of(Protocol.named("icmp"));
              default -> Optional.empty();
            };
        PortSpec ps = proto.isPresent() && proto.get().number() == 1 ? PortSpec.ALL : ports(r);
        ip.add(new GrantIp(proto, ps, NO));
      }
      List<Selector> via = r.nextInt(4) == 0 ? List.of(new Selector.Tag("router", NO)) : List.of();
      grants.add(new Grant(src, dst, ip, List.of(), postureRefs(r), via, NO));
    }
    b.grants(grants);
    policy = b.build();
  }

  private static List<PostureRef> postureRefs(Random r) {
    return switch (r.nextInt(5)) {
      case 0 -> List.of(new PostureRef("mac", NO));
      case 1 -> List.of(new PostureRef("mac", NO), new PostureRef("recent", NO));
      default -> List.of();
    };
  }

  private static List<Selector> sources(Random r) {
    List<Selector> out = new ArrayList<>();
    int n = 1 + r.nextInt(2);
    for (int i = 0; i < n; i++) {
      out.add(
          switch (r.nextInt(11)) {
            case 0 -> new Selector.Wildcard(NO);
            case 1 -> new Selector.User(USERS[r.nextInt(USERS.length)], NO);
            case 2 -> new Selector.Group(GROUPS[r.nextInt(GROUPS.length)], NO);
            case 3 -> new Selector.Tag(TAGS[r.nextInt(TAGS.length)], NO);
            case 4 -> new Selector.Auto(AutoGroup.MEMBER, NO);
            case 5 -> new Selector.Auto(AutoGroup.TAGGED, NO);
            case 6 -> new Selector.Auto(r.nextBoolean() ? AutoGroup.ADMIN : AutoGroup.IT_ADMIN, NO);
            case 7 -> new Selector.Host("lan", NO);
            case 8 -> new Selector.Ip(IpCidr.parse("100.64.0.0/29"), NO);
            case 9 -> new Selector.UserDomain("b.org", NO);
            default -> new Selector.Auto(AutoGroup.DANGER_ALL, NO);
          });
    }
    return out;
  }

  private static Selector destination(Random r, boolean selfOk) {
    int k = r.nextInt(selfOk ? 11 : 10);
    return switch (k) {
      case 0 -> new Selector.Wildcard(NO);
      case 1 -> new Selector.User(USERS[r.nextInt(USERS.length)], NO);
      case 2 -> new Selector.Group(GROUPS[r.nextInt(GROUPS.length)], NO);
      case 3 -> new Selector.Tag(TAGS[r.nextInt(TAGS.length)], NO);
      case 4 -> new Selector.Auto(r.nextBoolean() ? AutoGroup.MEMBER : AutoGroup.TAGGED, NO);
      case 5 -> new Selector.Host(r.nextBoolean() ? "lan" : "n2host", NO);
      case 6 -> new Selector.Ip(IpCidr.parse(ROUTES[r.nextInt(ROUTES.length)]), NO);
      case 7 -> new Selector.Auto(AutoGroup.INTERNET, NO);
      case 8 -> new Selector.Range(IpAddress.parse("10.1.2.0"), IpAddress.parse("10.1.2.9"), NO);
      case 9 -> new Selector.Auto(AutoGroup.OWNER, NO);
      default -> new Selector.Auto(AutoGroup.SELF, NO);
    };
  }

  private static PortSpec ports(Random r) {
    return switch (r.nextInt(5)) {
      case 0 -> PortSpec.of(PortRange.single(22));
      case 1 -> PortSpec.of(new PortRange(80, 90), PortRange.single(443));
      case 2 -> PortSpec.of(new PortRange(1000, 2000));
      default -> PortSpec.ALL;
    };
  }
}
