package dev.tessera.agent.distribution;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.protocol.Peer;
import dev.tessera.agent.protocol.WireGuardDevice;
import dev.tessera.bundle.BundlePeer;
import dev.tessera.bundle.PeerEndpoints;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.net.IpPrefix;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What a policy bundle's peer list means for the node's WireGuard peers.
 *
 * <p>The rule (also in agent/README.md): the signed bundle decides <em>who</em> the node may talk
 * to and <em>which source ranges</em> it accepts from each. It carries every peer's key, addresses,
 * allowed routes and endpoints, so a node needs no {@code [Peer]} section at all: bundle peers are
 * added, updated and removed with each bundle. Peers configured in the file (or with {@code wg
 * set}) stay, and for them the configuration wins where it says something: their endpoint,
 * preshared key and keepalive are the configured ones, and their AllowedIPs are the configured ones
 * narrowed by the bundle (below).
 *
 * <ul>
 *   <li>A bundle peer with no configured peer of the same key is <em>added</em> ({@link
 *       #apply(CompiledFilter, List)}): AllowedIPs = its addresses and approved routes (exit routes
 *       only for the exit node chosen in {@link RoutingOptions}), endpoint = the first of the
 *       bundle's endpoints, persistent keepalive {@value #BUNDLE_KEEPALIVE_SECONDS} s (the observed
 *       endpoint is often a NAT mapping that must be kept open). A later bundle updates its
 *       AllowedIPs, and its endpoint when the bundle's endpoint list for it changed (so WireGuard's
 *       roaming to where the peer really sends from is not undone by an unchanged bundle); a bundle
 *       without it removes it, sessions and all. While no handshake completes, {@link
 *       #rotateEndpoints} tries the peer's next endpoint every {@link #ROTATE_AFTER_NANOS}.
 *   <li>A configured peer whose public key is in the bundle's peer list is admitted, with
 *       AllowedIPs = its configured AllowedIPs ∩ (the bundle's addresses ∪ approved routes for it).
 *       The intersection means neither side alone can widen what a peer may source: the server
 *       cannot route a range the operator did not configure, and the operator cannot accept a
 *       subnet route the policy did not approve. A full-tunnel peer ({@code 0.0.0.0/0}) thus keeps
 *       exactly the ranges the policy approves for it.
 *   <li>A configured peer absent from the bundle (or listed without a usable key) is
 *       <em>excluded</em> (fail closed): {@link Peer#setExcludedByPolicy} — no handshake, no data
 *       either way, counted as {@code wg_drop_peer_not_in_policy}. It stays configured, so a later
 *       bundle that lists it again admits it without a restart.
 *   <li>Before the first bundle the peers are as configured; the filter gate drops every packet
 *       then anyway (see {@code FilterGate#fromBundles}).
 * </ul>
 *
 * Established traffic of peers that stay is untouched: admitting an admitted peer is a no-op and
 * AllowedIPs are only rewritten when they change.
 */
public final class PeerPolicy {
  /**
   * The outcome for one bundle.
   *
   * @param admitted peer -> AllowedIPs it keeps (insertion order of the base list)
   * @param excluded configured peers the bundle does not list
   * @param notConfigured bundle peers (by name) with a key but no configured peer
   * @param unusableKeys bundle peers (by name) whose key is missing or not 32 bytes of base64
   */
  public record Decision(
      Map<WgKey, List<IpPrefix>> admitted,
      Set<WgKey> excluded,
      List<String> notConfigured,
      List<String> unusableKeys) {
    public Decision {
      admitted = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(admitted));
      excluded = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(excluded));
      notConfigured = List.copyOf(notConfigured);
      unusableKeys = List.copyOf(unusableKeys);
    }
  }

  /** Pure: the decision for peers with {@code base} AllowedIPs under {@code filter}'s peer list. */
  public static Decision decide(Map<WgKey, List<IpPrefix>> base, CompiledFilter filter) {
    Map<WgKey, List<IpPrefix>> listed = new HashMap<>();
    Map<WgKey, String> names = new HashMap<>();
    List<String> unusable = new ArrayList<>();
    for (dev.tessera.enforcer.format.Peer p : filter.peers()) {
      WgKey k = keyOrNull(p.publicKey());
      if (k == null) {
        unusable.add(p.name());
        continue;
      }
      List<IpPrefix> ranges = listed.computeIfAbsent(k, x -> new ArrayList<>());
      ranges.addAll(p.addresses());
      ranges.addAll(p.routes());
      names.put(k, p.name());
    }
    Map<WgKey, List<IpPrefix>> admitted = new LinkedHashMap<>();
    Set<WgKey> excluded = new LinkedHashSet<>();
    for (Map.Entry<WgKey, List<IpPrefix>> e : base.entrySet()) {
      List<IpPrefix> approved = listed.get(e.getKey());
      if (approved == null) {
        excluded.add(e.getKey());
      } else {
        admitted.put(e.getKey(), intersect(e.getValue(), approved));
      }
    }
    List<String> notConfigured = new ArrayList<>();
    for (Map.Entry<WgKey, String> e : names.entrySet()) {
      if (!base.containsKey(e.getKey())) {
        notConfigured.add(e.getValue());
      }
    }
    notConfigured.sort(null);
    return new Decision(admitted, excluded, notConfigured, unusable);
  }

  static WgKey keyOrNull(String b64) {
    if (b64 == null) {
      return null;
    }
    try {
      byte[] raw = Base64.getDecoder().decode(b64.strip());
      return raw.length == 32 ? WgKey.of(raw) : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * The addresses in both prefix sets, as prefixes. Two prefixes are either disjoint or one
   * contains the other, so the intersection of two unions is the union, over every pair, of the
   * more specific prefix of a nested pair.
   */
  public static List<IpPrefix> intersect(List<IpPrefix> a, List<IpPrefix> b) {
    Set<IpPrefix> out = new LinkedHashSet<>();
    for (IpPrefix x : a) {
      for (IpPrefix y : b) {
        if (x.contains(y)) {
          out.add(y);
        } else if (y.contains(x)) {
          out.add(x);
        }
      }
    }
    return List.copyOf(out);
  }

  // ---------------------------------------------------------------- applying it to a device

  /** Keepalive of a peer added from the bundle: keeps a NAT mapping on the path open. */
  public static final int BUNDLE_KEEPALIVE_SECONDS = 25;

  /** A bundle peer without a handshake for this long moves on to its next endpoint. */
  static final long ROTATE_AFTER_NANOS = 12_000_000_000L;

  /** A peer this policy added from the bundle, and what the bundle said about it last. */
  private static final class Managed {
    final String name;
    List<java.net.InetSocketAddress> endpoints;
    int next; // index of the endpoint to try after the current one
    long endpointSetAtNanos;

    Managed(String name) {
      this.name = name;
    }
  }

  private final WireGuardDevice device;
  private final Consumer<String> log;

  /** Configured AllowedIPs per peer: what the intersection starts from on every bundle. */
  private final Map<WgKey, List<IpPrefix>> base = new LinkedHashMap<>();

  /** Peers added from the bundle (never in {@link #base}). */
  private final Map<WgKey, Managed> managed = new LinkedHashMap<>();

  private CompiledFilter last;
  private List<BundlePeer> lastPeers = List.of();

  /** Told the addresses of the bundle peers after each change ({@link PeerRoutes}). */
  private Consumer<Set<IpPrefix>> peerAddresses = x -> {};

  /** Which of the peers' routes this node uses ({@code --accept-routes}, {@code --exit-node}). */
  private RoutingOptions routing = RoutingOptions.NONE;

  /** Whether a subnet route covers an address of this machine (it is not routed then). */
  private java.util.function.Predicate<IpPrefix> onThisMachine = p -> false;

  /** The exit node's state for status: "", "active", "no-exit-route" or "not-a-peer". */
  private String exitState = "";

  private String exitPeer = "";

  /** Accepted subnet routes in force, and those not routed because they cover this machine. */
  private Set<IpPrefix> acceptedRoutes = Set.of();

  private Set<IpPrefix> localRoutes = Set.of();

  private volatile Decision decision;

  /**
   * @param configured the config file's peers and their AllowedIPs
   */
  public PeerPolicy(
      WireGuardDevice device, Map<WgKey, List<IpPrefix>> configured, Consumer<String> log) {
    this.device = device;
    this.log = log;
    base.putAll(configured);
  }

  /**
   * Which of the bundle peers' routes this node uses from the next bundle on (call it before the
   * first): with {@code acceptRoutes} their approved subnet routes are routed into the tunnel,
   * except one that covers an address of this machine ({@code onThisMachine}: its own network is
   * reached directly, and replacing that route would cut the machine off it); the exit routes go
   * into the AllowedIPs of the chosen exit node only. A chosen exit node that is no peer, or offers
   * no exit route, is refused: it gets no default route, and default traffic (routed into the
   * tunnel by the agent) is dropped rather than sent anywhere else.
   */
  public synchronized void useRouting(
      RoutingOptions routing, java.util.function.Predicate<IpPrefix> onThisMachine) {
    this.routing = routing;
    this.onThisMachine = onThisMachine;
    if (last != null) {
      reapply(false);
    }
  }

  /** Applies a filter's peer list, without endpoints, to the device (see the class comment). */
  public synchronized void apply(CompiledFilter filter) {
    List<BundlePeer> peers = new ArrayList<>();
    for (dev.tessera.enforcer.format.Peer p : filter.peers()) {
      if (keyOrNull(p.publicKey()) != null) {
        peers.add(new BundlePeer(p.name(), p.publicKey(), p.addresses(), p.routes(), List.of()));
      }
    }
    apply(filter, peers);
  }

  /**
   * Applies a verified bundle: its filter's node addresses, and its peers ({@link
   * dev.tessera.bundle.BundleVerifier.Verified#peers()}) to the device (see the class comment).
   */
  public synchronized void apply(CompiledFilter filter, List<BundlePeer> peers) {
    last = filter;
    lastPeers = List.copyOf(peers);
    device.setNodeAddresses(nodeAddresses(filter));
    reapply(true);
  }

  /** An owner no peer can have: the key of a node listed without a usable one. */
  private static final WgKey NO_KEY = WgKey.of(new byte[32]);

  /**
   * Every node address of the bundle (each peer's {@code addresses}, not its approved routes) with
   * the key of its node: the device accepts such a source only from that key (see {@link
   * WireGuardDevice#setNodeAddresses}), so routes only ever cover addresses that are not nodes.
   */
  public static Map<IpPrefix, WgKey> nodeAddresses(CompiledFilter filter) {
    Map<IpPrefix, WgKey> out = new LinkedHashMap<>();
    for (dev.tessera.enforcer.format.Peer p : filter.peers()) {
      WgKey k = keyOrNull(p.publicKey());
      for (IpPrefix r : p.addresses()) {
        out.put(r, k == null ? NO_KEY : k);
      }
    }
    return out;
  }

  /**
   * Re-applies the bundle in force after the device's peers changed through UAPI: a peer added with
   * {@code wg set} joins the base with the AllowedIPs it has now, and is excluded at once unless
   * the bundle lists it. No-op before the first bundle.
   */
  public synchronized void reapply() {
    reapply(false);
  }

  private void reapply(boolean newBundle) {
    if (last == null) {
      return;
    }
    Set<WgKey> present = new LinkedHashSet<>();
    for (Peer p : device.peers()) {
      present.add(p.publicKey());
      if (!managed.containsKey(p.publicKey())) {
        base.computeIfAbsent(p.publicKey(), k -> p.allowedIps());
      }
    }
    base.keySet().retainAll(present); // removed through UAPI: forget
    managed.keySet().retainAll(present); // (a bundle that still lists it adds it again)
    Decision d = decide(base, last);
    List<String> changes = new ArrayList<>();
    applyBundlePeers(newBundle, changes);
    checkExitNode();
    peerAddresses.accept(bundleAddresses());
    for (Map.Entry<WgKey, List<IpPrefix>> e : d.admitted().entrySet()) {
      device
          .peer(e.getKey())
          .ifPresent(
              p -> {
                if (p.excludedByPolicy()) {
                  p.setExcludedByPolicy(false);
                  changes.add("admitted " + shortKey(e.getKey()));
                }
                if (!new LinkedHashSet<>(p.allowedIps())
                    .equals(new LinkedHashSet<>(e.getValue()))) {
                  p.replaceAllowedIps(e.getValue());
                  changes.add("AllowedIPs of " + shortKey(e.getKey()) + " = " + e.getValue());
                }
              });
    }
    for (WgKey k : d.excluded()) {
      device
          .peer(k)
          .ifPresent(
              p -> {
                if (!p.excludedByPolicy()) {
                  p.setExcludedByPolicy(true);
                  changes.add("EXCLUDED " + shortKey(k) + " (not in the policy bundle)");
                }
              });
    }
    if (!changes.isEmpty()) {
      log.accept("policy peers: " + String.join("; ", changes));
    }
    if (newBundle && !d.unusableKeys().isEmpty()) {
      log.accept(
          "policy peers without a usable public key (cannot be matched): " + d.unusableKeys());
    }
    decision = d;
  }

  /**
   * Adds, updates and removes the peers that come from the bundle alone: every bundle peer whose
   * key is neither configured nor this interface's own.
   */
  private void applyBundlePeers(boolean newBundle, List<String> changes) {
    WgKey own = device.publicKey().orElse(null);
    Map<WgKey, BundlePeer> wanted = new LinkedHashMap<>();
    for (BundlePeer bp : lastPeers) {
      WgKey k = keyOrNull(bp.publicKey());
      if (k != null && !k.equals(own) && !base.containsKey(k)) {
        wanted.putIfAbsent(k, bp); // two entries with one key: the first (by name) wins
      }
    }
    for (WgKey k : List.copyOf(managed.keySet())) {
      if (!wanted.containsKey(k)) {
        Managed m = managed.remove(k);
        device.removePeer(k);
        changes.add("removed " + m.name + " " + shortKey(k) + " (not in the policy bundle)");
      }
    }
    long now = System.nanoTime();
    for (Map.Entry<WgKey, BundlePeer> e : wanted.entrySet()) {
      WgKey k = e.getKey();
      BundlePeer bp = e.getValue();
      List<IpPrefix> allowed = new ArrayList<>();
      boolean exit = routing.isExitNode(bp);
      for (IpPrefix a : bp.allowedIps()) {
        if (!RoutingOptions.isDefault(a) || exit) {
          allowed.add(a); // exit routes only for the chosen exit node
        }
      }
      Managed m = managed.get(k);
      Peer p = device.peer(k).orElse(null);
      if (m == null || p == null) {
        m = new Managed(bp.name());
        p =
            device.upsertPeer(
                new dev.tessera.agent.protocol.PeerConfig(
                    k, null, allowed, null, BUNDLE_KEEPALIVE_SECONDS));
        managed.put(k, m);
        changes.add("added " + bp.name() + " " + shortKey(k) + " AllowedIPs " + allowed);
      } else if (!new LinkedHashSet<>(p.allowedIps()).equals(new LinkedHashSet<>(allowed))) {
        p.replaceAllowedIps(allowed);
        changes.add("AllowedIPs of " + bp.name() + " = " + allowed);
      }
      if (p.excludedByPolicy()) {
        p.setExcludedByPolicy(false);
      }
      if (!bp.endpoints().equals(m.endpoints) || (p.endpoint() == null && !m.endpoints.isEmpty())) {
        m.endpoints = bp.endpoints();
        if (!m.endpoints.isEmpty()) {
          p.setEndpoint(m.endpoints.get(0));
          m.next = 1 % m.endpoints.size();
          m.endpointSetAtNanos = now;
          changes.add(
              "endpoint of "
                  + bp.name()
                  + " = "
                  + PeerEndpoints.format(m.endpoints.get(0))
                  + (m.endpoints.size() > 1 ? " (of " + m.endpoints.size() + ")" : ""));
        }
      }
    }
  }

  /**
   * Moves each bundle peer that has more than one endpoint and no handshake for {@link
   * #ROTATE_AFTER_NANOS} (since its endpoint was set, or ever) on to its next endpoint: the
   * addresses a peer reports are not all reachable from everywhere, and the handshake is how this
   * node finds one that is. A peer whose handshakes succeed keeps its endpoint (and WireGuard's
   * roaming). Returns how many peers moved. Called by the agent's timer thread every second or so.
   */
  public synchronized int rotateEndpoints(long nowNanos) {
    int moved = 0;
    long wallNanos = System.currentTimeMillis() * 1_000_000L;
    for (Map.Entry<WgKey, Managed> e : managed.entrySet()) {
      Managed m = e.getValue();
      if (m.endpoints == null
          || m.endpoints.size() < 2
          || nowNanos - m.endpointSetAtNanos < ROTATE_AFTER_NANOS) {
        continue;
      }
      Peer p = device.peer(e.getKey()).orElse(null);
      if (p == null) {
        continue;
      }
      long handshake = p.status().lastHandshakeEpochNanos();
      if (handshake != 0 && wallNanos - handshake < ROTATE_AFTER_NANOS) {
        continue;
      }
      java.net.InetSocketAddress to = m.endpoints.get(m.next);
      p.setEndpoint(to);
      m.next = (m.next + 1) % m.endpoints.size();
      m.endpointSetAtNanos = nowNanos;
      moved++;
      log.accept(
          "policy peers: no handshake with "
              + m.name
              + "; trying its endpoint "
              + PeerEndpoints.format(to));
    }
    return moved;
  }

  /**
   * From now on, after each bundle, {@code sink} gets the addresses (not routes) of the peers added
   * from the bundle: what must be routed into the tunnel ({@link PeerRoutes}).
   */
  public synchronized void routeAddressesTo(Consumer<Set<IpPrefix>> sink) {
    this.peerAddresses = sink;
    sink.accept(bundleAddresses());
  }

  /**
   * What is routed into the tunnel: the addresses of the peers added from the bundle and, with
   * {@code --accept-routes}, their approved subnet routes (never a default route: the agent routes
   * those for the exit node with policy rules).
   */
  private Set<IpPrefix> bundleAddresses() {
    Set<IpPrefix> out = new LinkedHashSet<>();
    Set<IpPrefix> accepted = new LinkedHashSet<>();
    Set<IpPrefix> local = new LinkedHashSet<>();
    for (BundlePeer bp : lastPeers) {
      WgKey k = keyOrNull(bp.publicKey());
      if (k != null && managed.containsKey(k)) {
        out.addAll(bp.addresses());
        if (routing.acceptRoutes()) {
          for (IpPrefix p : bp.routes()) {
            if (RoutingOptions.isDefault(p)) {
              continue;
            }
            (onThisMachine.test(p) ? local : accepted).add(p);
          }
        }
      }
    }
    if (!local.isEmpty() && !local.equals(localRoutes)) {
      log.accept(
          "not routing "
              + local
              + " into the tunnel: each covers an address of this machine, whose own network"
              + " is reached directly");
    }
    localRoutes = java.util.Collections.unmodifiableSet(local);
    acceptedRoutes = java.util.Collections.unmodifiableSet(accepted);
    out.addAll(accepted);
    return out;
  }

  /** Works out and logs the chosen exit node's state after a bundle (see {@link #useRouting}). */
  private void checkExitNode() {
    if (routing.exitNode().isEmpty()) {
      exitState = "";
      return;
    }
    String want = routing.exitNode().get();
    BundlePeer chosen = null;
    for (BundlePeer bp : lastPeers) {
      WgKey k = keyOrNull(bp.publicKey());
      if (k != null && managed.containsKey(k) && routing.isExitNode(bp)) {
        chosen = bp;
        break;
      }
    }
    String state;
    String peer = chosen == null ? want : chosen.name();
    if (chosen == null) {
      state = "not-a-peer";
    } else if (chosen.routes().stream().anyMatch(r -> r.bits() == 0)) {
      state = "active";
    } else {
      state = "no-exit-route";
    }
    if (!state.equals(exitState) || !peer.equals(exitPeer)) {
      log.accept(
          switch (state) {
            case "active" ->
                "exit node "
                    + peer
                    + ": default traffic goes through it ("
                    + chosen.routes().stream()
                        .filter(r -> r.bits() == 0)
                        .map(Object::toString)
                        .toList()
                    + ")";
            case "no-exit-route" ->
                "refusing exit node "
                    + peer
                    + ": it offers this node no exit route (it does not advertise one, it is not"
                    + " approved, or the policy does not give this node autogroup:internet);"
                    + " default traffic is dropped, not sent outside the tunnel";
            default ->
                "refusing exit node "
                    + want
                    + ": no peer of this node has that name or address; default traffic is"
                    + " dropped, not sent outside the tunnel";
          });
    }
    exitState = state;
    exitPeer = peer;
  }

  /** The public keys of the peers added from the bundle (tests, status). */
  public synchronized Set<WgKey> bundlePeers() {
    return Set.copyOf(managed.keySet());
  }

  private static String shortKey(WgKey k) {
    return k.toBase64().substring(0, 8) + "...";
  }

  /** key=value lines for {@code tessera=1}. */
  public synchronized void appendStatus(StringBuilder sb) {
    Decision d = decision;
    sb.append("policy_peers_admitted=")
        .append(d == null ? base.size() : d.admitted().size())
        .append('\n');
    sb.append("policy_peers_excluded=").append(d == null ? 0 : d.excluded().size()).append('\n');
    sb.append("policy_peers_from_bundle=").append(managed.size()).append('\n');
    if (routing.acceptRoutes()) {
      sb.append("accept_routes=on\n");
      sb.append("accepted_routes=").append(joined(acceptedRoutes)).append('\n');
      if (!localRoutes.isEmpty()) {
        sb.append("local_routes=").append(joined(localRoutes)).append('\n');
      }
    }
    if (routing.exitNode().isPresent()) {
      sb.append("exit_node=").append(exitPeer.isEmpty() ? routing.exitNode().get() : exitPeer);
      sb.append('\n');
      sb.append("exit_node_state=")
          .append(exitState.isEmpty() ? "no-bundle" : exitState)
          .append('\n');
    }
    routing
        .advertisedRoutes()
        .ifPresent(routes -> sb.append("advertised_routes=").append(joined(routes)).append('\n'));
  }

  /** Prefixes as one status value: comma-separated, empty for none. */
  private static String joined(java.util.Collection<?> prefixes) {
    return String.join(",", prefixes.stream().map(Object::toString).toList());
  }
}
