package dev.tessera.compiler.pass;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.reference.RandomTailnet;
import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.AclDestination;
import dev.tessera.policy.ast.AutoGroup;
import dev.tessera.policy.ast.Grant;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.testsupport.Seed;
import dev.tessera.testsupport.Seeded;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link ExpandSelectors#matchesNode} decides one node's membership of a selector from the node's
 * own user, role and tags; it must agree with the selector's node set ({@link
 * ExpandSelectors#nodesOf}) for every selector kind, every autogroup, undefined names and every
 * node of random tailnets.
 */
@Seeded
class MatchesNodeTest {
  private static final SourceSpan NO = SourceSpan.NONE;

  @Test
  void oneNodeMembershipEqualsTheSelectorsNodeSet(Seed given) {
    long base = given.value();
    int checked = 0;
    for (int t = 0; t < 200; t++) {
      long seed = base + t;
      RandomTailnet tn = new RandomTailnet(seed);
      // Some users' devices also carry an undefined tag (kept, with a warning): tagged devices that
      // still name a user, who must not match by user, group, role or domain.
      Random r = new Random(seed);
      Inventory inv = tn.inventory;
      for (InventoryNode n : tn.inventory.nodes()) {
        if (n.user().isPresent() && !n.isTagged() && r.nextInt(3) == 0) {
          inv =
              inv.withNode(
                  new InventoryNode(
                      n.name(),
                      n.user(),
                      List.of("tag:ghost"),
                      n.ips(),
                      n.key(),
                      n.posture(),
                      n.routes(),
                      n.span()));
        }
      }
      Identities ids = ResolveIdentities.run(tn.policy, inv, new Diagnostics());
      List<Selector> selectors = new ArrayList<>();
      for (Acl a : tn.policy.acls()) {
        selectors.addAll(a.src());
        a.dst().stream().map(AclDestination::target).forEach(selectors::add);
      }
      for (Grant g : tn.policy.grants()) {
        selectors.addAll(g.src());
        selectors.addAll(g.dst());
        selectors.addAll(g.via());
      }
      for (AutoGroup a : AutoGroup.values()) {
        selectors.add(new Selector.Auto(a, NO));
      }
      selectors.add(new Selector.Group("no-such-group", NO));
      selectors.add(new Selector.Tag("no-such-tag", NO));
      selectors.add(new Selector.User("nobody@a.com", NO));
      selectors.add(new Selector.UserDomain("a.com", NO));
      selectors.add(new Selector.UserDomain("b.org", NO));
      selectors.add(new Selector.Wildcard(NO));
      // Two expanders: one asked node by node first (nothing cached yet), one by whole sets.
      ExpandSelectors oneByOne = new ExpandSelectors(tn.policy, ids, new Diagnostics());
      ExpandSelectors sets = new ExpandSelectors(tn.policy, ids, new Diagnostics());
      for (Selector s : selectors) {
        for (int id = 0; id < ids.index().size(); id++) {
          assertThat(oneByOne.matchesNode(s, id))
              .as("seed %d selector %s node %s", seed, s, ids.index().node(id).name())
              .isEqualTo(sets.nodesOf(s).get(id));
          checked++;
        }
        assertThat(oneByOne.matchesNode(s, -1)).isFalse();
      }
    }
    assertThat(checked).isGreaterThan(10_000);
  }
}
