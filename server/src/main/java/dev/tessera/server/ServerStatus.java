package dev.tessera.server;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/** What {@code policyc status} shows: the revision in force, the last error, and each node's state. */
public final class ServerStatus {
  /** One node's view: what it was last served, what it acknowledged, when it last checked in. */
  public record NodeState(long servedVersion, long ackedVersion, String ackedHash, long lastCheckInMillis) {}

  private volatile String revision = "(none)";
  private volatile long compiledAtMillis;
  private volatile int nodes;
  private volatile long lastCompileMillis;
  private volatile String lastError;
  private volatile String lastErrorRevision;
  private volatile long lastErrorAtMillis;
  private final Map<String, NodeState> states = new ConcurrentHashMap<>();

  void compiled(String revision, int nodes, int changed, long millis) {
    this.revision = revision;
    this.nodes = nodes;
    this.lastCompileMillis = millis;
    this.compiledAtMillis = System.currentTimeMillis();
    this.lastError = null;
  }

  void failed(String revision, String error) {
    this.lastError = error;
    this.lastErrorRevision = revision;
    this.lastErrorAtMillis = System.currentTimeMillis();
  }

  void checkIn(String node, long now) {
    states.merge(node, new NodeState(0, 0, null, now), (a, b) -> new NodeState(a.servedVersion, a.ackedVersion, a.ackedHash, now));
  }

  void served(String node, long version, long now) {
    states.merge(node, new NodeState(version, 0, null, now), (a, b) -> new NodeState(version, a.ackedVersion, a.ackedHash, now));
  }

  void acked(String node, long version, String hash, long now) {
    states.merge(node, new NodeState(0, version, hash, now), (a, b) -> new NodeState(a.servedVersion, Math.max(a.ackedVersion, version), hash, now));
  }

  public String revision() {
    return revision;
  }

  /** A JSON-ready view. */
  public Map<String, Object> toMap(BundleStore store) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("revision", revision);
    m.put("compiledAt", compiledAtMillis);
    m.put("nodes", nodes);
    m.put("lastCompileMillis", lastCompileMillis);
    var heap = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    m.put("heapUsedBytes", heap.getUsed());
    m.put("heapCommittedBytes", heap.getCommitted());
    if (lastError != null) {
      m.put("lastError", Map.of("revision", lastErrorRevision, "at", lastErrorAtMillis, "message", lastError));
    }
    Map<String, Object> perNode = new TreeMap<>();
    java.util.SortedSet<String> all = store.nodes();
    all.addAll(states.keySet());
    for (String node : all) {
      NodeState s = states.getOrDefault(node, new NodeState(0, 0, null, 0));
      BundleStore.Entry e = store.get(node);
      Map<String, Object> n = new java.util.LinkedHashMap<>();
      n.put("currentVersion", e == null ? 0 : e.version());
      n.put("servedVersion", s.servedVersion);
      n.put("ackedVersion", s.ackedVersion);
      n.put("lastCheckIn", s.lastCheckInMillis);
      perNode.put(node, n);
    }
    m.put("nodeStates", perNode);
    return m;
  }
}
