package dev.tessera.server;

import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.inventory.InventoryReader;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.DiagnosticRenderer;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.SourceText;
import dev.tessera.registry.Cluster;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the policy and the inventory, and when either changed, compiles and publishes. A change
 * that does not read, validate or compile is logged, recorded for {@code policyc status}, and
 * otherwise ignored: the last good compilation keeps being served (fail safe for availability, and
 * never a weaker filter than the last one that compiled).
 *
 * <p>With a registry, the nodes' endpoints go into the bundles too ({@link
 * RegistrySource#endpoints}). They are not compiled: when only endpoints changed, the last good
 * compilation is published again with them, and only the nodes that have a moved node among their
 * filter's peers are re-encoded (and, their content hash having changed, get a new version).
 *
 * <p>Among several servers on one database ({@link SharedPolicy}), only the one holding the compile
 * lock compiles, and it records the policy it compiled with the bundles it stores. The others never
 * decide with their own policy file: a poll of theirs takes the node keys from the inventory and
 * the checks ({@code tagOwners}, {@code autoApprovers}) from the stored policy, so every server of
 * the database admits and approves exactly what the compiling server's policy allows. Before any
 * policy is stored they own no tag and approve no route (fail closed). A server's own file counts
 * only once it takes over compiling: it then compiles that file, and its store makes it the policy
 * every server decides with.
 */
final class CompileLoop {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CompileLoop.class);
  private final PolicySource policy;
  private final PolicySource inventory;
  private final BundleStore store;
  private final AuditLog audit;
  private final ServerStatus status;
  private String lastSeen = "";
  private volatile Map<String, byte[]> nodeKeys = Map.of();

  /**
   * The registry's checks and the SHA-256 of the policy they were made from ("" for none): one
   * value, so the two are never read apart.
   */
  private record Checks(dev.tessera.registry.PolicyChecks checks, String from) {}

  private volatile Checks checks = new Checks(dev.tessera.registry.PolicyChecks.NONE, "");

  /**
   * Why the checks of the policy stored last could not be made, while following (null: nothing
   * failed; they are made at the next poll).
   */
  private volatile String checksProblem;

  private Inventory parsedInventory;
  private String parsedInventoryText;
  private String parsedInventoryName;

  /** The last compilation that was published, and its policy: the base of incremental updates. */
  private Compilation lastGood;

  private String lastGoodPolicyText;
  private String lastGoodPolicyName;
  private String lastGoodRevision;
  private boolean lastIncremental;

  /** The endpoints in the bundles served (the registry's as of the last publish). */
  private Map<String, List<InetSocketAddress>> publishedEndpoints = Map.of();

  /**
   * Where servers sharing one database keep the policy the compiling one compiled ({@link
   * SharedBundles}).
   */
  interface SharedPolicy {
    /** Whether this server compiles now (false: another server does, and this one follows it). */
    boolean compiling();

    /**
     * A compilation of {@code policy} is about to be published: the bundles stored with it record
     * it, in the same transaction.
     */
    void publishing(Cluster.Policy policy);

    /**
     * The publish is done: records the policy now if no store of bundles did (an edit that changed
     * no filter). Throws when this server no longer compiles.
     */
    void policyPublished() throws IOException;

    /** The policy the compiling server stored last, as this server knows it; null before any. */
    Cluster.Policy stored();
  }

  /** Null: a server on its own, which always compiles. */
  private volatile SharedPolicy shared;

  /** What the last poll of a server that does not compile decided with: unchanged, no work. */
  private String lastFollowed = "";

  /** The stored policy last parsed, and its parse (null: it does not read here). */
  private Cluster.Policy parsedStored;

  private dev.tessera.policy.ast.Policy parsedStoredPolicy;

  /** The own file's and the stored policy's hashes last logged about. */
  private String policyLogged = "";

  /** The policy of the last good compilation, as it is recorded for the other servers. */
  private Cluster.Policy lastGoodPolicy;

  /** Whether this server published a compilation since it took over compiling. */
  private boolean compiledHere;

  /** At most this many nodes joined, left or changed for an incremental recompile. */
  static final int MAX_INCREMENTAL_NODES = 32;

  public CompileLoop(
      PolicySource policy,
      PolicySource inventory,
      BundleStore store,
      AuditLog audit,
      ServerStatus status) {
    this.policy = policy;
    this.inventory = inventory;
    this.store = store;
    this.audit = audit;
    this.status = status;
  }

  /**
   * Compiles only while {@code shared} says this server compiles, and records each compiled policy
   * there; otherwise a poll reads the inventory for the node keys, takes the registry's checks from
   * the stored policy, and leaves publishing to the server that compiles.
   */
  void share(SharedPolicy shared) {
    this.shared = shared;
  }

  /**
   * Forgets what was seen and compiled, so the next poll compiles in full (this server has just
   * taken over compiling; what it serves was compiled elsewhere).
   */
  synchronized void recompile() {
    lastSeen = "";
    lastGood = null;
    compiledHere = false;
  }

  /** Whether the last published compilation was reached incrementally (tests). */
  synchronized boolean lastWasIncremental() {
    return lastIncremental;
  }

  /**
   * The WireGuard public key of each node in the last good inventory (for request authentication).
   */
  public byte[] nodeKey(String node) {
    return nodeKeys.get(node);
  }

  /**
   * The registry's checks ({@code tagOwners}, {@code autoApprovers}) under the policy of the last
   * good compilation, or on a server that does not compile, under the policy the compiling server
   * stored; before either, checks that own no tag and approve no route. A server that does not
   * compile and whose checks were made from another policy than the one stored last (the store is
   * newer than its last poll, or the poll could not make them: the inventory, which they need for
   * users' roles, cannot be read) gets {@link dev.tessera.registry.PolicyChecks#unavailable}: what
   * needs the policy is refused until the checks of the stored policy are made, never decided with
   * the previous policy's.
   */
  public dev.tessera.registry.PolicyChecks checks() {
    Checks c = checks;
    SharedPolicy sp = shared;
    if (sp == null || sp.compiling()) {
      return c.checks();
    }
    Cluster.Policy stored = sp.stored();
    if (stored == null || stored.sha256().equals(c.from())) {
      return c.checks();
    }
    return dev.tessera.registry.PolicyChecks.unavailable(stale(stored, checksProblem));
  }

  /** Why the checks of {@code stored} are not in force, for a refusal's message. */
  private static String stale(Cluster.Policy stored, String problem) {
    return "this server has not made the checks of the compiling server's policy (sha256 "
        + stored.sha256()
        + ") yet"
        + (problem == null ? "" : ": " + problem)
        + "; retry, or use another server of this control plane";
  }

  /**
   * A poll of a server that does not compile could not make the checks: when the stored policy is
   * not the one the checks in force were made from, status says so (they refuse, see {@link
   * #checks}), and it is logged once per policy and reason.
   */
  private void checksNotMade(SharedPolicy sp, String own, String problem) {
    checksProblem = problem;
    Cluster.Policy stored = sp.stored();
    if (stored == null || stored.sha256().equals(checks.from())) {
      return; // the checks in force are of the stored policy (or none is stored): still current
    }
    status.policy(
        "stored policy changed; its checks cannot be made here yet (" + problem + ")",
        stored.sha256(),
        own);
    logPolicyOnce(
        "stale " + stored.sha256() + " " + problem,
        () ->
            LOG.error(
                "the compiling server stored a new policy (sha256 {}), and this server cannot make"
                    + " its checks ({}): refusing enrollments with tags or routes and new"
                    + " advertised routes until it can",
                stored.sha256(),
                problem));
  }

  /**
   * Polls both sources once; compiles and publishes when either changed. Never throws for bad
   * input.
   */
  public synchronized void poll() {
    PolicySource.Snapshot p = null;
    PolicySource.Snapshot inv;
    try {
      p = policy.read();
      inv = inventory.read();
    } catch (IOException e) {
      SharedPolicy following = shared;
      if (following != null && !following.compiling()) {
        checksNotMade(
            following,
            p == null ? null : Cluster.Policy.of(p.name(), p.text()).sha256(),
            (p == null ? "the policy file cannot be read: " : "the inventory cannot be read: ")
                + e.getMessage());
        lastFollowed = "";
      }
      String seen = "io:" + e.getMessage();
      if (!seen.equals(lastSeen)) {
        lastSeen = seen;
        fail("?", "cannot read input: " + e.getMessage());
      }
      return;
    }
    String revision =
        p.revision() + "+inv-" + inv.revision().replaceFirst("^[a-z0-9]+:", "").substring(0, 8);
    SharedPolicy sp = shared;
    if (sp != null && !sp.compiling()) {
      follow(sp, p, inv, revision);
      return;
    }
    lastFollowed = "";
    Map<String, List<InetSocketAddress>> endpoints =
        inventory instanceof RegistrySource r ? r.endpoints() : Map.of();
    if (revision.equals(lastSeen)) {
      if (!endpoints.equals(publishedEndpoints) && lastGood != null) {
        publishEndpoints(endpoints);
      }
      return;
    }
    lastSeen = revision;
    long start = System.nanoTime();

    Optional<Syntax> syntax = Syntax.forFileName(policyFileName(p.name()));
    if (syntax.isEmpty()) {
      fail(
          revision,
          "cannot tell the policy syntax from "
              + p.name()
              + " (use .hujson, .json, .yaml, .yml or .tpol)");
      return;
    }
    String nul = nulCharacter(p);
    if (nul != null) {
      fail(revision, nul);
      return;
    }
    PolicyResult read = Policies.read(p.name(), p.text(), syntax.get());
    if (read.policy().isEmpty()) {
      fail(revision, render(read.diagnostics(), Map.of(p.name(), read.source())));
      return;
    }
    Inventory inv2 = inventory(inv, revision);
    if (inv2 == null) {
      return;
    }
    // The same policy text as the last good compilation and a few nodes changed (joined, left,
    // edited): recompile incrementally, and encode only the filters that changed. Anything else,
    // or a step that reports an error, compiles in full.
    Compilation c = null;
    java.util.Set<String> mayDiffer = null;
    if (lastGood != null
        && p.text().equals(lastGoodPolicyText)
        && p.name().equals(lastGoodPolicyName)) {
      c = lastGood.updateTo(inv2, MAX_INCREMENTAL_NODES).orElse(null);
      if (c != null) {
        mayDiffer = new java.util.HashSet<>(c.changedNodes());
      }
    }
    boolean incremental = c != null;
    if (c == null) {
      c = Compiler.compile(read.policy().get(), inv2);
    }
    if (c.hasErrors()) {
      fail(
          revision,
          render(
              c.diagnostics(),
              Map.of(p.name(), read.source(), inv.name(), new SourceText(inv.name(), inv.text()))));
      return;
    }
    long compiled = System.nanoTime();
    if (mayDiffer != null && !endpoints.equals(publishedEndpoints)) {
      mayDiffer.addAll(withPeersIn(c.filters(), moved(publishedEndpoints, endpoints)));
    }
    Cluster.Policy compiledPolicy =
        lastGoodPolicy != null
                && lastGoodPolicy.name().equals(p.name())
                && lastGoodPolicy.text().equals(p.text())
            ? lastGoodPolicy
            : Cluster.Policy.of(p.name(), p.text());
    try {
      if (sp != null) {
        sp.publishing(compiledPolicy);
      }
      List<String> changed =
          store.publish(c.filters(), endpoints, mayDiffer, revision, System.currentTimeMillis());
      if (sp != null) {
        sp.policyPublished();
        compiledHere = true;
        status.policy("compiled here", compiledPolicy.sha256(), compiledPolicy.sha256());
      }
      lastGoodPolicy = compiledPolicy;
      publishedEndpoints = endpoints;
      lastGoodRevision = revision;
      nodeKeys = keysOf(inv2);
      checks =
          new Checks(
              dev.tessera.server.control.PolicyControl.checks(read.policy().get(), inv2),
              compiledPolicy.sha256());
      lastGood = c;
      lastGoodPolicyText = p.text();
      lastGoodPolicyName = p.name();
      lastIncremental = incremental;
      long millis = (System.nanoTime() - start) / 1_000_000;
      audit.compiled(revision, c.filters().size(), changed.size(), millis);
      status.compiled(revision, c.filters().size(), changed.size(), millis);
      LOG.info(
          "compiled {}{}: {} nodes, {} changed, {} ms (read+compile {} ms, publish {} ms: {})",
          revision,
          incremental ? " (incremental)" : "",
          c.filters().size(),
          changed.size(),
          millis,
          (compiled - start) / 1_000_000,
          (System.nanoTime() - compiled) / 1_000_000,
          store.lastPublishTimings());
    } catch (IOException e) {
      lastGood = null; // what is served is no longer known to be one compilation: start afresh
      fail(revision, "cannot persist server state: " + e.getMessage());
    } catch (RuntimeException e) {
      // e.g. a node name too long for the bundle format: refused before anything was served.
      lastGood = null;
      fail(revision, "cannot publish: " + e.getMessage());
    }
  }

  /**
   * The inventory snapshot parsed, reusing the last parse when its text is unchanged (a policy
   * change leaves the inventory as it was, and at 10k nodes reading the YAML again costs more than
   * compiling the policy; compared by text, not by a hash prefix); null after a failure, which is
   * recorded.
   */
  private Inventory inventory(PolicySource.Snapshot inv, String revision) {
    if (inv.text().equals(parsedInventoryText) && inv.name().equals(parsedInventoryName)) {
      return parsedInventory;
    }
    Diagnostics invDiags = new Diagnostics();
    Inventory parsed = InventoryReader.read(inv.name(), inv.text(), invDiags);
    if (invDiags.hasErrors()) {
      fail(
          revision,
          render(invDiags.sorted(), Map.of(inv.name(), new SourceText(inv.name(), inv.text()))));
      return null;
    }
    parsedInventory = parsed;
    parsedInventoryText = inv.text();
    parsedInventoryName = inv.name();
    return parsed;
  }

  /**
   * A poll of a server that does not compile: another server compiles and this one serves what it
   * stores. Requests still need the node keys, and enrollments and route approvals the checks: of
   * the policy the compiling server stored, never of this server's own file, which is only compared
   * with it (a difference is logged once and shown in status).
   */
  private void follow(
      SharedPolicy sp, PolicySource.Snapshot p, PolicySource.Snapshot inv, String revision) {
    lastSeen = "";
    lastGood = null;
    compiledHere = false;
    Cluster.Policy stored = sp.stored();
    String seen = revision + " " + (stored == null ? "-" : stored.sha256() + " " + stored.name());
    if (seen.equals(lastFollowed)) {
      return;
    }
    lastFollowed = seen;
    String own = Cluster.Policy.of(p.name(), p.text()).sha256();
    Inventory inv2 = inventory(inv, revision);
    if (inv2 == null) {
      checksNotMade(sp, own, "the inventory does not read");
      lastFollowed = "";
      return;
    }
    nodeKeys = keysOf(inv2);
    checksProblem = null;
    if (stored == null) {
      checks = new Checks(dev.tessera.registry.PolicyChecks.NONE, "");
      status.policy("none stored yet", null, own);
      logPolicyOnce(
          "none " + own,
          () ->
              LOG.warn(
                  "no compiling server has stored its policy yet: until one does, this server"
                      + " refuses auth keys with tags (tag-not-owned) and approves no route by"
                      + " autoApprovers"));
      return;
    }
    dev.tessera.policy.ast.Policy parsed = parse(stored);
    if (parsed == null) {
      checks =
          new Checks(
              dev.tessera.registry.PolicyChecks.unavailable(
                  "the compiling server's policy (sha256 "
                      + stored.sha256()
                      + ") does not read on this server; use another server of this control"
                      + " plane"),
              stored.sha256());
      status.policy("the compiling server's does not read here", stored.sha256(), own);
      return;
    }
    checks =
        new Checks(dev.tessera.server.control.PolicyControl.checks(parsed, inv2), stored.sha256());
    if (own.equals(stored.sha256())) {
      status.policy("same as the compiling server's", stored.sha256(), own);
      logPolicyOnce(
          own + " " + stored.sha256(),
          () ->
              LOG.info(
                  "policy file {} (sha256 {}) is the one the compiling server compiled",
                  describe(p),
                  own));
    } else {
      status.policy("differs from the compiling server's", stored.sha256(), own);
      logPolicyOnce(
          own + " " + stored.sha256(),
          () ->
              LOG.warn(
                  "policy file {} (sha256 {}) differs from the policy the compiling server"
                      + " compiled, {} (sha256 {}): this server decides enrollments and route"
                      + " approvals with the compiling server's policy, and compiles its own file"
                      + " only if it takes over compiling",
                  describe(p),
                  own,
                  stored.name(),
                  stored.sha256()));
    }
  }

  private void logPolicyOnce(String what, Runnable log) {
    if (!what.equals(policyLogged)) {
      policyLogged = what;
      log.run();
    }
  }

  /** This server's policy file as logged: where it is read from, and the version read. */
  private String describe(PolicySource.Snapshot p) {
    String where = policy.describe();
    return where.equals(p.name()) ? where : where + " (" + p.name() + ")";
  }

  /**
   * The stored policy parsed, the parse kept while it is the same policy; null when it does not
   * read here (logged once: a server of another version, say), and then no tag is owned and no
   * route approved.
   */
  private dev.tessera.policy.ast.Policy parse(Cluster.Policy stored) {
    if (stored.equals(parsedStored)) {
      return parsedStoredPolicy;
    }
    parsedStored = stored;
    parsedStoredPolicy = null;
    Optional<Syntax> syntax = Syntax.forFileName(policyFileName(stored.name()));
    if (syntax.isEmpty()) {
      LOG.error(
          "the policy the compiling server stored, {} (sha256 {}), names no syntax this server"
              + " reads: refusing enrollments with tags or routes and new advertised routes until"
              + " it does",
          stored.name(),
          stored.sha256());
      return null;
    }
    PolicyResult read = Policies.read(stored.name(), stored.text(), syntax.get());
    if (read.policy().isEmpty()) {
      LOG.error(
          "the policy the compiling server stored, {} (sha256 {}), does not read here: refusing"
              + " enrollments with tags or routes and new advertised routes until it does\n{}",
          stored.name(),
          stored.sha256(),
          render(read.diagnostics(), Map.of(stored.name(), read.source())));
      return null;
    }
    parsedStoredPolicy = read.policy().get();
    return parsedStoredPolicy;
  }

  /**
   * Publishes the last good compilation again with new endpoints; only the nodes that have a moved
   * node among their peers may change.
   */
  private void publishEndpoints(Map<String, List<InetSocketAddress>> endpoints) {
    long start = System.nanoTime();
    Set<String> affected = withPeersIn(lastGood.filters(), moved(publishedEndpoints, endpoints));
    try {
      List<String> changed =
          store.publish(
              lastGood.filters(),
              endpoints,
              affected,
              lastGoodRevision,
              System.currentTimeMillis());
      publishedEndpoints = endpoints;
      LOG.info(
          "endpoints changed: {} of {} nodes have a moved peer, {} new bundles, {} ms",
          affected.size(),
          lastGood.filters().size(),
          changed.size(),
          (System.nanoTime() - start) / 1_000_000);
    } catch (IOException e) {
      lastGood = null; // as for a compilation: what is served is no longer known
      fail(lastGoodRevision, "cannot persist server state: " + e.getMessage());
    } catch (RuntimeException e) {
      lastGood = null;
      fail(lastGoodRevision, "cannot publish endpoints: " + e.getMessage());
    }
  }

  /** The nodes whose endpoints differ between {@code a} and {@code b} (in either). */
  static Set<String> moved(
      Map<String, List<InetSocketAddress>> a, Map<String, List<InetSocketAddress>> b) {
    Set<String> out = new HashSet<>();
    for (var e : a.entrySet()) {
      if (!e.getValue().equals(b.get(e.getKey()))) {
        out.add(e.getKey());
      }
    }
    for (var e : b.entrySet()) {
      if (!a.containsKey(e.getKey())) {
        out.add(e.getKey());
      }
    }
    return out;
  }

  /** The nodes with a peer in {@code names}: whose bundles carry those nodes' endpoints. */
  static Set<String> withPeersIn(Map<String, CompiledFilter> filters, Set<String> names) {
    Set<String> out = new HashSet<>();
    if (names.isEmpty()) {
      return out;
    }
    for (var e : filters.entrySet()) {
      for (dev.tessera.enforcer.format.Peer p : e.getValue().peers()) {
        if (names.contains(p.name())) {
          out.add(e.getKey());
          break;
        }
      }
    }
    return out;
  }

  private void fail(String revision, String error) {
    SharedPolicy sp = shared;
    if (sp != null && sp.compiling() && !compiledHere) {
      // Taken over, and this server's own file has not compiled: the policy in force is still the
      // one the previous compiling server stored (the checks were taken from it while following).
      status.policyState(
          sp.stored() == null
              ? "none stored yet: this server's file has not compiled"
              : "the previous compiling server's: this server's file has not compiled");
    }
    audit.compileFailed(revision, error);
    status.failed(revision, error);
    LOG.error("revision {} refused; still serving {}\n{}", revision, status.revision(), error);
  }

  /**
   * Why a policy text holding a NUL character (U+0000, even in a comment, where a reader would
   * accept it) is refused, naming where the first one is; null when it holds none. Servers sharing
   * a PostgreSQL database store the policy they compile as text, which cannot hold NUL, so such a
   * policy could be served by one server and never shared; it is refused on every server instead,
   * before anything is published or stored.
   */
  static String nulCharacter(PolicySource.Snapshot p) {
    String text = p.text();
    int at = text.indexOf('\0');
    if (at < 0) {
      return null;
    }
    int line = 1;
    int lineStart = 0;
    for (int i = 0; i < at; i++) {
      if (text.charAt(i) == '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return p.name()
        + ":"
        + line
        + ":"
        + (text.codePointCount(lineStart, at) + 1)
        + ": the policy contains a NUL character (U+0000): remove it (a comment may not hold it"
        + " either); the server's database cannot store a policy holding one, so it is refused";
  }

  private static String policyFileName(String name) {
    int at = name.lastIndexOf('@'); // git snapshots are named path@commit
    return at > 0 ? name.substring(0, at) : name;
  }

  private static String render(List<Diagnostic> ds, Map<String, SourceText> sources) {
    return DiagnosticRenderer.text(ds, sources);
  }

  private static Map<String, byte[]> keysOf(Inventory inventory) {
    Map<String, byte[]> keys = new HashMap<>();
    for (InventoryNode n : inventory.nodes()) {
      n.key()
          .ifPresent(
              k -> {
                try {
                  byte[] raw = Base64.getDecoder().decode(k.strip());
                  if (raw.length == 32) {
                    keys.put(n.name(), raw);
                  }
                } catch (IllegalArgumentException ignored) {
                  // A malformed key authenticates nothing; the node's requests are refused as
                  // unknown.
                }
              });
    }
    return Map.copyOf(keys);
  }
}
