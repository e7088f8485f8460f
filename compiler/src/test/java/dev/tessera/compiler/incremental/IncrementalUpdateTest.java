package dev.tessera.compiler.incremental;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.ir.AppClause;
import dev.tessera.compiler.ir.Clause;
import dev.tessera.compiler.ir.Destination;
import dev.tessera.compiler.ir.ResolvedRule;
import dev.tessera.compiler.pass.Identities;
import dev.tessera.compiler.pass.NodeIndex;
import dev.tessera.compiler.pass.ProjectPerNode;
import dev.tessera.compiler.pass.Projection;
import dev.tessera.compiler.reference.RandomTailnet;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.ast.PostureValue;
import dev.tessera.testsupport.Seed;
import dev.tessera.testsupport.Seeded;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Property test for {@link Compilation#update}: on random tailnets ({@link RandomTailnet}), a chain
 * of random single-node changes (new address, tags added or removed, posture, routes, owner, key, a
 * node joining, a node leaving) must give, after every step, exactly what a full compile of the new
 * inventory gives: the same node set, byte-identical encoded filters, the same hashes, and a {@code
 * changedNodes()} equal to the nodes whose full-compile filter differs from the previous step's.
 * Seeded: {@code -Dtessera.seed=N -Dtessera.tailnets=1} replays a failure.
 */
@Seeded
class IncrementalUpdateTest {
  // tag:ghost is not in tagOwners: nodes carrying it are warned about in pass 1, every time.
  private static final String[] TAGS = {"tag:web", "tag:db", "tag:router", "tag:exit", "tag:ghost"};
  private static final String[] USERS = {"ann@a.com", "bo@a.com", "cy@b.org", "di@b.org"};
  // 100.64.1.192/26 overlaps joined nodes' addresses: a router whose route covers a node (its bit
  // in
  // incoming rows is re-decided when that node changes).
  private static final String[] ROUTES = {
    "10.1.0.0/16", "10.1.2.0/24", "192.168.5.0/24", "fd00:10::/64", "100.64.1.192/26"
  };

  @Test
  void updateEqualsFullCompileOnRandomChanges(Seed given) {
    long base = given.value();
    int tailnets = Integer.getInteger("tessera.tailnets", 150);
    int steps = 0;
    int patchedSteps = 0;
    int changedTotal = 0;
    int removals = 0;
    int patchedRemovals = 0;
    int keptPeerLists = 0;
    for (int t = 0; t < tailnets; t++) {
      long seed = base + t;
      RandomTailnet tn = new RandomTailnet(seed);
      Random r = new Random(seed * 17 + 3);
      Compilation c = Compiler.compile(tn.policy, tn.inventory);
      // Chains of 6, one in five of 20: shared values (peer entries, source lists, node sets) are
      // carried from compilation to compilation, so long chains must stay exact too.
      int chain = t % 5 == 0 ? 20 : 6;
      for (int s = 0; s < chain; s++) {
        // One step in eight a node leaves (sometimes a name that is not there); otherwise one
        // node joins or changes.
        boolean leave = r.nextInt(8) == 0 && !c.inventory().nodes().isEmpty();
        String name;
        Compilation up;
        Compilation full;
        String what;
        if (leave) {
          List<InventoryNode> nodes = c.inventory().nodes();
          name = r.nextInt(10) == 0 ? "no-such-node" : nodes.get(r.nextInt(nodes.size())).name();
          what =
              "seed "
                  + seed
                  + " (-Dtessera.seed="
                  + seed
                  + " -Dtessera.tailnets=1) step "
                  + s
                  + ": remove "
                  + name;
          up = c.remove(name);
          full = Compiler.compile(c.policy(), c.inventory().withoutNode(name));
          removals++;
        } else {
          InventoryNode next = mutate(c.inventory(), r, s);
          name = next.name();
          what =
              "seed "
                  + seed
                  + " (-Dtessera.seed="
                  + seed
                  + " -Dtessera.tailnets=1) step "
                  + s
                  + ": "
                  + next;
          up = c.update(next);
          full = Compiler.compile(c.policy(), c.inventory().withNode(next));
        }
        assertThat(up.inventory()).as(what).isEqualTo(full.inventory());
        // The update keeps node ids stable (NodeIndex), the full compile numbers nodes by name:
        // everything id-based is compared through the node names. toFull: up's id -> full's id.
        NodeIndex ui = up.index();
        NodeIndex fi = full.index();
        assertThat(ui.size()).as(what).isEqualTo(fi.size());
        int[] toFull = new int[ui.size()];
        for (int i = 0; i < toFull.length; i++) {
          toFull[i] = fi.id(ui.node(i).name());
          assertThat(toFull[i]).as(what).isNotNegative();
          assertThat(ui.rank(i))
              .as("%s name rank of %s", what, ui.node(i).name())
              .isEqualTo(toFull[i]);
        }
        // The patched projection itself (when its preconditions hold) equals the full pass.
        ProjectPerNode.Result patched =
            ProjectionPatch.patch(
                up.identities(),
                up.rules(),
                c.identities(),
                c.rules(),
                c.projection(),
                c.front().incoming(),
                c.front().outgoing(),
                name);
        if (patched != null) {
          patchedSteps++;
          if (leave) {
            patchedRemovals++;
          }
          assertProjectionEquals(what, patched, full, ui, toFull);
        }
        assertThat(up.nodeNames()).as(what).isEqualTo(full.nodeNames());
        // The IR too (passes 2 and 3 reuse previous results when they can).
        for (int k = 0; k < full.rules().size(); k++) {
          assertThat(relabel(up.rules().get(k), toFull))
              .as("%s rule %d", what, k)
              .isEqualTo(full.rules().get(k));
        }
        assertThat(up.diagnostics()).as(what).isEqualTo(full.diagnostics());
        // Pass 1 carries the previous membership sets over (copied on write): they must equal fresh
        // ones.
        Identities uids = up.identities();
        Identities fids = full.identities();
        assertThat(uids.userNodes().keySet()).as(what).isEqualTo(fids.userNodes().keySet());
        uids.userNodes()
            .forEach(
                (k, v) ->
                    assertThat(relabel(v, toFull))
                        .as("%s user %s", what, k)
                        .isEqualTo(fids.userNodes().get(k)));
        assertThat(uids.tagNodes().keySet()).as(what).isEqualTo(fids.tagNodes().keySet());
        uids.tagNodes()
            .forEach(
                (k, v) ->
                    assertThat(relabel(v, toFull))
                        .as("%s tag %s", what, k)
                        .isEqualTo(fids.tagNodes().get(k)));
        assertThat(relabel(uids.members(), toFull)).as(what).isEqualTo(fids.members());
        assertThat(relabel(uids.tagged(), toFull)).as(what).isEqualTo(fids.tagged());
        // Pass 1 reuses the previous node index's per-node sets: the index must equal a fresh one.
        List<Integer> routersByName = new ArrayList<>();
        ui.routers().forEach(q -> routersByName.add(toFull[q]));
        assertThat(routersByName).as(what).containsExactlyInAnyOrderElementsOf(fi.routers());
        for (int i = 0; i < ui.size(); i++) {
          int f = toFull[i];
          assertThat(ui.node(i)).as(what).isEqualTo(fi.node(f));
          assertThat(ui.addresses(i)).as("%s addresses %d", what, i).isEqualTo(fi.addresses(f));
          assertThat(ui.addressPrefixes(i)).as(what).isEqualTo(fi.addressPrefixes(f));
          assertThat(ui.routes(i)).as(what).isEqualTo(fi.routes(f));
          assertThat(ui.subnetRoutes(i)).as(what).isEqualTo(fi.subnetRoutes(f));
          assertThat(relabel(ui.nodesWithAddressIn(ui.addresses(i)), toFull))
              .as(what)
              .isEqualTo(fi.nodesWithAddressIn(fi.addresses(f)));
        }
        List<String> expectChanged = new ArrayList<>();
        for (String node : full.nodeNames()) {
          CompiledFilter f = full.filter(node).orElseThrow();
          CompiledFilter u = up.filter(node).orElseThrow();
          assertThat(FilterCodec.encode(u))
              .as("%s node %s", what, node)
              .isEqualTo(FilterCodec.encode(f));
          assertThat(u).as("%s node %s", what, node).isEqualTo(f);
          assertThat(up.hash(node)).as("%s node %s", what, node).isEqualTo(full.hash(node));
          Optional<CompiledFilter> before = c.filter(node);
          if (before.isEmpty() || !before.get().equals(f)) {
            expectChanged.add(node);
            // A filter rebuilt for its rules alone keeps the previous peer list object; count it
            // so the test shows that path is taken (its output is checked byte for byte above).
            if (before.isPresent() && u.peers() == before.get().peers()) {
              keptPeerLists++;
            }
          } else {
            // An unchanged filter is carried over, not rebuilt.
            assertThat(u).as("%s node %s carried over", what, node).isSameAs(before.get());
          }
        }
        assertThat(up.changedNodes()).as(what).isEqualTo(expectChanged);
        changedTotal += expectChanged.size();
        steps++;
        // Chain: the next change applies to the incremental result (hashes carried over twice).
        c = r.nextBoolean() ? up : full;
      }
    }
    System.out.printf(
        "incremental: %d updates (%d through the projection patch; %d removals, %d patched) on %d"
            + " tailnets, %d changed filters (%d kept their peer list), base seed %d%n",
        steps,
        patchedSteps,
        removals,
        patchedRemovals,
        tailnets,
        changedTotal,
        keptPeerLists,
        base);
    // The patch must actually be exercised, not only the full-pass fallback, for removals too.
    assertThat(patchedSteps)
        .as("updates through the patch, base seed %d", base)
        .isGreaterThan(steps / 5);
    assertThat(patchedRemovals)
        .as("removals through the patch, base seed %d", base)
        .isGreaterThan(removals / 5);
    assertThat(keptPeerLists)
        .as("rebuilt filters keeping their peer list, base seed %d", base)
        .isPositive();
  }

  /**
   * {@link Compilation#updateTo}: several nodes joining, leaving, changing or only moving in the
   * file at once give the filters of a full compile of the new inventory, and changedNodes() covers
   * every filter that differs; other users, too many nodes or duplicate names decline.
   */
  @Test
  void updateToFollowsSeveralChangesAtOnce(Seed given) {
    long base = given.value();
    int reached = 0;
    for (int t = 0; t < 80; t++) {
      long seed = base + t;
      RandomTailnet tn = new RandomTailnet(seed);
      Random r = new Random(seed * 31 + 7);
      Compilation c = Compiler.compile(tn.policy, tn.inventory);
      if (c.hasErrors()) {
        continue;
      }
      for (int s = 0; s < 4; s++) {
        Inventory next = c.inventory();
        int edits = r.nextInt(5);
        for (int e = 0; e < edits; e++) {
          int kind = r.nextInt(6);
          List<InventoryNode> nodes = next.nodes();
          if (kind == 0 && !nodes.isEmpty()) {
            next = next.withoutNode(nodes.get(r.nextInt(nodes.size())).name());
          } else if (kind == 1 && !nodes.isEmpty()) {
            // Moved in the file only: same content, another position.
            InventoryNode n = nodes.get(r.nextInt(nodes.size()));
            next =
                next.withNode(
                    new InventoryNode(
                        n.name(),
                        n.user(),
                        n.tags(),
                        n.ips(),
                        n.key(),
                        n.posture(),
                        n.routes(),
                        dev.tessera.policy.ast.SourceSpan.point("inventory.yaml", 1000 + e, 3, 0)));
          } else {
            next = next.withNode(mutate(next, r, s * 10 + e));
          }
        }
        String what = "seed " + seed + " (-Dtessera.seed=" + seed + ") step " + s;
        Compilation full = Compiler.compile(c.policy(), next);
        Optional<Compilation> up = c.updateTo(next, 8);
        if (full.hasErrors()) {
          assertThat(up).as("%s: an inventory with errors is compiled in full", what).isEmpty();
          continue;
        }
        if (up.isEmpty()) {
          c = full; // declined (more than 8 nodes touched): the caller compiles in full
          continue;
        }
        reached++;
        Compilation u = up.get();
        assertThat(u.nodeNames()).as(what).isEqualTo(full.nodeNames());
        for (String node : full.nodeNames()) {
          CompiledFilter f = full.filter(node).orElseThrow();
          assertThat(FilterCodec.encode(u.filter(node).orElseThrow()))
              .as("%s node %s", what, node)
              .isEqualTo(FilterCodec.encode(f));
          assertThat(u.hash(node)).as("%s node %s", what, node).isEqualTo(full.hash(node));
          Optional<CompiledFilter> before = c.filter(node);
          if (before.isEmpty() || !before.get().equals(f)) {
            assertThat(u.changedNodes()).as("%s changed", what).contains(node);
          }
        }
        assertThat(full.nodeNames()).as(what).containsAll(u.changedNodes());
        c = r.nextBoolean() ? u : full;
      }
    }
    assertThat(reached).as("updates through updateTo, base seed %d", base).isGreaterThan(50);
  }

  @Test
  void updateToDeclinesWhatItCannotFollow() {
    RandomTailnet tn = new RandomTailnet(7);
    Compilation c = Compiler.compile(tn.policy, tn.inventory);
    List<InventoryNode> nodes = c.inventory().nodes();
    // Other users (a role changed): declined.
    List<dev.tessera.compiler.inventory.InventoryUser> users =
        new ArrayList<>(c.inventory().users());
    var u0 = users.get(0);
    users.set(
        0,
        new dev.tessera.compiler.inventory.InventoryUser(
            u0.login(),
            u0.role() == dev.tessera.compiler.inventory.Role.ADMIN
                ? dev.tessera.compiler.inventory.Role.MEMBER
                : dev.tessera.compiler.inventory.Role.ADMIN,
            u0.span()));
    assertThat(c.updateTo(new Inventory(users, nodes), 8)).isEmpty();
    // More nodes changed than allowed: declined.
    Inventory fewer = c.inventory();
    for (int i = 0; i < 3; i++) {
      fewer = fewer.withoutNode(nodes.get(i).name());
    }
    assertThat(c.updateTo(fewer, 2)).isEmpty();
    assertThat(c.updateTo(fewer, 3)).isPresent();
    // Duplicate names: declined.
    List<InventoryNode> dup = new ArrayList<>(nodes);
    dup.add(nodes.get(0));
    assertThat(c.updateTo(new Inventory(c.inventory().users(), dup), 8)).isEmpty();
    // Nothing changed: the same filters, nothing listed as changed.
    Compilation same = c.updateTo(c.inventory(), 8).orElseThrow();
    assertThat(same.changedNodes()).isEmpty();
    assertThat(same.filters()).isEqualTo(c.filters());
  }

  private static void assertProjectionEquals(
      String what, ProjectPerNode.Result patched, Compilation full, NodeIndex ui, int[] toFull) {
    Projection p = patched.projection();
    Projection f = full.projection();
    assertThat(relabel(p.internetUsers(), toFull))
        .as("%s internet users", what)
        .isEqualTo(f.internetUsers());
    NodeIndex fi = full.index();
    for (int i = 0; i < toFull.length; i++) {
      int k = toFull[i];
      String node = what + " node " + ui.node(i).name();
      // Piece order follows id order in places (it does not reach the output: Normalize sorts).
      assertThat(p.pieces().get(i))
          .as("%s pieces", node)
          .containsExactlyInAnyOrderElementsOf(f.pieces().get(k));
      assertThat(p.caps().get(i))
          .as("%s caps", node)
          .containsExactlyInAnyOrderElementsOf(f.caps().get(k));
      assertThat(relabel(p.peers().get(i), toFull))
          .as("%s peers", node)
          .isEqualTo(f.peers().get(k));
      assertThat(relabel(patched.incoming().get(i), toFull))
          .as("%s incoming", node)
          .isEqualTo(full.front().incoming().get(k));
      assertThat(relabel(patched.outgoing().get(i), toFull))
          .as("%s outgoing", node)
          .isEqualTo(full.front().outgoing().get(k));
      // Routes accepted from each router, by router (slots differ between the two indexes).
      for (int r : ui.routers()) {
        if (i == 0) {
          // Who may reach each route (carried from update to update).
          Map<IpPrefix, BitSet> mine = p.reachers().get(ui.routerSlot(r));
          Map<IpPrefix, BitSet> theirs = f.reachers().get(fi.routerSlot(toFull[r]));
          assertThat(mine.keySet())
              .as("%s reachers of %s", what, ui.node(r).name())
              .isEqualTo(theirs.keySet());
          mine.forEach(
              (route, who) ->
                  assertThat(relabel(who, toFull))
                      .as("%s reachers of %s %s", what, ui.node(r).name(), route)
                      .isEqualTo(theirs.get(route)));
        }
        assertThat(p.peerRoutes().get(i)[ui.routerSlot(r)])
            .as("%s routes from %s", node, ui.node(r).name())
            .isEqualTo(f.peerRoutes().get(k)[fi.routerSlot(toFull[r])]);
      }
    }
  }

  /** {@code ids} (node ids of an updated compilation) as ids of the full compile. */
  private static BitSet relabel(BitSet ids, int[] toFull) {
    BitSet out = new BitSet();
    for (int i = ids.nextSetBit(0); i >= 0; i = ids.nextSetBit(i + 1)) {
      out.set(
          i < toFull.length ? toFull[i] : Integer.MAX_VALUE - 1); // a stale id shows as a huge bit
    }
    return out;
  }

  private static ResolvedRule relabel(ResolvedRule r, int[] toFull) {
    List<Clause> clauses =
        r.clauses().stream()
            .map(c -> new Clause(c.protocols(), relabel(c.destination(), toFull), c.ports()))
            .toList();
    List<AppClause> apps =
        r.apps().stream()
            .map(a -> new AppClause(a.capability(), a.values(), relabel(a.destination(), toFull)))
            .toList();
    return new ResolvedRule(
        r.origin(),
        r.span(),
        r.src(),
        relabel(r.sourceNodes(), toFull),
        r.selected(),
        r.posture(),
        relabel(r.postureFailed(), toFull),
        r.sources(),
        clauses,
        apps);
  }

  private static Destination relabel(Destination d, int[] toFull) {
    return switch (d) {
      case Destination.Nodes n -> new Destination.Nodes(relabel(n.nodes(), toFull), n.selector());
      case Destination.Prefixes x ->
          new Destination.Prefixes(
              x.set(), x.prefixes(), x.via().map(v -> relabel(v, toFull)), x.selector());
      case Destination.Any a -> a;
      case Destination.Self s -> s;
      case Destination.Internet i -> i;
    };
  }

  /** One random change of one node, or a node joining. */
  private static InventoryNode mutate(Inventory inventory, Random r, int step) {
    List<InventoryNode> nodes = inventory.nodes();
    int kind = r.nextInt(9);
    if (kind == 0 || nodes.isEmpty()) {
      int i = 200 + step % 6 + r.nextInt(40); // <= 244: a valid last octet on long chains
      boolean tagged = r.nextBoolean();
      return InventoryNode.of(
          "j" + i,
          tagged ? null : USERS[r.nextInt(USERS.length)],
          tagged ? List.of(TAGS[r.nextInt(TAGS.length)]) : List.of(),
          List.of(IpAddress.parse("100.64.1." + i), IpAddress.parse("fd7a:115c:a1e0::1:" + i)),
          Map.of("node:os", PostureValue.string(r.nextBoolean() ? "macos" : "linux")),
          r.nextInt(4) == 0
              ? List.of(IpPrefix.parse(ROUTES[r.nextInt(ROUTES.length)]))
              : List.of());
    }
    InventoryNode n = nodes.get(r.nextInt(nodes.size()));
    Optional<String> user = n.user();
    List<String> tags = n.tags();
    List<IpAddress> ips = n.ips();
    Optional<String> key = n.key();
    TreeMap<String, PostureValue> posture = new TreeMap<>(n.posture());
    List<IpPrefix> routes = n.routes();
    switch (kind) {
      case 1 ->
          ips =
              r.nextBoolean()
                  ? List.of(
                      IpAddress.parse("100.64.2." + (1 + r.nextInt(200))),
                      IpAddress.parse("fd7a:115c:a1e0::2:" + (1 + r.nextInt(200))))
                  : r.nextBoolean()
                      ? List.of(ips.get(0))
                      : List.of(IpAddress.parse("100.70.0." + (1 + r.nextInt(200))));
      case 2 -> {
        List<String> ts = new ArrayList<>(tags);
        String tag = TAGS[r.nextInt(TAGS.length)];
        if (!ts.remove(tag)) {
          ts.add(tag);
        }
        tags = ts;
        if (ts.isEmpty() && user.isEmpty()) {
          user = Optional.of(USERS[r.nextInt(USERS.length)]);
        }
      }
      case 3 -> {
        PostureValue mac = PostureValue.string("macos");
        if (posture.containsKey("node:os") && r.nextInt(3) == 0) {
          posture.remove("node:os");
        } else {
          posture.put(
              "node:os", mac.equals(posture.get("node:os")) ? PostureValue.string("linux") : mac);
        }
      }
      case 4 -> {
        if (r.nextBoolean()) {
          posture.remove("node:tsVersion");
        } else {
          posture.put(
              "node:tsVersion", PostureValue.string(r.nextBoolean() ? "1.60.0" : "1.100.2"));
        }
      }
      case 5 ->
          routes =
              r.nextInt(3) == 0
                  ? List.of()
                  : r.nextInt(3) == 0
                      ? List.of(IpPrefix.ALL_V4, IpPrefix.ALL_V6)
                      : List.of(IpPrefix.parse(ROUTES[r.nextInt(ROUTES.length)]));
      case 6 -> user = Optional.of(USERS[r.nextInt(USERS.length)]);
      case 7 -> key = Optional.of("key-" + r.nextInt(1000));
      default -> {} // unchanged node: nothing may change
    }
    return new InventoryNode(n.name(), user, tags, ips, key, posture, routes, n.span());
  }
}
