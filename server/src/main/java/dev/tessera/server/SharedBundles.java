package dev.tessera.server;

import dev.tessera.registry.Cluster;
import dev.tessera.registry.Registry;
import dev.tessera.registry.RegistryException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One of several {@code policyc serve} processes on one PostgreSQL database ({@link Cluster}).
 *
 * <p>A thread of its own holds the cluster session: it {@code LISTEN}s, and on a registry change
 * asks the compile loop to poll at once (so a change made through any server, or the CLI, reaches
 * every server without waiting for the poll interval). The server holding the compile lock
 * compiles; its {@link BundleStore} reserves each version in the database before serving it and
 * stores every bundle it publishes ({@link BundleStore.Mirror}), and with the first bundles of each
 * compiled policy, that policy ({@link CompileLoop.SharedPolicy}; alone when an edit changed no
 * filter). The others do not compile (the compile loop only reads the inventory, for the node keys,
 * and takes the registry's checks from the stored policy, not from its own file); they install the
 * stored bundles and policy when notified, and serve them: every server offers a node the same
 * signed bundle under the same version, and decides enrollments with the same policy. When the
 * compiling server dies its session ends, the lock is free, and the first server to see it takes
 * over: it installs what is stored, adopts the versions given out, and compiles its own policy file
 * in full; versions continue above everything any server served, and its store makes its policy the
 * one every server decides with.
 */
final class SharedBundles implements BundleStore.Mirror, CompileLoop.SharedPolicy, AutoCloseable {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(SharedBundles.class);

  /** How long one wait for notifications lasts; also how often the lock is tried and read. */
  static final int WAIT_MILLIS = 250;

  private final Cluster cluster;
  private final BundleStore store;
  private final CompileLoop loop;
  private final ServerStatus status;
  private final Runnable pollSoon;
  private volatile boolean closed;
  private long generation;
  private Thread thread;

  /** The policy the compiling server stored last, as read from the database or stored here. */
  private volatile Cluster.Policy stored;

  /** The policy of the compilation being published (set and read on the compile loop's thread). */
  private Cluster.Policy publishing;

  SharedBundles(
      Cluster cluster,
      BundleStore store,
      CompileLoop loop,
      ServerStatus status,
      Runnable pollSoon) {
    this.cluster = cluster;
    this.store = store;
    this.loop = loop;
    this.status = status;
    this.pollSoon = pollSoon;
    store.mirror(this);
    loop.share(this);
  }

  /**
   * Installs what is stored, then tries the lock once (so a lone server compiles before it starts
   * listening), and starts the session thread.
   */
  void start() {
    step(0);
    thread = Thread.ofPlatform().name("tessera-cluster").daemon().start(this::run);
  }

  /** Whether this server compiles now. */
  @Override
  public boolean compiling() {
    return cluster.leading();
  }

  private void run() {
    while (!closed) {
      try {
        step(WAIT_MILLIS);
      } catch (RuntimeException e) {
        if (!closed) {
          LOG.error("cluster session failed unexpectedly; retrying", e);
          sleep(1_000);
        }
      }
    }
  }

  /** One round: wait for notifications, follow what is stored, take the lock if it is free. */
  synchronized void step(int waitMillis) {
    try {
      Set<String> got = waitMillis > 0 ? cluster.await(waitMillis) : Set.of();
      boolean wasLeading = cluster.leading();
      boolean newPolicy = false;
      if (!wasLeading) {
        newPolicy = follow();
        if (cluster.tryLead()) {
          takeOver();
        }
      }
      // A new stored policy changes the checks the compile loop derives from it: poll at once.
      if (got.contains(Registry.CHANNEL) || newPolicy || !wasLeading && cluster.leading()) {
        pollSoon.run();
      }
      status.cluster(cluster.leading() ? "compiling" : "serving stored bundles", null);
    } catch (RegistryException e) {
      if (!closed) {
        status.cluster("disconnected", e.getMessage());
        LOG.warn("cluster session: {}; serving what this server has, retrying", e.getMessage());
        sleep(1_000);
      }
    } catch (IOException e) {
      LOG.error("cannot record versions from the database: {}", e.getMessage());
      sleep(1_000);
    }
  }

  /**
   * Installs the bundles and the policy stored since the last look; returns whether the policy
   * changed.
   */
  private boolean follow() throws RegistryException, IOException {
    Cluster.Changes c = cluster.since(generation);
    boolean newPolicy = c.policy().isPresent() && !c.policy().get().equals(stored);
    if (newPolicy) {
      stored = c.policy().get();
      LOG.info(
          "the compiling server's policy is now {} (sha256 {})", stored.name(), stored.sha256());
    }
    if (c.bundles().isEmpty()) {
      generation = c.generation();
      return newPolicy;
    }
    Map<String, BundleStore.Entry> entries = new HashMap<>();
    Set<String> removed = new HashSet<>();
    String revision = null;
    for (Cluster.Stored b : c.bundles()) {
      if (b.signed() == null) {
        removed.add(b.node());
      } else {
        entries.put(
            b.node(),
            new BundleStore.Entry(
                b.version(), b.hash(), b.revision(), b.signed(), b.expiresAtMillis()));
        revision = b.revision();
      }
    }
    store.install(entries, removed);
    generation = c.generation();
    if (revision != null) {
      status.compiled(revision, store.size(), entries.size(), 0);
    }
    LOG.debug(
        "installed generation {}: {} bundles, {} removed",
        generation,
        entries.size(),
        removed.size());
    return newPolicy;
  }

  /** This server holds the lock now: continue above every version given out, and compile. */
  private void takeOver() throws RegistryException, IOException {
    follow();
    Map<String, BundleStore.Persisted> given = new HashMap<>();
    cluster
        .versions()
        .forEach((n, v) -> given.put(n, new BundleStore.Persisted(v.version(), v.hash())));
    store.adoptVersions(given);
    loop.recompile();
    LOG.info("this server compiles now (term {})", cluster.term());
  }

  @Override
  public void reserve(Map<String, BundleStore.Persisted> versions) throws IOException {
    Map<String, Cluster.Version> out = new HashMap<>();
    versions.forEach((n, v) -> out.put(n, new Cluster.Version(v.version(), v.hash())));
    try {
      cluster.reserve(out);
    } catch (RegistryException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  @Override
  public void published(Map<String, BundleStore.Entry> changed, Set<String> removed)
      throws IOException {
    List<Cluster.Stored> rows = new ArrayList<>(changed.size() + removed.size());
    changed.forEach(
        (n, e) ->
            rows.add(
                new Cluster.Stored(
                    n, e.version(), e.hash(), e.revision(), e.signed(), e.expiresAtMillis())));
    for (String n : removed) {
      rows.add(new Cluster.Stored(n, 0, "", "", null, 0));
    }
    storeRows(rows);
  }

  @Override
  public void publishing(Cluster.Policy policy) {
    publishing = policy;
  }

  @Override
  public void policyPublished() throws IOException {
    if (unstored() != null) {
      storeRows(List.of());
    }
  }

  @Override
  public Cluster.Policy stored() {
    return stored;
  }

  /** The policy being published, when it is not the one stored; else null. */
  private Cluster.Policy unstored() {
    Cluster.Policy p = publishing;
    return p != null && !p.equals(stored) ? p : null;
  }

  /** Stores {@code rows}, and the policy being published if it is not stored yet. */
  private void storeRows(List<Cluster.Stored> rows) throws IOException {
    Cluster.Policy policy = unstored();
    try {
      cluster.store(rows, policy);
    } catch (RegistryException e) {
      throw new IOException(e.getMessage(), e);
    }
    if (policy != null) {
      Cluster.Policy before = stored;
      stored = policy;
      LOG.info(
          "stored policy {} (sha256 {}){}: every server decides enrollments with it",
          policy.name(),
          policy.sha256(),
          before == null ? "" : ", replacing sha256 " + before.sha256());
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
    if (thread != null) {
      thread.interrupt();
    }
    cluster.close();
  }
}
