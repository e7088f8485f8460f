package dev.tessera.bench.compiler;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.inventory.InventoryUser;
import dev.tessera.compiler.inventory.Role;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.AclAction;
import dev.tessera.policy.ast.AclDestination;
import dev.tessera.policy.ast.AutoGroup;
import dev.tessera.policy.ast.Grant;
import dev.tessera.policy.ast.GrantIp;
import dev.tessera.policy.ast.GroupDef;
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
 * A synthetic company tailnet for scaling measurements: at 10k nodes, 500 users, 100 groups, 200
 * tags, 2,000 rules (1,500 acls, 500 grants), postures, 50 subnet routers and 5 exit nodes. Users,
 * groups, tags and rules scale with the node count (at 1k nodes: 50 users, 10 groups, 20 tags, 200
 * rules), so the per-node output stays comparable and "cost grows no faster than the output" can be
 * read off the figures. Deterministic for a given seed.
 *
 * <p>Shape: 70% of nodes are user devices (about 14 per user), 30% tagged servers with one or two
 * tags; rules go from groups (65%), tags (25%), users (9.5%), autogroup:member (0.5%) to tags with
 * ports (70%), groups (10%), subnets behind routers (15%), autogroup:self (5%); one rule in ten has
 * a srcPosture. No {@code *} destinations: at 10k nodes a rule to {@code *} from everyone is a 10k
 * x 10k output that no real tailnet has.
 */
public final class SyntheticTailnet {
  static final SourceSpan NO = SourceSpan.NONE;

  public final Policy policy;
  public final Inventory inventory;
  private final Random rnd;
  private final int users;
  private final int tags;
  private int nextIp;

  public SyntheticTailnet(int nodes, long seed) {
    rnd = new Random(seed);
    double scale = nodes / 10_000.0;
    users = Math.max(5, (int) Math.round(500 * scale));
    int groups = Math.max(2, (int) Math.round(100 * scale));
    tags = Math.max(4, (int) Math.round(200 * scale));
    int rules = Math.max(10, (int) Math.round(2000 * scale));
    int routers = Math.max(2, (int) Math.round(50 * scale));
    int exits = Math.max(1, (int) Math.round(5 * scale));

    List<InventoryUser> us = users(users);
    List<InventoryNode> ns = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      Map<String, PostureValue> posture = new TreeMap<>();
      posture.put("node:os", PostureValue.string(rnd.nextInt(3) == 0 ? "linux" : "macos"));
      posture.put("node:tsVersion", PostureValue.string("1." + (50 + rnd.nextInt(60)) + ".0"));
      List<IpPrefix> routes = new ArrayList<>();
      boolean tagged = i % 10 < 3 || i < routers + exits;
      List<String> ts = new ArrayList<>();
      if (tagged) {
        ts.add(tag(rnd.nextInt(tags)));
        if (rnd.nextBoolean()) {
          String t2 = tag(rnd.nextInt(tags));
          if (!ts.contains(t2)) {
            ts.add(t2);
          }
        }
        if (i < routers) {
          routes.add(IpPrefix.parse("10." + (i % 250) + "." + (i / 250) + ".0/24"));
        } else if (i < routers + exits) {
          routes.add(IpPrefix.ALL_V4);
          routes.add(IpPrefix.ALL_V6);
        }
      }
      int ip = nextIp++;
      List<IpAddress> ips =
          List.of(
              IpAddress.ofV4(0x6440_0000 + 1 + ip),
              new IpAddress(true, 0xfd7a_115c_a1e0_0000L, 1 + ip));
      ns.add(
          InventoryNode.of(
              String.format("node-%05d", i),
              tagged ? null : user(rnd.nextInt(users)),
              ts,
              ips,
              posture,
              routes));
    }
    inventory = new Inventory(us, ns);

    List<GroupDef> gs = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      List<Selector> members = new ArrayList<>();
      // 10-20 users at 500 users (2-4%); the same share at other sizes.
      int size = Math.max(2, (int) Math.round(users * (0.02 + 0.02 * rnd.nextDouble())));
      for (int k = 0; k < size; k++) {
        members.add(new Selector.User(user(rnd.nextInt(users)), NO));
      }
      gs.add(new GroupDef("g" + g, members, NO));
    }
    List<TagOwner> owners = tagOwners(tags);
    List<PostureDef> postures = POSTURES;
    List<Acl> acls = new ArrayList<>();
    List<Grant> grants = new ArrayList<>();
    for (int r = 0; r < rules; r++) {
      List<Selector> src = List.of(source(groups));
      boolean userish = !(src.getFirst() instanceof Selector.Tag);
      Selector dst = destination(groups, routers, userish);
      List<PostureRef> post =
          r % 10 == 0 ? List.of(new PostureRef(r % 20 == 0 ? "mac" : "recent", NO)) : List.of();
      if (r % 4 != 3) {
        acls.add(
            new Acl(
                AclAction.ACCEPT,
                src,
                List.of(new AclDestination(dst, ports(), NO)),
                rnd.nextBoolean() ? Optional.of(Protocol.named("tcp")) : Optional.empty(),
                post,
                NO));
      } else {
        grants.add(
            new Grant(
                src,
                List.of(dst),
                List.of(
                    new GrantIp(Optional.of(Protocol.named("tcp")), ports(), NO),
                    new GrantIp(
                        Optional.of(Protocol.named("udp")), PortSpec.of(PortRange.single(53)), NO)),
                List.of(),
                post,
                List.of(),
                NO));
      }
    }
    if (exits > 0) {
      acls.add(
          new Acl(
              AclAction.ACCEPT,
              List.of(new Selector.Group("g0", NO)),
              List.of(
                  new AclDestination(new Selector.Auto(AutoGroup.INTERNET, NO), PortSpec.ALL, NO)),
              Optional.empty(),
              List.of(),
              NO));
    }
    policy =
        Policy.builder()
            .groups(gs)
            .tagOwners(owners)
            .postures(postures)
            .acls(acls)
            .grants(grants)
            .build();
  }

  /** Both shapes' people: user0..user(n-1)@corp.example, one admin in 50, one IT admin in 97. */
  /** Tags t0..t(n-1), each owned by autogroup:admin (both tailnet shapes). */
  static List<TagOwner> tagOwners(int n) {
    List<TagOwner> owners = new ArrayList<>();
    for (int t = 0; t < n; t++) {
      owners.add(new TagOwner("t" + t, List.of(new Selector.Auto(AutoGroup.ADMIN, NO)), NO));
    }
    return owners;
  }

  /** The postures both tailnet shapes use: a macOS check and a client version floor. */
  static final List<PostureDef> POSTURES =
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
                      List.of(PostureValue.string("1.80")),
                      NO)),
              NO));

  static List<InventoryUser> users(int n) {
    List<InventoryUser> us = new ArrayList<>();
    for (int u = 0; u < n; u++) {
      Role role = u % 50 == 0 ? Role.ADMIN : u % 97 == 0 ? Role.IT_ADMIN : Role.MEMBER;
      us.add(new InventoryUser(user(u), role, NO));
    }
    return us;
  }

  static String user(int u) {
    return "user" + u + "@corp.example";
  }

  private static String tag(int t) {
    return "tag:t" + t;
  }

  private Selector source(int groups) {
    int k = rnd.nextInt(100);
    if (k < 65) {
      return new Selector.Group("g" + rnd.nextInt(groups), NO);
    } else if (k < 90) {
      return new Selector.Tag("t" + rnd.nextInt(tags), NO);
    } else if (k < 99 || rnd.nextInt(2) == 0) {
      return new Selector.User(user(rnd.nextInt(users)), NO);
    }
    return new Selector.Auto(AutoGroup.MEMBER, NO);
  }

  private Selector destination(int groups, int routers, boolean userish) {
    int k = rnd.nextInt(100);
    if (k < 70) {
      return new Selector.Tag("t" + rnd.nextInt(tags), NO);
    } else if (k < 80) {
      return new Selector.Group("g" + rnd.nextInt(groups), NO);
    } else if (k < 95 || !userish) {
      int i = rnd.nextInt(routers);
      return new Selector.Ip(
          dev.tessera.net.IpCidr.parse("10." + (i % 250) + "." + (i / 250) + ".0/24"), NO);
    }
    return new Selector.Auto(AutoGroup.SELF, NO);
  }

  private PortSpec ports() {
    return switch (rnd.nextInt(4)) {
      case 0 -> PortSpec.of(PortRange.single(22));
      case 1 -> PortSpec.of(PortRange.single(443), new PortRange(8000, 8100));
      case 2 -> PortSpec.of(PortRange.single(5432));
      default -> PortSpec.ALL;
    };
  }
}
