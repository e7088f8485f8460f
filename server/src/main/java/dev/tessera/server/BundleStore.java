package dev.tessera.server;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.bundle.BundleCodec;
import dev.tessera.bundle.Freshness;
import dev.tessera.bundle.NodeBundle;
import dev.tessera.bundle.PeerEndpoints;
import dev.tessera.bundle.PrivateFiles;
import dev.tessera.bundle.SigningKey;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterCodec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * The signed bundles currently served, one per node, and the long-poll waiters.
 *
 * <p>Versions only grow. A node's version goes up by one when its bundle's content hash (its filter
 * and its peers' endpoints) changes and stays put otherwise, so agents are not woken (and nothing
 * is re-signed) for recompilations that changed nothing for them. Versions and hashes are persisted
 * ({@code versions.json} in the state directory, replaced atomically) so a restarted server
 * continues above what agents already hold instead of offering them something they would rightly
 * refuse as a rollback.
 *
 * <p><b>Losing that state</b> must not brick the fleet (agents would refuse every bundle with a
 * version at or below the one they hold). Versions therefore live in epochs: a version is {@code
 * epoch << 32 | n}. A store that finds no {@code versions.json} starts a new epoch, above every
 * epoch before it: the larger of the wall clock in seconds and one more than the epoch recorded
 * next to the signing key ({@code epochFile}, written durably before anything is served, and the
 * floor that keeps a clock set back from reusing an epoch). So a server restarted on an empty state
 * directory serves every node a version above anything it served before, and agents keep updating.
 *
 * <p><b>Freshness.</b> Every bundle is signed with an expiry ({@code freshnessMillis} after
 * signing) and is its own {@link Freshness} statement until then; {@link #freshness} gives the
 * statement for an answer whose bundle cannot vouch for itself any more, or for an "unchanged"
 * answer, re-signed per node only when the cached one has less than half its lifetime left.
 *
 * <p>Publishing streams (goal: p99 propagation to 10k long-polling agents within 2 s):
 *
 * <pre>
 *   1. encode + SHA-256 every filter            (parallel; cheap)
 *   2. decide versions                          (unchanged hash: keep bundle and version)
 *   3. per changed node, in parallel: sign -> publish -> complete its waiters at once,
 *      while versions.json is written (atomically) on another thread; nothing is published
 *      before that write is done
 * </pre>
 *
 * A node's waiters are completed as soon as its own bundle is signed, not after all are. The
 * versions are on disk before any of them is served, so a restarted server never reissues a served
 * version with other content (the agent holding it would refuse that as a rollback). {@link
 * #publish} is synchronized and returns only after step 3 finished, so compilations publish one
 * after another and a node's versions are strictly increasing in the order agents can observe them.
 */
public final class BundleStore {
  /** What is served to one node right now. */
  public record Entry(
      long version, String hash, String revision, byte[] signed, long expiresAtMillis) {}

  /** A version given out for a node, and the content hash it was given for. */
  record Persisted(long version, String hash) {}

  /**
   * Where a store shares what it serves with other servers ({@link SharedBundles}). {@link
   * #reserve} runs before any bundle of a publish is served, with the versions it gives out; if it
   * throws, nothing of that publish is served. {@link #published} runs after the publish, with the
   * entries it changed and the nodes it stopped serving.
   */
  interface Mirror {
    void reserve(Map<String, Persisted> versions) throws IOException;

    void published(Map<String, Entry> changed, java.util.Set<String> removed) throws IOException;
  }

  /** A long-poll waiting for a version above {@code known}. */
  private record Waiter(long known, Consumer<Entry> fire) {}

  /** The state file: the epoch and each node's version and hash. */
  private record State(long epoch, Map<String, Persisted> nodes) {}

  /** One cached signed freshness statement. */
  private record Statement(long version, long expiresAtMillis, String header) {}

  /** Default lifetime of a freshness statement (and of a bundle's own freshness). */
  public static final long DEFAULT_FRESHNESS_MILLIS = 5 * 60_000;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final SigningKey key;
  private final Path stateFile;

  /** Entries replaced one node at a time while a publish streams; see the class comment. */
  private final Map<String, Entry> current = new ConcurrentHashMap<>();

  /** Guarded by this. */
  private final Map<String, Persisted> versions;

  private final Map<String, List<Waiter>> waiters = new ConcurrentHashMap<>();
  private final AtomicLong signatures = new AtomicLong();
  private final Map<String, Statement> statements = new ConcurrentHashMap<>();
  private final long epoch;
  private final long freshnessMillis;
  private final boolean parallel;
  private volatile String lastTimings = "";
  private volatile Mirror mirror;

  public BundleStore(SigningKey key, Path stateDir) throws IOException {
    this(key, stateDir, null, DEFAULT_FRESHNESS_MILLIS, true);
  }

  /**
   * @param epochFile where the epoch is recorded beside the signing key (survives a lost state
   *     directory); null: the wall clock alone sets a new epoch's floor
   * @param freshnessMillis lifetime of a freshness statement
   */
  public BundleStore(SigningKey key, Path stateDir, Path epochFile, long freshnessMillis)
      throws IOException {
    this(key, stateDir, epochFile, freshnessMillis, true);
  }

  /** {@code parallel = false} signs on the publishing thread only, in node order (tests). */
  BundleStore(SigningKey key, Path stateDir, boolean parallel) throws IOException {
    this(key, stateDir, null, DEFAULT_FRESHNESS_MILLIS, parallel);
  }

  BundleStore(SigningKey key, Path stateDir, Path epochFile, long freshnessMillis, boolean parallel)
      throws IOException {
    this.key = key;
    this.parallel = parallel;
    this.freshnessMillis = freshnessMillis;
    PrivateFiles.createDirectories(stateDir);
    this.stateFile = stateDir.resolve("versions.json");
    if (Files.exists(stateFile)) {
      State st = readState(stateFile);
      this.epoch = st.epoch();
      this.versions = new HashMap<>(st.nodes());
    } else {
      this.epoch = newEpoch(epochFile);
      this.versions = new HashMap<>();
      persist(versions); // the new epoch is on disk before anything is served under it
    }
  }

  private static State readState(Path file) throws IOException {
    com.fasterxml.jackson.databind.JsonNode j = JSON.readTree(file.toFile());
    if (j != null
        && j.has("epoch")
        && j.path("epoch").isIntegralNumber()
        && j.path("nodes").isObject()) {
      return new State(
          j.path("epoch").asLong(),
          JSON.convertValue(j.path("nodes"), new TypeReference<Map<String, Persisted>>() {}));
    }
    // The layout before epochs: a plain node -> {version, hash} map, epoch 0.
    return new State(0, JSON.convertValue(j, new TypeReference<Map<String, Persisted>>() {}));
  }

  /**
   * A new epoch: above the wall clock's seconds and above the one recorded in {@code epochFile},
   * which is then updated (durably) so that a clock set back cannot bring an old epoch back. If the
   * file cannot be written (a read-only key directory), the clock alone is the floor; that is said
   * on stderr. Without an epoch file (null: embedded stores in tests) the epoch is 0.
   */
  static long newEpoch(Path epochFile) throws IOException {
    if (epochFile == null) {
      return 0;
    }
    long recorded = 0;
    if (Files.exists(epochFile)) {
      String text = Files.readString(epochFile, StandardCharsets.US_ASCII).strip();
      try {
        recorded = Long.parseLong(text);
      } catch (NumberFormatException e) {
        throw new IOException(epochFile + ": not an epoch number: " + text);
      }
    }
    long epoch = Math.max(recorded + 1, System.currentTimeMillis() / 1000);
    if (epoch >= 1L << 31) {
      throw new IOException("epoch " + epoch + " is out of range");
    }
    try {
      PrivateFiles.replace(epochFile, (epoch + "\n").getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      org.slf4j.LoggerFactory.getLogger(BundleStore.class)
          .warn(
              "cannot record the version epoch in {} ({}); the clock alone"
                  + " keeps versions above those served before a loss of the state directory",
              epochFile,
              e.getMessage());
    }
    return epoch;
  }

  /** The epoch versions of nodes new to this state start in. */
  public long epoch() {
    return epoch;
  }

  /**
   * The freshness header for an answer about {@code entry} of {@code node} at {@code nowMillis};
   * null when {@code bundleSent} and the bundle's own window still has at least half its lifetime
   * left (it vouches for itself).
   */
  public String freshness(String node, Entry entry, boolean bundleSent, long nowMillis) {
    if (bundleSent && entry.expiresAtMillis() - nowMillis >= freshnessMillis / 2) {
      return null;
    }
    Statement s = statements.get(node);
    if (s == null
        || s.version != entry.version()
        || s.expiresAtMillis - nowMillis < freshnessMillis / 2) {
      long expires = nowMillis + freshnessMillis;
      s =
          new Statement(
              entry.version(),
              expires,
              new Freshness(node, entry.version(), nowMillis, expires).signHeader(key));
      statements.put(node, s);
      signatures.incrementAndGet();
    }
    return s.header;
  }

  /**
   * The entry served to {@code node}, or null when the node has none (unknown or not compiled yet).
   */
  public Entry get(String node) {
    return current.get(node);
  }

  /** The nodes served, sorted. */
  public java.util.SortedSet<String> nodes() {
    return new java.util.TreeSet<>(current.keySet());
  }

  /** Number of nodes served. */
  public int size() {
    return current.size();
  }

  /** Where the last {@link #publish} spent its time (for the server log). */
  public String lastPublishTimings() {
    return lastTimings;
  }

  /**
   * How many bundles this store has signed since it was made (tests check unchanged nodes are not
   * re-signed).
   */
  public long signatureCount() {
    return signatures.get();
  }

  /**
   * Publishes a compilation's filters: signs a new bundle for each node whose content changed,
   * persists the versions, and wakes each such node's waiters as soon as its own bundle is signed.
   * Nodes whose content hash is unchanged keep their bundle and version and are not woken. Nodes no
   * longer compiled stop being served. Returns the nodes whose bundle changed, sorted.
   *
   * @throws IOException when the versions cannot be persisted; then nothing of this compilation is
   *     served (the previous bundles stay in force)
   */
  public synchronized List<String> publish(
      SortedMap<String, CompiledFilter> filters, String revision, long nowMillis)
      throws IOException {
    return publish(filters, null, revision, nowMillis);
  }

  /**
   * {@link #publish(SortedMap, String, long)}, told which nodes' filters may differ from the ones
   * this store serves them ({@code mayDiffer}; null: any). The others keep their entry without
   * being encoded again: an incremental recompile names the few filters it changed, and encoding
   * every node's filter is most of a publish at 10k nodes. A node this store does not serve yet is
   * always encoded.
   */
  public synchronized List<String> publish(
      SortedMap<String, CompiledFilter> filters,
      java.util.Set<String> mayDiffer,
      String revision,
      long nowMillis)
      throws IOException {
    return publish(filters, Map.of(), mayDiffer, revision, nowMillis);
  }

  /**
   * {@link #publish(SortedMap, java.util.Set, String, long)} with the nodes' endpoints: each bundle
   * carries the endpoints of its filter's peers ({@link #peerEndpoints}), and its content hash
   * covers them, so a node whose peer moved gets a new version and the others do not. {@code
   * mayDiffer} must then name every node whose filter or whose peers' endpoints may differ from
   * what is served.
   *
   * @param endpoints node name to its endpoints (nodes without any may be absent)
   */
  public synchronized List<String> publish(
      SortedMap<String, CompiledFilter> filters,
      Map<String, List<InetSocketAddress>> endpoints,
      java.util.Set<String> mayDiffer,
      String revision,
      long nowMillis)
      throws IOException {
    String[] nodes = filters.keySet().toArray(String[]::new);
    CompiledFilter[] compiled = filters.values().toArray(CompiledFilter[]::new);
    int n = nodes.length;
    long t0 = System.nanoTime();
    byte[][] encoded = new byte[n][];
    @SuppressWarnings("unchecked")
    List<PeerEndpoints>[] peerEndpoints = new List[n];
    String[] hashes = new String[n];
    // 1. Encode and hash (needed to tell which nodes changed; ~10 us per node). A node known to be
    // unchanged takes its served hash (step 2 then keeps its entry; it is never signed).
    IntStream all = IntStream.range(0, n);
    (parallel ? all.parallel() : all)
        .forEach(
            i -> {
              Entry served =
                  mayDiffer == null || mayDiffer.contains(nodes[i]) ? null : current.get(nodes[i]);
              if (served != null) {
                hashes[i] = served.hash;
                return;
              }
              encoded[i] = FilterCodec.encode(compiled[i]);
              peerEndpoints[i] = peerEndpoints(compiled[i], endpoints);
              hashes[i] = NodeBundle.hashOf(encoded[i], peerEndpoints[i]);
            });
    long t1 = System.nanoTime();
    // 2. Decide versions; validate what signing would refuse before anything is persisted/served.
    if (revision.getBytes(StandardCharsets.UTF_8).length > 0xffff) {
      throw new IllegalArgumentException("policy revision is too long for a bundle");
    }
    int[] toSign = new int[n];
    long[] newVersion = new long[n];
    int signCount = 0;
    Map<String, Persisted> nextVersions = new HashMap<>(versions);
    for (int i = 0; i < n; i++) {
      String node = nodes[i];
      if (node.isEmpty() || node.getBytes(StandardCharsets.UTF_8).length > 0xffff) {
        throw new IllegalArgumentException(
            "node name cannot go in a bundle: " + node.length() + " chars");
      }
      Entry old = current.get(node);
      if (old != null && old.hash.equals(hashes[i])) {
        continue; // unchanged: keep the bundle and version already served; nobody is woken
      }
      Persisted known = versions.get(node);
      long version;
      if (old == null && known != null && known.hash.equals(hashes[i])) {
        // Restarted server, same filter: re-sign under the same version (agents already hold it).
        version = known.version;
      } else {
        long floor = Math.max(old == null ? 0 : old.version, known == null ? 0 : known.version);
        version = Math.max(floor, epoch << 32) + 1;
      }
      nextVersions.put(node, new Persisted(version, hashes[i]));
      newVersion[i] = version;
      toSign[signCount++] = i;
    }
    long t2 = System.nanoTime();
    // 3. Sign, publish and wake, node by node, on every core. versions.json is written meanwhile
    // on its own thread; a bundle signed before that write is done waits in `ready` and is
    // published by whichever side sees the other finish (persisted is set before the queue is
    // drained, and a signer re-checks it after queueing, so no bundle is left behind or published
    // twice, and none is published before its version is on disk).
    int[] indices = Arrays.copyOf(toSign, signCount);
    int signCountFinal = signCount;
    Entry[] entries = new Entry[n];
    AtomicBoolean persisted = new AtomicBoolean();
    ConcurrentLinkedQueue<Integer> ready = new ConcurrentLinkedQueue<>();
    long[] persistNanos = new long[1];
    CompletableFuture<Void> persisting = new CompletableFuture<>();
    Runnable writeVersions =
        () -> {
          long start = System.nanoTime();
          try {
            persist(nextVersions);
            Mirror m = mirror;
            if (m != null) {
              Map<String, Persisted> given = new HashMap<>();
              for (int k = 0; k < signCountFinal; k++) {
                given.put(nodes[indices[k]], nextVersions.get(nodes[indices[k]]));
              }
              m.reserve(given);
            }
            persistNanos[0] = System.nanoTime() - start;
            persisted.set(true);
            drainReady(ready, nodes, entries);
            persisting.complete(null);
          } catch (Throwable e) {
            persisting.completeExceptionally(e);
          }
        };
    if (signCount == 0) {
      persisting.complete(null);
    } else if (parallel) {
      Thread.ofPlatform().name("tessera-versions").daemon().start(writeVersions);
    } else {
      writeVersions.run(); // sequential mode: on disk first, then sign in node order
    }
    // Common pool plus this thread: both cores on a 2-core server, all of them on a bigger one.
    IntStream signing = Arrays.stream(indices);
    RuntimeException signingFailure = null;
    try {
      (parallel ? signing.parallel() : signing)
          .forEach(
              i -> {
                entries[i] =
                    new Entry(
                        newVersion[i],
                        hashes[i],
                        revision,
                        BundleCodec.sign(
                            new NodeBundle(
                                nodes[i],
                                newVersion[i],
                                revision,
                                hashes[i],
                                nowMillis,
                                nowMillis + freshnessMillis,
                                encoded[i],
                                peerEndpoints[i]),
                            key),
                        nowMillis + freshnessMillis);
                signatures.incrementAndGet();
                if (persisted.get()) {
                  publishOne(nodes[i], entries[i]);
                } else {
                  ready.add(i);
                  if (persisted.get()) {
                    drainReady(ready, nodes, entries);
                  }
                }
              });
    } catch (RuntimeException e) {
      // Not expected (inputs were validated above); some nodes may be published. The versions
      // below are still recorded, so the next publish continues above anything served.
      signingFailure = e;
    }
    try {
      persisting.join();
    } catch (java.util.concurrent.CompletionException e) {
      // Nothing of this compilation was published: the previous bundles stay in force.
      throw e.getCause() instanceof IOException io
          ? io
          : new IOException("cannot persist versions", e.getCause());
    }
    versions.clear();
    versions.putAll(nextVersions);
    if (signingFailure != null) {
      throw signingFailure;
    }
    // Nodes that left the inventory are no longer served (their versions stay remembered).
    java.util.Set<String> removed = new java.util.TreeSet<>(current.keySet());
    removed.removeAll(filters.keySet());
    current.keySet().retainAll(filters.keySet());
    lastTimings =
        "encode+hash %d ms, decide %d ms, sign+publish+wake %d ms (%d signed; versions.json %d ms alongside)"
            .formatted(
                (t1 - t0) / 1_000_000,
                (t2 - t1) / 1_000_000,
                (System.nanoTime() - t2) / 1_000_000,
                signCount,
                persistNanos[0] / 1_000_000);
    List<String> changed = new ArrayList<>(signCount);
    for (int i : indices) {
      changed.add(nodes[i]);
    }
    Mirror m = mirror;
    if (m != null && (signCount > 0 || !removed.isEmpty())) {
      Map<String, Entry> out = new java.util.LinkedHashMap<>();
      for (int i : indices) {
        out.put(nodes[i], entries[i]);
      }
      m.published(out, removed);
    }
    return List.copyOf(changed); // indices ascend over a sorted key set, so this is sorted
  }

  /**
   * What a bundle for {@code filter} carries of {@code endpoints}: one entry per filter peer with a
   * usable key and at least one endpoint (the first {@link PeerEndpoints#MAX_ENDPOINTS}, repeats
   * dropped), sorted by peer name. A node learns the endpoints of its filter's peers and of nobody
   * else.
   */
  static List<PeerEndpoints> peerEndpoints(
      CompiledFilter filter, Map<String, List<InetSocketAddress>> endpoints) {
    if (endpoints.isEmpty() || filter.peers().isEmpty()) {
      return List.of();
    }
    TreeMap<String, PeerEndpoints> out = new TreeMap<>();
    for (dev.tessera.enforcer.format.Peer p : filter.peers()) {
      List<InetSocketAddress> eps = endpoints.get(p.name());
      if (eps == null
          || eps.isEmpty()
          || out.containsKey(p.name())
          || !dev.tessera.bundle.BundleVerifier.usableKey(p.publicKey())) {
        continue;
      }
      List<InetSocketAddress> distinct =
          eps.stream().distinct().limit(PeerEndpoints.MAX_ENDPOINTS).toList();
      out.put(p.name(), new PeerEndpoints(p.name(), distinct));
    }
    return List.copyOf(out.values());
  }

  /**
   * Calls {@code onChange} once with the node's entry as soon as its version is above {@code
   * knownVersion} (at once if it already is). Returns a handle that cancels the wait. {@code
   * onChange} may run on a signing thread: it must hand off, not block. Only a higher version
   * answers: a server that shares bundles with others may not have the version an agent got from
   * another one yet, and the agent would refuse anything lower as a rollback.
   */
  public Runnable await(String node, long knownVersion, Consumer<Entry> onChange) {
    var fired = new AtomicBoolean();
    Waiter once =
        new Waiter(
            knownVersion,
            e -> {
              if (fired.compareAndSet(false, true)) {
                onChange.accept(e);
              }
            });
    List<Waiter> list = waiters.computeIfAbsent(node, k -> new CopyOnWriteArrayList<>());
    list.add(once);
    // Register first, then look; publish puts first, then wakes: one of the two sees the other.
    Entry now = current.get(node);
    if (now != null && now.version > knownVersion) {
      list.remove(once);
      once.fire().accept(now);
    }
    return () -> list.remove(once);
  }

  /** Number of waiters registered for {@code node} (tests). */
  int waiting(String node) {
    List<Waiter> list = waiters.get(node);
    return list == null ? 0 : list.size();
  }

  private void publishOne(String node, Entry e) {
    current.put(node, e);
    wake(node, e);
  }

  private void drainReady(ConcurrentLinkedQueue<Integer> ready, String[] nodes, Entry[] entries) {
    for (Integer i = ready.poll(); i != null; i = ready.poll()) {
      publishOne(nodes[i], entries[i]);
    }
  }

  private void wake(String node, Entry e) {
    List<Waiter> list = waiters.get(node);
    if (list == null || list.isEmpty()) {
      return;
    }
    for (Waiter w : list) {
      if (e.version > w.known() && list.remove(w)) {
        w.fire().accept(e);
      }
    }
  }

  /** Shares every later publish through {@code m} (null: none). */
  void mirror(Mirror m) {
    this.mirror = m;
  }

  /**
   * Serves entries another server published ({@link SharedBundles}): each replaces the node's entry
   * only if its version is higher, and wakes the node's waiters; the nodes in {@code removed} stop
   * being served. The versions become this store's floor, so that if it publishes later (taking
   * over compiling) it continues above them.
   */
  synchronized void install(Map<String, Entry> entries, java.util.Set<String> removed)
      throws IOException {
    boolean raised = false;
    for (Map.Entry<String, Entry> x : entries.entrySet()) {
      Entry e = x.getValue();
      Persisted known = versions.get(x.getKey());
      if (known == null || known.version < e.version) {
        versions.put(x.getKey(), new Persisted(e.version, e.hash));
        raised = true;
      }
      Entry old = current.get(x.getKey());
      if (old == null || old.version < e.version) {
        publishOne(x.getKey(), e);
      }
    }
    current.keySet().removeAll(removed);
    if (raised) {
      persist(versions);
    }
  }

  /**
   * Raises this store's record of versions given out to at least {@code given} (versions another
   * server reserved), so that its next publish continues above them.
   */
  synchronized void adoptVersions(Map<String, Persisted> given) throws IOException {
    boolean raised = false;
    for (Map.Entry<String, Persisted> x : given.entrySet()) {
      Persisted known = versions.get(x.getKey());
      if (known == null || known.version < x.getValue().version) {
        versions.put(x.getKey(), x.getValue());
        raised = true;
      }
    }
    if (raised) {
      persist(versions);
    }
  }

  private void persist(Map<String, Persisted> state) throws IOException {
    Map<String, Object> file = new java.util.LinkedHashMap<>();
    file.put("epoch", epoch);
    file.put("nodes", new TreeMap<>(state));
    PrivateFiles.replace(stateFile, JSON.writeValueAsBytes(file));
  }
}
