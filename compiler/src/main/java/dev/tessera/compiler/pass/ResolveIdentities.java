package dev.tessera.compiler.pass;

import dev.tessera.compiler.CompilerCodes;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.inventory.InventoryUser;
import dev.tessera.compiler.inventory.Role;
import dev.tessera.policy.ast.GroupDef;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.TagOwner;
import dev.tessera.policy.diag.Diagnostics;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pass 1: users, groups, tags, autogroups and roles to node sets; checks that every tag on a node
 * is defined and may be applied by the node's user under tagOwners.
 *
 * <p>tagOwners semantics (Tailscale KB 1068): a tag's owners are users, groups, other tags and
 * {@code autogroup:admin}; an owner may apply the tag. A tagged node's {@code user} in the
 * inventory is the person who tagged it. When it is absent (a node tagged by an auth key or by
 * another tagged node) only the tag's existence is checked. A node that carries a tag it may not
 * carry keeps none of its tags' access: it is dropped from compilation, fail closed, with a located
 * diagnostic.
 */
public final class ResolveIdentities {
  private ResolveIdentities() {}

  public static Identities run(Policy policy, Inventory inventory, Diagnostics diags) {
    return run(policy, inventory, diags, null);
  }

  /**
   * As {@link #run(Policy, Inventory, Diagnostics)}, reusing what {@code previous} (the identities
   * of a previous compilation of the same policy and inventory users, or null) derived for the same
   * node objects: the node index's per-node sets, and the tag check of a node that passed it
   * without a warning (the check depends only on the policy, the users and the node itself).
   */
  public static Identities run(
      Policy policy, Inventory inventory, Diagnostics diags, Identities previous) {
    NodeIndex previousIndex = previous == null ? null : previous.index();
    Map<String, Set<String>> groups = groups(policy);
    Map<String, TagOwner> owners = owners(policy);
    Map<String, Role> roles = roles(inventory);

    // Tag checks first: a node that fails them is dropped before indexing (fail closed).
    List<InventoryNode> kept = new java.util.ArrayList<>();
    Set<String> warned = new HashSet<>();
    for (InventoryNode n : inventory.nodes()) {
      if (!n.tags().isEmpty() && previousIndex != null) {
        int o = previousIndex.id(n.name());
        if (o >= 0 && previousIndex.node(o) == n && !previous.tagWarned().get(o)) {
          kept.add(n); // checked in the previous compilation: kept, nothing to report
          continue;
        }
      }
      boolean ok = true;
      for (String tag : n.tags()) {
        TagOwner def = owners.get(tagName(tag));
        if (def == null) {
          // Tailscale keeps tags a device already carries when the policy stops defining them; such
          // a
          // node is still tagged (no user identity) and matches autogroup:tagged. A warning, not an
          // error.
          diags.warning(
              CompilerCodes.INVENTORY_UNDEFINED_TAG,
              "node \"" + n.name() + "\" carries " + tag + ", which tagOwners does not define",
              n.span(),
              "define " + tag + " in tagOwners");
          warned.add(n.name());
        } else if (n.user().isPresent()
            && !mayApply(n.user().get(), def, owners, groups, roles, new HashSet<>())) {
          diags.error(
              CompilerCodes.INVENTORY_TAG_NOT_OWNED,
              "user \""
                  + n.user().get()
                  + "\" may not apply "
                  + tag
                  + " to node \""
                  + n.name()
                  + "\" (not among its tagOwners)",
              n.span(),
              "add the user, one of their groups or autogroup:admin to tagOwners for " + tag);
          ok = false;
        }
      }
      if (ok) {
        kept.add(n);
      }
    }
    NodeIndex index = new NodeIndex(kept, previousIndex);
    Map<String, BitSet> userNodes = new HashMap<>();
    Map<String, BitSet> tagNodes = new HashMap<>();
    BitSet members = new BitSet();
    BitSet tagged = new BitSet();
    BitSet tagWarned = new BitSet();
    for (String name : warned) {
      int id = index.id(name);
      if (id >= 0) {
        tagWarned.set(id);
      }
    }
    IdShift shift = previous == null ? null : index.shiftFrom(previousIndex);
    if (shift != null) {
      // Ids carried over from the previous index (a change, join or leave): the previous sets,
      // copied on write where a node differs (its old memberships cleared at its old id, its new
      // ones set) instead of rebuilt over every node. All clears come first: on a leave the last
      // node moves into the id that the leaving node frees.
      userNodes.putAll(previous.userNodes());
      tagNodes.putAll(previous.tagNodes());
      Set<BitSet> fresh = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
      BitSet[] flags = {previous.members(), previous.tagged()};
      if (shift.delta() < 0) {
        member(
            previousIndex.node(shift.at()),
            shift.at(),
            false,
            roles,
            userNodes,
            tagNodes,
            flags,
            fresh);
      }
      List<Integer> set = new java.util.ArrayList<>();
      for (int i = 0; i < index.size(); i++) {
        if (shift.delta() > 0 && i == shift.at()) {
          set.add(i); // joined
          continue;
        }
        int o = shift.oldId(i);
        InventoryNode before = previousIndex.node(o);
        if (index.node(i) != before || o != i) {
          member(before, o, false, roles, userNodes, tagNodes, flags, fresh);
          set.add(i);
        }
      }
      for (int i : set) {
        member(index.node(i), i, true, roles, userNodes, tagNodes, flags, fresh);
      }
      members = flags[0];
      tagged = flags[1];
    } else {
      for (int i = 0; i < index.size(); i++) {
        member(
            index.node(i),
            i,
            true,
            roles,
            userNodes,
            tagNodes,
            new BitSet[] {members, tagged},
            null);
      }
    }
    Set<String> defined = new HashSet<>();
    for (TagOwner t : policy.tagOwners()) {
      defined.add("tag:" + tagName(t.tag()));
    }
    Map<String, dev.tessera.compiler.ipset.IpSet> services = new HashMap<>();
    for (dev.tessera.compiler.inventory.InventoryService svc : inventory.services()) {
      services.put(
          svc.name(),
          dev.tessera.compiler.ipset.IpSet.of(
              svc.ips().stream().map(dev.tessera.net.IpPrefix::host).toList()));
    }
    return new Identities(
        index,
        Map.copyOf(userNodes),
        Map.copyOf(roles),
        Map.copyOf(groups),
        Map.copyOf(tagNodes),
        Set.copyOf(defined),
        members,
        tagged,
        tagWarned,
        Map.copyOf(services));
  }

  /**
   * Sets ({@code on}) or clears node {@code i}'s memberships: its tags and autogroup:tagged, or its
   * user and autogroup:member ({@code flags}: members, tagged). With {@code fresh} (not null), sets
   * not in it are shared with a previous compilation and are copied before the change; a set left
   * empty is removed, as a fresh build would not have it.
   */
  private static void member(
      InventoryNode n,
      int i,
      boolean on,
      Map<String, Role> roles,
      Map<String, BitSet> userNodes,
      Map<String, BitSet> tagNodes,
      BitSet[] flags,
      Set<BitSet> fresh) {
    if (n.isTagged()) {
      flags[1] = own(flags[1], fresh);
      flags[1].set(i, on);
      for (String t : n.tags()) {
        flip(tagNodes, t, i, on, fresh);
      }
    } else if (n.user().isPresent()) {
      // autogroup:member: devices of the tailnet's users. A device whose user the inventory does
      // not list (a read inventory never has one; policyc test's "not a member" variant does) is
      // selected by its user's login only.
      if (roles.containsKey(n.user().get())) {
        flags[0] = own(flags[0], fresh);
        flags[0].set(i, on);
      }
      flip(userNodes, n.user().get(), i, on, fresh);
    }
  }

  private static void flip(
      Map<String, BitSet> sets, String key, int i, boolean on, Set<BitSet> fresh) {
    BitSet s = sets.get(key);
    if (s == null) {
      if (!on) {
        return;
      }
      s = new BitSet();
      if (fresh != null) {
        fresh.add(s);
      }
    } else {
      s = own(s, fresh);
    }
    s.set(i, on);
    if (s.isEmpty()) {
      sets.remove(key);
    } else {
      sets.put(key, s);
    }
  }

  /** {@code s} itself when it may be modified, else a copy that may (recorded in {@code fresh}). */
  private static BitSet own(BitSet s, Set<BitSet> fresh) {
    if (fresh == null || fresh.contains(s)) {
      return s;
    }
    BitSet copy = (BitSet) s.clone();
    fresh.add(copy);
    return copy;
  }

  /**
   * Whether user {@code login} may apply {@code tag} under the policy's tagOwners (users, groups,
   * autogroups by the users' roles in {@code inventory}, tags owning tags): the check the control
   * plane makes when an auth key with tags is created and used.
   */
  public static boolean mayApply(Policy policy, Inventory inventory, String login, String tag) {
    Map<String, TagOwner> owners = owners(policy);
    TagOwner def = owners.get(tagName(tag));
    return def != null
        && mayApply(login, def, owners, groups(policy), roles(inventory), new HashSet<>());
  }

  /** Each group of the policy with its members' logins. */
  public static Map<String, Set<String>> groups(Policy policy) {
    Map<String, Set<String>> groups = new HashMap<>();
    for (GroupDef g : policy.groups()) {
      Set<String> logins = new LinkedHashSet<>();
      for (Selector m : g.members()) {
        if (m instanceof Selector.User u) {
          logins.add(u.login());
        }
        // Other member kinds are rejected by validation (groups hold users only).
      }
      groups.put(g.name(), Set.copyOf(logins));
    }
    return groups;
  }

  private static Map<String, TagOwner> owners(Policy policy) {
    Map<String, TagOwner> owners = new HashMap<>();
    for (TagOwner t : policy.tagOwners()) {
      owners.put(tagName(t.tag()), t);
    }
    return owners;
  }

  private static Map<String, Role> roles(Inventory inventory) {
    Map<String, Role> roles = new HashMap<>();
    for (InventoryUser u : inventory.users()) {
      roles.put(u.login(), u.role());
    }
    return roles;
  }

  /**
   * TagOwner.tag() holds the name with or without the prefix depending on the reader; accept both.
   */
  static String tagName(String tagText) {
    return tagText.startsWith("tag:") ? tagText.substring(4) : tagText;
  }

  private static boolean mayApply(
      String login,
      TagOwner def,
      Map<String, TagOwner> owners,
      Map<String, Set<String>> groups,
      Map<String, Role> roles,
      Set<String> seen) {
    if (!seen.add(tagName(def.tag()))) {
      return false;
    }
    for (Selector o : def.owners()) {
      boolean hit =
          switch (o) {
            case Selector.User u -> u.login().equals(login);
            case Selector.Group g -> groups.getOrDefault(g.name(), Set.of()).contains(login);
            case Selector.Auto a ->
                switch (a.group()) {
                  // Admins (and the owner, who holds every admin right) may apply any tag owned by
                  // admin.
                  case ADMIN -> roles.get(login) == Role.ADMIN || roles.get(login) == Role.OWNER;
                  case OWNER -> roles.get(login) == Role.OWNER;
                  case MEMBER -> roles.containsKey(login);
                  case IT_ADMIN, NETWORK_ADMIN, BILLING_ADMIN, AUDITOR ->
                      Role.ofAutoGroup(a.group()).map(r -> r == roles.get(login)).orElse(false);
                  case TAGGED, SELF, INTERNET, SHARED, DANGER_ALL -> false;
                };
            // A tag owning a tag lets devices carrying the owner tag apply it; a user who may apply
            // the owner tag may apply this one too.
            case Selector.Tag t ->
                owners.containsKey(t.name())
                    && mayApply(login, owners.get(t.name()), owners, groups, roles, seen);
            case Selector.Wildcard w -> false;
            case Selector.UserDomain d -> login.endsWith("@" + d.domain());
            case Selector.Host h -> false;
            case Selector.IpSet s -> false;
            case Selector.Ip p -> false;
            case Selector.Range r -> false;
            case Selector.Service v -> false;
          };
      if (hit) {
        return true;
      }
    }
    return false;
  }
}
