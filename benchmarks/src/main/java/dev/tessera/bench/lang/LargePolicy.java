package dev.tessera.bench.lang;

import dev.tessera.net.IpAddress;
import dev.tessera.net.IpCidr;
import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.AclAction;
import dev.tessera.policy.ast.AclDestination;
import dev.tessera.policy.ast.AutoApprovers;
import dev.tessera.policy.ast.AutoGroup;
import dev.tessera.policy.ast.Grant;
import dev.tessera.policy.ast.GrantIp;
import dev.tessera.policy.ast.GroupDef;
import dev.tessera.policy.ast.HostDef;
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
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.ast.TagOwner;
import dev.tessera.policy.syntax.Values;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * A large, valid policy for parse benchmarks: what a big organisation's file looks like (many
 * groups of real-looking logins, tags with owners, host aliases, a few postures, tens of thousands
 * of ACLs with several sources and port-bearing destinations, grants, tests), every reference
 * defined so validation does its full work and finds nothing. Deterministic for a seed.
 */
public final class LargePolicy {
  private LargePolicy() {}

  private static final SourceSpan N = SourceSpan.NONE;

  /** About {@code rules} ACLs plus proportionate definitions; 20,000 rules print to ~5 MB. */
  public static Policy generate(int rules, long seed) {
    Random r = new Random(seed);
    int groups = Math.max(10, rules / 100);
    int tags = Math.max(10, rules / 100);
    int hosts = Math.max(10, rules / 40);
    List<GroupDef> gs = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      List<Selector> members = new ArrayList<>();
      for (int m = 0; m < 12; m++) {
        members.add(new Selector.User("user" + (g * 12 + m) + "@example-corp.com", N));
      }
      gs.add(new GroupDef("team-" + g, members, N));
    }
    List<TagOwner> ts = new ArrayList<>();
    for (int t = 0; t < tags; t++) {
      ts.add(new TagOwner("svc-" + t, List.of(new Selector.Group("team-" + (t % groups), N)), N));
    }
    List<HostDef> hs = new ArrayList<>();
    for (int h = 0; h < hosts; h++) {
      hs.add(
          new HostDef(
              "host-" + h,
              new IpCidr(IpAddress.ofV4(0x0A000000 | (h << 8)), h % 3 == 0 ? 24 : 32),
              N));
    }
    List<PostureDef> ps =
        List.of(
            new PostureDef(
                "managed",
                List.of(
                    new PostureCondition(
                        "node:os",
                        PostureOperator.IN,
                        List.of(PostureValue.string("macos"), PostureValue.string("windows")),
                        N),
                    new PostureCondition(
                        "node:tsVersion",
                        PostureOperator.GE,
                        List.of(PostureValue.string("1.60")),
                        N)),
                N),
            new PostureDef(
                "linux",
                List.of(
                    new PostureCondition(
                        "node:os", PostureOperator.EQ, List.of(PostureValue.string("linux")), N)),
                N));
    List<Acl> acls = new ArrayList<>(rules);
    for (int i = 0; i < rules; i++) {
      List<Selector> src = new ArrayList<>();
      int ns = 1 + r.nextInt(4);
      for (int k = 0; k < ns; k++) {
        src.add(
            switch (r.nextInt(4)) {
              case 0 -> new Selector.Tag("svc-" + r.nextInt(tags), N);
              case 1 -> new Selector.User("user" + r.nextInt(groups * 12) + "@example-corp.com", N);
              default -> new Selector.Group("team-" + r.nextInt(groups), N);
            });
      }
      List<AclDestination> dst = new ArrayList<>();
      int nd = 1 + r.nextInt(8);
      for (int k = 0; k < nd; k++) {
        Selector target =
            switch (r.nextInt(5)) {
              case 0 -> new Selector.Host("host-" + r.nextInt(hosts), N);
              case 1 ->
                  new Selector.Ip(IpCidr.host(IpAddress.ofV4(0x64400000 | r.nextInt(1 << 16))), N);
              case 2 -> new Selector.Auto(AutoGroup.SELF, N);
              default -> new Selector.Tag("svc-" + r.nextInt(tags), N);
            };
        if (target instanceof Selector.Auto
            && !src.stream()
                .allMatch(s -> s instanceof Selector.Group || s instanceof Selector.User)) {
          target = new Selector.Tag("svc-" + r.nextInt(tags), N);
        }
        int p = 1 + r.nextInt(60000);
        PortSpec ports =
            switch (r.nextInt(4)) {
              case 0 -> PortSpec.ALL;
              case 1 -> PortSpec.of(new PortRange(p, Math.min(65535, p + r.nextInt(100))));
              case 2 -> PortSpec.of(PortRange.single(443), PortRange.single(p));
              default -> PortSpec.of(PortRange.single(p));
            };
        dst.add(new AclDestination(target, ports, N));
      }
      Optional<Protocol> proto =
          r.nextInt(4) == 0
              ? Optional.of(Protocol.named(r.nextBoolean() ? "tcp" : "udp"))
              : Optional.empty();
      List<PostureRef> posture =
          r.nextInt(5) == 0 ? List.of(new PostureRef("managed", N)) : List.of();
      acls.add(new Acl(AclAction.ACCEPT, src, dst, proto, posture, N));
    }
    List<Grant> grants = new ArrayList<>();
    for (int i = 0; i < rules / 40; i++) {
      grants.add(
          new Grant(
              List.of(new Selector.Group("team-" + r.nextInt(groups), N)),
              List.of(new Selector.Tag("svc-" + r.nextInt(tags), N)),
              List.of(
                  new GrantIp(
                      Optional.of(Protocol.named("tcp")), PortSpec.of(PortRange.single(443)), N),
                  new GrantIp(
                      Optional.of(Protocol.named("udp")), PortSpec.of(PortRange.single(53)), N)),
              List.of(),
              List.of(),
              List.of(),
              N));
    }
    List<PolicyTest> tests = new ArrayList<>();
    for (int i = 0; i < rules / 20; i++) {
      tests.add(
          new PolicyTest(
              Values.testSource("user" + r.nextInt(groups * 12) + "@example-corp.com", N),
              Optional.empty(),
              List.of(Values.testDestination("svc-" + r.nextInt(tags), N)),
              List.of(),
              N));
    }
    return Policy.builder()
        .groups(gs)
        .tagOwners(ts)
        .hosts(hs)
        .postures(ps)
        .acls(acls)
        .grants(grants)
        .autoApprovers(
            new AutoApprovers(
                List.of(
                    new AutoApprovers.RouteApprover(
                        IpCidr.parse("10.0.0.0/8"), List.of(new Selector.Tag("svc-0", N)), N)),
                List.of(new Selector.Tag("svc-1", N)),
                N))
        .tests(tests)
        .build();
  }
}
