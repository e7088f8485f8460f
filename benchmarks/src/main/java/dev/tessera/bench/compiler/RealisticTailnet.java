package dev.tessera.bench.compiler;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.inventory.InventoryUser;
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
import dev.tessera.policy.ast.PostureDef;
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
 * A second synthetic shape, closer to how large tailnets are used (compare {@link
 * SyntheticTailnet}, kept unchanged as the dense worst case). The same counts as the issue asks for
 * at 10k nodes (500 users, 100 groups, 200 tags, 2,000 rules, postures, 50 subnet routers, 5 exit
 * nodes; scaled with the node count), with a different distribution:
 *
 * <ul>
 *   <li>Nodes: 500 users with 1 to 5 devices each (about 1,500 user devices); every other node is a
 *       tagged server (a 10k-node tailnet with 500 people is mostly servers). A server carries one
 *       service tag, one in five a second one.
 *   <li>Groups: 60 department groups partition the users (each user in exactly one); 40 project
 *       groups of 5 to 15 users.
 *   <li>Rules, following the patterns of Tailscale's documented example policies (people reach
 *       services by tag; services reach their dependencies; personal devices through
 *       autogroup:self): 30% group to one or two service tags on service ports; 55% service tag to
 *       one dependency tag; 8% group to a subnet behind a router; 7% one user to a service tag;
 *       plus one autogroup:member to autogroup:self rule and one group to autogroup:internet. One
 *       rule in ten has a srcPosture.
 *   <li>No group-to-group (person-to-person) rules, which make {@link SyntheticTailnet}'s peer
 *       relation dense (every device of a group peering with every device of another).
 * </ul>
 *
 * Deterministic for a given seed.
 */
public final class RealisticTailnet {
  static final SourceSpan NO = SourceSpan.NONE;

  public final Policy policy;
  public final Inventory inventory;
  private final Random rnd;
  private final int tags;

  public RealisticTailnet(int nodes, long seed) {
    rnd = new Random(seed);
    double scale = nodes / 10_000.0;
    int users = Math.max(5, (int) Math.round(500 * scale));
    int departments = Math.max(2, (int) Math.round(60 * scale));
    int projects = Math.max(1, (int) Math.round(40 * scale));
    tags = Math.max(4, (int) Math.round(200 * scale));
    int rules = Math.max(10, (int) Math.round(2000 * scale));
    int routers = Math.max(2, (int) Math.round(50 * scale));
    int exits = Math.max(1, (int) Math.round(5 * scale));

    List<InventoryUser> us = SyntheticTailnet.users(users);
    List<InventoryNode> ns = new ArrayList<>();
    int ip = 0;
    for (int u = 0; u < users && ns.size() < nodes; u++) {
      int devices = 1 + rnd.nextInt(5);
      for (int d = 0; d < devices && ns.size() < nodes; d++) {
        ns.add(
            InventoryNode.of(
                String.format("dev-%05d", ns.size()),
                user(u),
                List.of(),
                ips(ip++),
                posture(),
                List.of()));
      }
    }
    int server = 0;
    while (ns.size() < nodes) {
      List<String> ts = new ArrayList<>();
      ts.add(tag(rnd.nextInt(tags)));
      if (rnd.nextInt(5) == 0) {
        String t2 = tag(rnd.nextInt(tags));
        if (!ts.contains(t2)) {
          ts.add(t2);
        }
      }
      List<IpPrefix> routes = new ArrayList<>();
      if (server < routers) {
        routes.add(IpPrefix.parse("10." + (server % 250) + "." + (server / 250) + ".0/24"));
      } else if (server < routers + exits) {
        routes.add(IpPrefix.ALL_V4);
        routes.add(IpPrefix.ALL_V6);
      }
      ns.add(
          InventoryNode.of(
              String.format("srv-%05d", server), null, ts, ips(ip++), posture(), routes));
      server++;
    }
    inventory = new Inventory(us, ns);

    List<GroupDef> gs = new ArrayList<>();
    List<List<Selector>> deptMembers = new ArrayList<>();
    for (int g = 0; g < departments; g++) {
      deptMembers.add(new ArrayList<>());
    }
    for (int u = 0; u < users; u++) {
      deptMembers.get(u % departments).add(new Selector.User(user(u), NO));
    }
    for (int g = 0; g < departments; g++) {
      gs.add(new GroupDef("g" + g, deptMembers.get(g), NO));
    }
    for (int g = 0; g < projects; g++) {
      List<Selector> members = new ArrayList<>();
      int size = Math.min(users, 5 + rnd.nextInt(11));
      for (int k = 0; k < size; k++) {
        members.add(new Selector.User(user(rnd.nextInt(users)), NO));
      }
      gs.add(new GroupDef("g" + (departments + g), members, NO));
    }
    int groups = departments + projects;
    List<TagOwner> owners = SyntheticTailnet.tagOwners(tags);
    List<PostureDef> postures = SyntheticTailnet.POSTURES;
    List<Acl> acls = new ArrayList<>();
    List<Grant> grants = new ArrayList<>();
    acls.add(
        new Acl(
            AclAction.ACCEPT,
            List.of(new Selector.Auto(AutoGroup.MEMBER, NO)),
            List.of(new AclDestination(new Selector.Auto(AutoGroup.SELF, NO), PortSpec.ALL, NO)),
            Optional.empty(),
            List.of(),
            NO));
    acls.add(
        new Acl(
            AclAction.ACCEPT,
            List.of(new Selector.Group("g0", NO)),
            List.of(
                new AclDestination(new Selector.Auto(AutoGroup.INTERNET, NO), PortSpec.ALL, NO)),
            Optional.empty(),
            List.of(),
            NO));
    for (int r = 2; r < rules; r++) {
      int k = rnd.nextInt(100);
      Selector src;
      List<Selector> dsts = new ArrayList<>();
      if (k < 30) {
        src = new Selector.Group("g" + rnd.nextInt(groups), NO);
        dsts.add(new Selector.Tag("t" + rnd.nextInt(tags), NO));
        if (rnd.nextBoolean()) {
          dsts.add(new Selector.Tag("t" + rnd.nextInt(tags), NO));
        }
      } else if (k < 85) {
        src = new Selector.Tag("t" + rnd.nextInt(tags), NO);
        dsts.add(new Selector.Tag("t" + rnd.nextInt(tags), NO));
      } else if (k < 93) {
        src = new Selector.Group("g" + rnd.nextInt(groups), NO);
        int i = rnd.nextInt(routers);
        dsts.add(
            new Selector.Ip(
                dev.tessera.net.IpCidr.parse("10." + (i % 250) + "." + (i / 250) + ".0/24"), NO));
      } else {
        src = new Selector.User(user(rnd.nextInt(users)), NO);
        dsts.add(new Selector.Tag("t" + rnd.nextInt(tags), NO));
      }
      List<PostureRef> post =
          r % 10 == 0 ? List.of(new PostureRef(r % 20 == 0 ? "mac" : "recent", NO)) : List.of();
      PortSpec ports = ports();
      if (r % 4 != 3) {
        List<AclDestination> ad = dsts.stream().map(d -> new AclDestination(d, ports, NO)).toList();
        acls.add(
            new Acl(
                AclAction.ACCEPT,
                List.of(src),
                ad,
                rnd.nextBoolean() ? Optional.of(Protocol.named("tcp")) : Optional.empty(),
                post,
                NO));
      } else {
        grants.add(
            new Grant(
                List.of(src),
                dsts,
                List.of(new GrantIp(Optional.of(Protocol.named("tcp")), ports, NO)),
                List.of(),
                post,
                List.of(),
                NO));
      }
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

  private static List<IpAddress> ips(int ip) {
    return List.of(
        IpAddress.ofV4(0x6440_0000 + 1 + ip), new IpAddress(true, 0xfd7a_115c_a1e0_0000L, 1 + ip));
  }

  private Map<String, PostureValue> posture() {
    Map<String, PostureValue> posture = new TreeMap<>();
    posture.put("node:os", PostureValue.string(rnd.nextInt(3) == 0 ? "linux" : "macos"));
    posture.put("node:tsVersion", PostureValue.string("1." + (50 + rnd.nextInt(60)) + ".0"));
    return posture;
  }

  private static String user(int u) {
    return SyntheticTailnet.user(u);
  }

  private static String tag(int t) {
    return "tag:t" + t;
  }

  private PortSpec ports() {
    return switch (rnd.nextInt(4)) {
      case 0 -> PortSpec.of(PortRange.single(22));
      case 1 -> PortSpec.of(PortRange.single(443), new PortRange(8000, 8100));
      case 2 -> PortSpec.of(PortRange.single(5432));
      default -> PortSpec.of(PortRange.single(443));
    };
  }
}
