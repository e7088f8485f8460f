package dev.tessera.compiler.inventory;

import dev.tessera.compiler.CompilerCodes;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.ast.PostureValue;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.diag.Codes;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.SourceText;
import dev.tessera.policy.syntax.Tree;
import dev.tessera.policy.syntax.TreeReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads an inventory (YAML, or JSON, which is also YAML but read with the JSON parser when the file
 * name ends in {@code .json}) into an {@link Inventory}, reporting every problem as a located
 * diagnostic and dropping the bad entry (fail closed: a node with a bad address is left out, so it
 * gets no filter and appears in no one's sources).
 *
 * <p>Design note: the text is read by policy-lang's {@link TreeReader}, the one located reader (the
 * policy's and the test files' too), into a {@link Tree} that keeps every value's position, which
 * is then interpreted; its syntax errors are reported as inventory syntax errors, and duplicate
 * keys as in a policy. Checks that need only the inventory happen here (unknown user, duplicate
 * name, duplicate IP, bad IP or route, unknown keys); the tagOwners check needs the policy and
 * lives in the resolve pass ({@code dev.tessera.compiler.pass.ResolveIdentities}).
 */
public final class InventoryReader {
  private static final Set<String> TOP_KEYS = Set.of("users", "nodes", "services");
  private static final Set<String> SERVICE_KEYS = Set.of("name", "ips", "tags", "hosts");
  private static final Set<String> HOST_KEYS = Set.of("node", "approved");
  private static final Set<String> USER_KEYS = Set.of("login", "role");
  private static final Set<String> NODE_KEYS =
      Set.of("name", "user", "tags", "ips", "key", "posture", "routes");

  private final String file;
  private final Diagnostics diags;

  private InventoryReader(String file, Diagnostics diags) {
    this.file = file;
    this.diags = diags;
  }

  /** Parses {@code text} (named {@code file} in diagnostics). Never throws for bad input. */
  public static Inventory read(String file, String text, Diagnostics diags) {
    return new InventoryReader(file, diags).parse(text);
  }

  private Inventory parse(String text) {
    boolean json = file.toLowerCase(Locale.ROOT).endsWith(".json");
    Diagnostics read = new Diagnostics();
    Optional<Tree> root =
        TreeReader.read(new SourceText(file, text), !json, read, "inventory", null);
    for (Diagnostic d : read.sorted()) {
      if (d.code().equals(Codes.SYNTAX)) {
        diags.error(
            CompilerCodes.INVENTORY_SYNTAX,
            "inventory is not valid " + (json ? "JSON" : "YAML") + ": " + d.message(),
            d.span());
      } else {
        diags.add(d);
      }
    }
    return root.map(this::interpret).orElse(Inventory.EMPTY);
  }

  /** A scalar's text (strings, numbers, booleans), or null for null, a list or a mapping. */
  private static String scalarText(Tree t) {
    return switch (t) {
      case Tree.Str s -> s.value();
      case Tree.Num n -> n.text();
      case Tree.Bool b -> String.valueOf(b.value());
      case Tree.Null n -> null;
      case Tree.Obj o -> null;
      case Tree.Arr a -> null;
    };
  }

  // ---- interpretation ----

  private Inventory interpret(Tree root) {
    if (!(root instanceof Tree.Obj top)) {
      diags.error(
          CompilerCodes.INVENTORY_TYPE,
          "an inventory is a mapping with keys users and nodes",
          root.span());
      return Inventory.EMPTY;
    }
    List<InventoryUser> users = new ArrayList<>();
    List<InventoryNode> nodes = new ArrayList<>();
    Tree usersNode = null;
    Tree nodesNode = null;
    Tree servicesNode = null;
    for (Tree.Entry e : top.entries()) {
      switch (e.key()) {
        case "users" -> usersNode = e.value();
        case "nodes" -> nodesNode = e.value();
        case "services" -> servicesNode = e.value();
        default -> unknownKey(e, TOP_KEYS, "inventory");
      }
    }
    Map<String, InventoryUser> byLogin = new LinkedHashMap<>();
    for (Tree n : list(usersNode, "users")) {
      InventoryUser u = user(n);
      if (u == null) {
        continue;
      }
      InventoryUser prev = byLogin.putIfAbsent(u.login(), u);
      if (prev != null) {
        diags.error(
            CompilerCodes.INVENTORY_DUPLICATE_USER,
            "user \"" + u.login() + "\" is listed twice (first at " + prev.span() + ")",
            u.span());
      } else {
        users.add(u);
      }
    }
    Map<String, InventoryNode> byName = new HashMap<>();
    Map<IpAddress, InventoryNode> byIp = new HashMap<>();
    for (Tree n : list(nodesNode, "nodes")) {
      InventoryNode node = node(n, byLogin);
      if (node == null) {
        continue;
      }
      InventoryNode prev = byName.putIfAbsent(node.name(), node);
      if (prev != null) {
        diags.error(
            CompilerCodes.INVENTORY_DUPLICATE_NAME,
            "node name \"" + node.name() + "\" is used twice (first at " + prev.span() + ")",
            node.span());
        continue;
      }
      if (takenAddresses("node", node.name(), node.ips(), node.span(), byIp)) {
        byName.remove(node.name());
        continue; // fail closed: an address must identify one device
      }
      for (IpAddress ip : node.ips()) {
        byIp.put(ip, node);
      }
      nodes.add(node);
    }
    List<InventoryService> services = new ArrayList<>();
    Map<String, InventoryService> byService = new HashMap<>();
    for (Tree n : list(servicesNode, "services")) {
      InventoryService svc = service(n, byName.keySet());
      if (svc == null) {
        continue;
      }
      InventoryService prev = byService.putIfAbsent(svc.name(), svc);
      if (prev != null) {
        diags.error(
            CompilerCodes.INVENTORY_DUPLICATE_NAME,
            "service \"" + svc.name() + "\" is listed twice (first at " + prev.span() + ")",
            svc.span());
        continue;
      }
      if (!takenAddresses("service", svc.name(), svc.ips(), svc.span(), byIp)) {
        services.add(svc);
      }
    }
    return new Inventory(users, nodes, services);
  }

  /**
   * Whether any of {@code ips}, the addresses of the node or service ({@code what}) {@code name},
   * already belongs to a node of {@code byIp}; each such address is an error (fail closed: an
   * address must identify one device).
   */
  private boolean takenAddresses(
      String what,
      String name,
      List<IpAddress> ips,
      SourceSpan span,
      Map<IpAddress, InventoryNode> byIp) {
    boolean taken = false;
    for (IpAddress ip : ips) {
      InventoryNode owner = byIp.get(ip);
      if (owner != null) {
        diags.error(
            CompilerCodes.INVENTORY_DUPLICATE_IP,
            "address "
                + ip
                + " of "
                + what
                + " \""
                + name
                + "\" already belongs to node \""
                + owner.name()
                + "\" ("
                + owner.span()
                + ")",
            span);
        taken = true;
      }
    }
    return taken;
  }

  /** A service: name svc:NAME, ips, optional tags, hosts ({node, approved?}). */
  private InventoryService service(Tree n, Set<String> nodeNames) {
    if (!(n instanceof Tree.Obj o)) {
      diags.error(
          CompilerCodes.INVENTORY_TYPE,
          "a service is a mapping with name, ips and hosts",
          n.span());
      return null;
    }
    String name = null;
    List<IpAddress> ips = new ArrayList<>();
    List<String> tags = new ArrayList<>();
    List<InventoryService.Host> hosts = new ArrayList<>();
    boolean ok = true;
    for (Tree.Entry e : o.entries()) {
      switch (e.key()) {
        case "name" -> {
          name = string(e.value(), "name");
          if (name != null
              && !(name.startsWith("svc:")
                  && dev.tessera.policy.syntax.Values.validServiceName(name.substring(4)))) {
            diags.error(
                CompilerCodes.INVENTORY_TYPE,
                "\"" + name + "\" is not a service name (svc:NAME, NAME a DNS label)",
                e.value().span());
            ok = false;
          }
        }
        case "ips" -> ok &= addresses(e.value(), ips);
        case "tags" -> ok &= tags(e.value(), tags);
        case "hosts" -> {
          for (Tree h : list(e.value(), "hosts")) {
            InventoryService.Host host = serviceHost(h, nodeNames);
            if (host == null) {
              ok = false;
            } else {
              hosts.add(host);
            }
          }
        }
        default -> unknownKey(e, SERVICE_KEYS, "service");
      }
    }
    if (name == null || name.isEmpty()) {
      diags.error(CompilerCodes.INVENTORY_MISSING, "service has no name", o.span());
      return null;
    }
    if (ips.isEmpty() && ok) {
      diags.error(CompilerCodes.INVENTORY_MISSING, "service \"" + name + "\" has no ips", o.span());
      ok = false;
    }
    return ok ? new InventoryService(name, ips, tags, hosts, o.span()) : null;
  }

  private InventoryService.Host serviceHost(Tree n, Set<String> nodeNames) {
    if (scalarText(n) != null) {
      String node = string(n, "host");
      return node == null || !knownNode(node, nodeNames, n.span())
          ? null
          : new InventoryService.Host(node, Optional.empty(), n.span());
    }
    if (!(n instanceof Tree.Obj o)) {
      diags.error(
          CompilerCodes.INVENTORY_TYPE,
          "a service host is a node name or {node, approved}",
          n.span());
      return null;
    }
    String node = null;
    Optional<Boolean> approved = Optional.empty();
    for (Tree.Entry e : o.entries()) {
      switch (e.key()) {
        case "node" -> node = string(e.value(), "node");
        case "approved" -> {
          if (e.value() instanceof Tree.Bool b) {
            approved = Optional.of(b.value());
          } else {
            diags.error(
                CompilerCodes.INVENTORY_TYPE, "approved must be true or false", e.value().span());
            return null;
          }
        }
        default -> unknownKey(e, HOST_KEYS, "service host");
      }
    }
    if (node == null) {
      diags.error(CompilerCodes.INVENTORY_MISSING, "service host has no node", o.span());
      return null;
    }
    return knownNode(node, nodeNames, o.span())
        ? new InventoryService.Host(node, approved, o.span())
        : null;
  }

  /** Adds the addresses listed in {@code value} to {@code into}; false after a bad one. */
  private boolean addresses(Tree value, List<IpAddress> into) {
    boolean ok = true;
    for (Tree t : list(value, "ips")) {
      String ip = string(t, "ip");
      IpAddress a = ip == null ? null : IpAddress.tryParse(ip);
      if (a == null) {
        if (ip != null) {
          diags.error(
              CompilerCodes.INVENTORY_BAD_IP, "\"" + ip + "\" is not an IP address", t.span());
        }
        ok = false;
      } else if (!into.contains(a)) {
        into.add(a);
      }
    }
    return ok;
  }

  /** Adds the tags listed in {@code value} to {@code into}; false after a bad one. */
  private boolean tags(Tree value, List<String> into) {
    boolean ok = true;
    for (Tree t : list(value, "tags")) {
      String tag = string(t, "tag");
      if (tag == null) {
        ok = false;
      } else if (!tag.startsWith("tag:") || tag.length() == 4) {
        diags.error(
            CompilerCodes.INVENTORY_BAD_TAG,
            "\"" + tag + "\" is not a tag (tags look like tag:NAME)",
            t.span());
        ok = false;
      } else if (!into.contains(tag)) {
        into.add(tag);
      }
    }
    return ok;
  }

  private boolean knownNode(String node, Set<String> nodeNames, SourceSpan at) {
    if (!nodeNames.contains(node)) {
      diags.error(
          CompilerCodes.INVENTORY_MISSING,
          "service host \"" + node + "\" is not a node of the inventory",
          at);
      return false;
    }
    return true;
  }

  private List<Tree> list(Tree n, String what) {
    if (n == null || n instanceof Tree.Null) {
      return List.of();
    }
    if (n instanceof Tree.Arr a) {
      return a.items();
    }
    diags.error(CompilerCodes.INVENTORY_TYPE, what + " must be a list", n.span());
    return List.of();
  }

  private void unknownKey(Tree.Entry e, Set<String> known, String where) {
    diags.error(
        CompilerCodes.INVENTORY_UNKNOWN_KEY,
        "unknown key \"" + e.key() + "\" in " + where,
        e.keySpan(),
        "known keys: " + String.join(", ", new java.util.TreeSet<>(known)));
  }

  private String string(Tree n, String what) {
    if (scalarText(n) != null) {
      return scalarText(n);
    }
    diags.error(CompilerCodes.INVENTORY_TYPE, what + " must be a string", n.span());
    return null;
  }

  private InventoryUser user(Tree n) {
    if (!(n instanceof Tree.Obj o)) {
      diags.error(
          CompilerCodes.INVENTORY_TYPE, "a user is a mapping with login and role", n.span());
      return null;
    }
    String login = null;
    Role role = Role.MEMBER;
    boolean ok = true;
    for (Tree.Entry e : o.entries()) {
      switch (e.key()) {
        case "login" -> login = string(e.value(), "login");
        case "role" -> {
          String r = string(e.value(), "role");
          if (r != null) {
            Optional<Role> rr = Role.byText(r);
            if (rr.isEmpty()) {
              diags.error(
                  CompilerCodes.INVENTORY_BAD_ROLE,
                  "unknown role \"" + r + "\"",
                  e.value().span(),
                  "roles: owner, admin, member, auditor, it-admin, network-admin, billing-admin");
              ok = false;
            } else {
              role = rr.get();
            }
          }
        }
        default -> unknownKey(e, USER_KEYS, "user");
      }
    }
    if (login == null || login.isEmpty()) {
      diags.error(CompilerCodes.INVENTORY_MISSING, "user has no login", o.span());
      return null;
    }
    return ok ? new InventoryUser(login, role, o.span()) : null;
  }

  private InventoryNode node(Tree n, Map<String, InventoryUser> users) {
    if (!(n instanceof Tree.Obj o)) {
      diags.error(
          CompilerCodes.INVENTORY_TYPE,
          "a node is a mapping with name, user or tags, and ips",
          n.span());
      return null;
    }
    String name = null;
    String user = null;
    Tree userNode = null;
    List<String> tags = new ArrayList<>();
    List<IpAddress> ips = new ArrayList<>();
    String key = null;
    TreeMap<String, PostureValue> posture = new TreeMap<>();
    List<IpPrefix> routes = new ArrayList<>();
    boolean ok = true;
    for (Tree.Entry e : o.entries()) {
      switch (e.key()) {
        case "name" -> name = string(e.value(), "name");
        case "user" -> {
          if (!(e.value() instanceof Tree.Null)) {
            user = string(e.value(), "user");
            userNode = e.value();
          }
        }
        case "key" -> {
          if (!(e.value() instanceof Tree.Null)) {
            key = string(e.value(), "key");
          }
        }
        case "tags" -> ok &= tags(e.value(), tags);
        case "ips" -> ok &= addresses(e.value(), ips);
        case "routes" -> {
          for (Tree t : list(e.value(), "routes")) {
            String r = string(t, "route");
            if (r == null) {
              ok = false;
              continue;
            }
            try {
              IpPrefix p = IpPrefix.parse(r);
              if (!routes.contains(p)) {
                routes.add(p);
              }
            } catch (IllegalArgumentException ex) {
              diags.error(
                  CompilerCodes.INVENTORY_BAD_ROUTE,
                  "route \"" + r + "\" is not a CIDR prefix: " + ex.getMessage(),
                  t.span());
              ok = false;
            }
          }
        }
        case "posture" -> {
          if (e.value() instanceof Tree.Obj po) {
            for (Tree.Entry pe : po.entries()) {
              PostureValue.Kind kind =
                  switch (pe.value()) {
                    case Tree.Str x -> PostureValue.Kind.STRING;
                    case Tree.Num x -> PostureValue.Kind.NUMBER;
                    case Tree.Bool x -> PostureValue.Kind.BOOLEAN;
                    default -> null;
                  };
              if (kind != null) {
                posture.put(pe.key(), new PostureValue(kind, scalarText(pe.value())));
              } else {
                diags.error(
                    CompilerCodes.INVENTORY_BAD_POSTURE,
                    "posture attribute \"" + pe.key() + "\" must be a string, number or boolean",
                    pe.value().span());
                ok = false;
              }
            }
          } else if (!(e.value() instanceof Tree.Null)) {
            diags.error(
                CompilerCodes.INVENTORY_TYPE,
                "posture must be a mapping of attribute to value",
                e.value().span());
            ok = false;
          }
        }
        default -> unknownKey(e, NODE_KEYS, "node");
      }
    }
    if (name == null || name.isEmpty()) {
      diags.error(CompilerCodes.INVENTORY_MISSING, "node has no name", o.span());
      return null;
    }
    if (user != null && !users.containsKey(user)) {
      diags.error(
          CompilerCodes.INVENTORY_UNKNOWN_USER,
          "node \"" + name + "\" belongs to unknown user \"" + user + "\"",
          userNode.span(),
          "add the user under users:, or fix the login");
      ok = false;
    }
    if (user == null && tags.isEmpty() && ok) { // a bad tag was already reported
      diags.error(
          CompilerCodes.INVENTORY_NO_OWNER,
          "node \"" + name + "\" has neither a user nor tags",
          o.span(),
          "an untagged node must name its user");
      ok = false;
    }
    if (ips.isEmpty() && ok) {
      diags.error(CompilerCodes.INVENTORY_MISSING, "node \"" + name + "\" has no ips", o.span());
      ok = false;
    }
    if (!ok) {
      return null;
    }
    return new InventoryNode(
        name,
        Optional.ofNullable(user),
        tags,
        ips,
        Optional.ofNullable(key),
        posture,
        routes,
        o.span());
  }
}
