package dev.tessera.server;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.bundle.BundleCodec;
import dev.tessera.bundle.NodeBundle;
import dev.tessera.bundle.SigningKey;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The signed bundles currently served, one per node, and the long-poll waiters.
 *
 * <p>Versions only grow. A node's version goes up by one when its filter's content hash changes
 * and stays put otherwise, so agents are not woken for recompilations that changed nothing for
 * them. Versions and hashes are persisted ({@code versions.json} in the state directory, replaced
 * atomically) so a restarted server continues above what agents already hold instead of
 * offering them something they would rightly refuse as a rollback.
 */
public final class BundleStore {
  /** What is served to one node right now. */
  public record Entry(long version, String hash, String revision, byte[] signed) {}

  private record Persisted(long version, String hash) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private final SigningKey key;
  private final Path stateFile;
  private volatile Map<String, Entry> current = Map.of();
  private final Map<String, Persisted> versions;
  private final Map<String, List<Consumer<Entry>>> waiters = new ConcurrentHashMap<>();

  public BundleStore(SigningKey key, Path stateDir) throws IOException {
    this.key = key;
    Files.createDirectories(stateDir);
    this.stateFile = stateDir.resolve("versions.json");
    this.versions = Files.exists(stateFile)
        ? new HashMap<>(JSON.readValue(stateFile.toFile(), new TypeReference<Map<String, Persisted>>() {}))
        : new HashMap<>();
  }

  /** The entry served to {@code node}, or null when the node has none (unknown or not compiled yet). */
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

  /**
   * Publishes a compilation's filters: signs a new bundle for each node whose content changed,
   * persists the versions, then wakes that node's waiters. Returns the nodes whose bundle changed.
   */
  public synchronized List<String> publish(SortedMap<String, CompiledFilter> filters, String revision, long nowMillis)
      throws IOException {
    Map<String, Entry> next = new HashMap<>(filters.size() * 2);
    List<String> changed = new ArrayList<>();
    // Signing dominates publish time at 10k nodes (~50 us each); spread it over the cores.
    Map<String, Entry> signed = new ConcurrentHashMap<>();
    filters.entrySet().parallelStream().forEach(e -> {
      String node = e.getKey();
      byte[] bytes = FilterCodec.encode(e.getValue());
      String hash = NodeBundle.hashOf(bytes);
      Entry old = current.get(node);
      Persisted known = versions.get(node);
      if (old != null && old.hash.equals(hash)) {
        signed.put(node, old);
        return;
      }
      if (old == null && known != null && known.hash.equals(hash)) {
        // Restarted server, same filter: re-sign under the same version (agents already hold it).
        signed.put(node, new Entry(known.version, hash, revision,
            BundleCodec.sign(new NodeBundle(node, known.version, revision, hash, nowMillis, bytes), key)));
        return;
      }
      long version = Math.max(old == null ? 0 : old.version, known == null ? 0 : known.version) + 1;
      signed.put(node, new Entry(version, hash, revision,
          BundleCodec.sign(new NodeBundle(node, version, revision, hash, nowMillis, bytes), key)));
    });
    for (Map.Entry<String, Entry> e : new TreeMap<>(signed).entrySet()) {
      next.put(e.getKey(), e.getValue());
      Entry old = current.get(e.getKey());
      if (old == null || old.version != e.getValue().version) {
        changed.add(e.getKey());
      }
      versions.put(e.getKey(), new Persisted(e.getValue().version, e.getValue().hash));
    }
    persist();
    current = Map.copyOf(next);
    for (String node : changed) {
      wake(node);
    }
    return changed;
  }

  /**
   * Calls {@code onChange} once with the node's entry as soon as its version differs from
   * {@code knownVersion} (at once if it already does). Returns a handle that cancels the wait.
   */
  public Runnable await(String node, long knownVersion, Consumer<Entry> onChange) {
    var fired = new java.util.concurrent.atomic.AtomicBoolean();
    Consumer<Entry> once = e -> {
      if (fired.compareAndSet(false, true)) {
        onChange.accept(e);
      }
    };
    List<Consumer<Entry>> list = waiters.computeIfAbsent(node, n -> new CopyOnWriteArrayList<>());
    list.add(once);
    // Register first, then look: a publish between the two cannot be missed.
    Entry now = current.get(node);
    if (now != null && now.version != knownVersion) {
      list.remove(once);
      once.accept(now);
    }
    return () -> list.remove(once);
  }

  private void wake(String node) {
    List<Consumer<Entry>> list = waiters.get(node);
    if (list == null || list.isEmpty()) {
      return;
    }
    Entry e = current.get(node);
    for (Consumer<Entry> w : list) {
      list.remove(w);
      w.accept(e);
    }
  }

  private void persist() throws IOException {
    Path tmp = stateFile.resolveSibling(stateFile.getFileName() + ".tmp");
    JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), new TreeMap<>(versions));
    Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
