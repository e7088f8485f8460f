package dev.tessera.server;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What {@code policyc status} shows: the revision in force, the last error, and each node's state.
 */
public final class ServerStatus {
  /** One node's view: what it was last served, what it acknowledged, when it last checked in. */
  public record NodeState(
      long servedVersion, long ackedVersion, String ackedHash, long lastCheckInMillis) {}

  private volatile String revision = "(none)";
  private volatile long compiledAtMillis;
  private volatile int nodes;
  private volatile long lastCompileMillis;
  private volatile String lastError;
  private volatile String lastErrorRevision;
  private volatile long lastErrorAtMillis;
  private final Map<String, NodeState> states = new ConcurrentHashMap<>();
  private final Map<String, java.util.concurrent.atomic.AtomicLong> unauthorized =
      new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong rateLimited =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong connectionsRefused =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong connectionsRefusedPerSource =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong idleClosed =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong pollFailures =
      new java.util.concurrent.atomic.AtomicLong();
  private volatile String lastPollFailure;
  private volatile String degraded;
  private volatile String clusterRole;
  private volatile String clusterProblem;
  private volatile String policyState;
  private volatile String policySha256;
  private volatile String policyFileSha256;
  private volatile AuditLog audit;
  private volatile java.util.function.IntSupplier openConnections = () -> 0;

  void attach(AuditLog audit, java.util.function.IntSupplier openConnections) {
    this.audit = audit;
    this.openConnections = openConnections;
  }

  void unauthorized(dev.tessera.bundle.BundleException.Reason reason) {
    unauthorized
        .computeIfAbsent(reason.name(), k -> new java.util.concurrent.atomic.AtomicLong())
        .incrementAndGet();
  }

  /** Answered requests by path label and status, "path status" (bounded: see RequestCounter). */
  private final Map<String, java.util.concurrent.atomic.LongAdder> requests =
      new ConcurrentHashMap<>();

  /** One answered request ({@code path} already folded to a known label). */
  void request(String path, int statusCode) {
    requests
        .computeIfAbsent(path + " " + statusCode, k -> new java.util.concurrent.atomic.LongAdder())
        .increment();
  }

  void rateLimited() {
    rateLimited.incrementAndGet();
  }

  void connectionRefused() {
    connectionsRefused.incrementAndGet();
  }

  /** A connection closed at once: its source already had its cap of connections open. */
  void connectionRefusedPerSource() {
    connectionsRefusedPerSource.incrementAndGet();
  }

  void idleClosed() {
    idleClosed.incrementAndGet();
  }

  /** The source-polling thread caught something it did not expect; it keeps going. */
  void pollFailed(Throwable t) {
    pollFailures.incrementAndGet();
    lastPollFailure = t.toString();
  }

  public long pollFailures() {
    return pollFailures.get();
  }

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
    states.merge(
        node,
        new NodeState(0, 0, null, now),
        (a, b) -> new NodeState(a.servedVersion, a.ackedVersion, a.ackedHash, now));
  }

  void served(String node, long version, long now) {
    states.merge(
        node,
        new NodeState(version, 0, null, now),
        (a, b) -> new NodeState(version, a.ackedVersion, a.ackedHash, now));
  }

  void acked(String node, long version, String hash, long now) {
    states.merge(
        node,
        new NodeState(0, version, hash, now),
        (a, b) -> new NodeState(a.servedVersion, Math.max(a.ackedVersion, version), hash, now));
  }

  /**
   * This server's part among several on one database: "compiling", "serving stored bundles" or
   * "disconnected" (with why); null for a server on its own.
   */
  void cluster(String role, String problem) {
    this.clusterRole = role;
    this.clusterProblem = problem;
  }

  /** This server's part among several on one database, or null for a server on its own. */
  public String clusterRole() {
    return clusterRole;
  }

  /**
   * Among several servers on one database, which policy this server decides enrollments and route
   * approvals with: {@code state} says whose ("compiled here", "same as the compiling server's",
   * "differs from the compiling server's", "none stored yet"), {@code inForce} is that policy's
   * SHA-256 (null: none), {@code file} the SHA-256 of this server's own policy file.
   */
  void policy(String state, String inForce, String file) {
    this.policySha256 = inForce;
    this.policyFileSha256 = file;
    this.policyState = state;
  }

  /** {@link #policy} with the hashes as they were. */
  void policyState(String state) {
    this.policyState = state;
  }

  /** Which policy this server decides with among several on one database; null on its own. */
  public String policyState() {
    return policyState;
  }

  /** {@code reason}: why the registry cannot be used; null: it can (again). */
  void degraded(String reason) {
    this.degraded = reason;
  }

  /** Why the server is degraded (its registry cannot be used), or null when it is not. */
  public String degradedReason() {
    return degraded;
  }

  /** Whether a compilation has been published since start. */
  public boolean hasCompiled() {
    return compiledAtMillis > 0;
  }

  public String revision() {
    return revision;
  }

  /** A JSON-ready view. */
  public Map<String, Object> toMap(BundleStore store) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    String why = degraded;
    m.put("state", why == null ? "ok" : "degraded");
    if (why != null) {
      m.put("degradedReason", why);
    }
    if (clusterRole != null) {
      m.put("cluster", clusterRole);
      if (clusterProblem != null) {
        m.put("clusterProblem", clusterProblem);
      }
    }
    String policy = policyState;
    if (policy != null) {
      m.put("policy", policy);
      if (policySha256 != null) {
        m.put("policySha256", policySha256);
      }
      if (policyFileSha256 != null) {
        m.put("policyFileSha256", policyFileSha256);
      }
    }
    m.put("revision", revision);
    m.put("compiledAt", compiledAtMillis);
    m.put("nodes", nodes);
    m.put("lastCompileMillis", lastCompileMillis);
    var heap = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    m.put("heapUsedBytes", heap.getUsed());
    m.put("heapCommittedBytes", heap.getCommitted());
    if (lastError != null) {
      m.put(
          "lastError",
          Map.of("revision", lastErrorRevision, "at", lastErrorAtMillis, "message", lastError));
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
    Map<String, Object> limits = new java.util.LinkedHashMap<>();
    limits.put("openConnections", openConnections.getAsInt());
    Map<String, Long> unauth = new TreeMap<>();
    unauthorized.forEach((k, v) -> unauth.put(k, v.get()));
    limits.put("unauthorized", unauth);
    limits.put("rateLimited", rateLimited.get());
    limits.put("connectionsRefused", connectionsRefused.get());
    limits.put("connectionsRefusedPerSource", connectionsRefusedPerSource.get());
    limits.put("idleClosed", idleClosed.get());
    m.put("limits", limits);
    Map<String, Map<String, Long>> byPath = new TreeMap<>();
    requests.forEach(
        (k, v) -> {
          int sp = k.lastIndexOf(' ');
          byPath
              .computeIfAbsent(k.substring(0, sp), p -> new TreeMap<>())
              .put(k.substring(sp + 1), v.sum());
        });
    m.put("requests", byPath);
    m.put("pollFailures", pollFailures.get());
    if (lastPollFailure != null) {
      m.put("lastPollFailure", lastPollFailure);
    }
    AuditLog a = audit;
    if (a != null) {
      m.put("audit", a.status());
    }
    return m;
  }
}
