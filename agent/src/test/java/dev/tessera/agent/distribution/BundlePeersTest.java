package dev.tessera.agent.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.protocol.DeviceOptions;
import dev.tessera.agent.protocol.PeerConfig;
import dev.tessera.agent.protocol.WireGuardDevice;
import dev.tessera.bundle.BundleCodec;
import dev.tessera.bundle.BundleVerifier;
import dev.tessera.bundle.NodeBundle;
import dev.tessera.bundle.PeerEndpoints;
import dev.tessera.bundle.SigningKey;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.enforcer.format.Peer;
import dev.tessera.net.IpPrefix;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Peers from the signed bundle on a real device: bundle N then N+1 add, update and remove peers (a
 * node with no [Peer] sections at all), configured peers win where they say something, and a peer
 * with several endpoints is tried at the next one while no handshake completes.
 */
class BundlePeersTest {
  static final SecureRandom RNG = new SecureRandom();
  static final SigningKey SERVER = SigningKey.fromSeed(new byte[32]);
  static final WgKey SELF = WgKey.generatePrivate(RNG);
  static final WgKey A = WgKey.generatePrivate(RNG).publicKey();
  static final WgKey B = WgKey.generatePrivate(RNG).publicKey();
  static final WgKey C = WgKey.generatePrivate(RNG).publicKey();
  static final WgKey D = WgKey.generatePrivate(RNG).publicKey();

  final WireGuardDevice device = new WireGuardDevice(DeviceOptions.defaults());
  final List<String> log = new ArrayList<>();

  BundlePeersTest() {
    device.setPrivateKey(SELF);
  }

  @AfterEach
  void close() {
    device.close();
  }

  static List<dev.tessera.net.IpPrefix> nets(String list) {
    return list.isBlank()
        ? List.of()
        : Stream.of(list.split(" ")).map(dev.tessera.net.IpPrefix::parse).toList();
  }

  static InetSocketAddress ep(String text) {
    return PeerEndpoints.parse(text).orElseThrow();
  }

  /** A peer entry: name, key, addresses, routes, endpoints (space-separated). */
  record Entry(String name, WgKey key, String addresses, String routes, String endpoints) {}

  /** Signs bundle {@code version} for node "self" and verifies it as the agent does. */
  static BundleVerifier.Verified bundle(long version, Entry... entries) throws Exception {
    List<Peer> peers = new ArrayList<>();
    TreeMap<String, PeerEndpoints> eps = new TreeMap<>();
    for (Entry e : entries) {
      peers.add(new Peer(e.name, e.key.toBase64(), nets(e.addresses), nets(e.routes)));
      if (!e.endpoints.isBlank()) {
        eps.put(
            e.name,
            new PeerEndpoints(
                e.name, Stream.of(e.endpoints.split(" ")).map(BundlePeersTest::ep).toList()));
      }
    }
    byte[] f =
        FilterCodec.encode(
            CompiledFilter.of("self", nets("100.64.0.1/32"), List.of(), peers, List.of()));
    List<PeerEndpoints> endpoints = List.copyOf(eps.values());
    long now = System.currentTimeMillis();
    byte[] signed =
        BundleCodec.sign(
            new NodeBundle(
                "self",
                version,
                "r" + version,
                NodeBundle.hashOf(f, endpoints),
                now,
                now + 60_000,
                f,
                endpoints),
            SERVER);
    return new BundleVerifier(SERVER.publicKey(), "self").verify(signed, version - 1);
  }

  void apply(PeerPolicy policy, BundleVerifier.Verified v) {
    policy.apply(v.filter(), v.peers());
  }

  /** key -> "AllowedIPs | endpoint | keepalive | excluded" of every device peer. */
  Map<WgKey, String> peers() {
    Map<WgKey, String> out = new LinkedHashMap<>();
    for (var p : device.peers()) {
      out.put(
          p.publicKey(),
          p.allowedIps().stream()
                  .map(x -> dev.tessera.net.IpPrefix.parse(x.toString()).toString())
                  .sorted()
                  .toList()
              + " | "
              + (p.endpoint() == null ? "-" : PeerEndpoints.format(p.endpoint()))
              + " | "
              + p.persistentKeepalive()
              + (p.excludedByPolicy() ? " | excluded" : ""));
    }
    return out;
  }

  /** Routes through the tunnel, as the kernel would hold them. */
  final java.util.Set<String> routed = new java.util.TreeSet<>();

  final PeerRoutes routes =
      new PeerRoutes(
          new PeerRoutes.Routes() {
            @Override
            public void add(IpPrefix p) {
              routed.add(dev.tessera.net.IpPrefix.parse(p.toString()).toString());
            }

            @Override
            public void remove(IpPrefix p) {
              routed.remove(dev.tessera.net.IpPrefix.parse(p.toString()).toString());
            }
          },
          log::add);

  @Test
  void bundleNThenNPlusOneAddsUpdatesAndRemovesPeers() throws Exception {
    PeerPolicy policy = new PeerPolicy(device, Map.of(), log::add); // no [Peer] at all
    policy.routeAddressesTo(routes);
    apply(
        policy,
        bundle(
            1,
            new Entry("a", A, "100.64.0.2/32 fd7a:115c:a1e0::2/128", "", "192.0.2.2:41641"),
            new Entry("b", B, "100.64.0.3/32", "", ""),
            new Entry("c", C, "100.64.0.4/32", "0.0.0.0/0 ::/0", "192.0.2.4:1 [2001:db8::4]:2"),
            new Entry("self", SELF.publicKey(), "100.64.0.1/32", "", "192.0.2.1:9")));
    assertThat(peers())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                A, "[100.64.0.2/32, fd7a:115c:a1e0::2/128] | 192.0.2.2:41641 | 25",
                B, "[100.64.0.3/32] | - | 25",
                C, "[100.64.0.4/32] | 192.0.2.4:1 | 25"));
    assertThat(policy.bundlePeers()).containsExactlyInAnyOrder(A, B, C);
    assertThat(routed)
        .as("peer addresses are routed; an exit node's default routes are not, nor in AllowedIPs")
        .containsExactly(
            "100.64.0.2/32", "100.64.0.3/32", "100.64.0.4/32", "fd7a:115c:a1e0::2/128");

    // WireGuard roams c to where it really sends from; an unchanged entry must not undo that.
    device.peer(C).orElseThrow().setEndpoint(ep("198.51.100.9:7"));
    apply(
        policy,
        bundle(
            2,
            new Entry("a", A, "100.64.0.2/32 fd7a:115c:a1e0::2/128", "10.1.0.0/16", "192.0.2.22:5"),
            new Entry("c", C, "100.64.0.4/32", "0.0.0.0/0 ::/0", "192.0.2.4:1 [2001:db8::4]:2"),
            new Entry("d", D, "100.64.0.5/32", "", "192.0.2.5:41641")));
    assertThat(peers())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                A, "[10.1.0.0/16, 100.64.0.2/32, fd7a:115c:a1e0::2/128] | 192.0.2.22:5 | 25",
                C, "[100.64.0.4/32] | 198.51.100.9:7 | 25",
                D, "[100.64.0.5/32] | 192.0.2.5:41641 | 25"));
    assertThat(log)
        .anyMatch(l -> l.contains("removed b"))
        .anyMatch(l -> l.contains("added d"))
        .anyMatch(l -> l.contains("AllowedIPs of a"));

    assertThat(routed)
        .as("without --accept-routes a's subnet route is accepted from it but not routed")
        .containsExactly(
            "100.64.0.2/32", "100.64.0.4/32", "100.64.0.5/32", "fd7a:115c:a1e0::2/128");

    // An empty bundle removes every bundle peer and its routes.
    apply(policy, bundle(3));
    assertThat(device.peers()).isEmpty();
    assertThat(routed).isEmpty();
    StringBuilder status = new StringBuilder();
    policy.appendStatus(status);
    assertThat(status.toString()).contains("policy_peers_from_bundle=0\n");
  }

  /**
   * A configured peer that the bundle also lists keeps its configured endpoint and keepalive, and
   * its AllowedIPs are the configured ones narrowed by the bundle; a bundle without it excludes it
   * (it is never removed).
   */
  @Test
  void theConfigurationWinsForConfiguredPeers() throws Exception {
    device.upsertPeer(
        new PeerConfig(
            A,
            null,
            List.of(IpPrefix.parse("100.64.0.2/32"), IpPrefix.parse("10.9.0.0/16")),
            ep("203.0.113.2:51820"),
            0));
    Map<WgKey, List<IpPrefix>> configured = new LinkedHashMap<>();
    configured.put(A, device.peer(A).orElseThrow().allowedIps());
    PeerPolicy policy = new PeerPolicy(device, configured, log::add);

    apply(
        policy,
        bundle(
            1,
            new Entry("a", A, "100.64.0.2/32", "10.9.4.0/24", "192.0.2.2:41641"),
            new Entry("b", B, "100.64.0.3/32", "", "192.0.2.3:41641")));
    assertThat(peers())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                A, "[10.9.4.0/24, 100.64.0.2/32] | 203.0.113.2:51820 | 0",
                B, "[100.64.0.3/32] | 192.0.2.3:41641 | 25"));
    assertThat(policy.bundlePeers()).containsExactly(B);
    policy.routeAddressesTo(routes);
    assertThat(routed)
        .as("configured peers are routed from the config")
        .containsExactly("100.64.0.3/32");

    // Excluded: no handshake, no data either way (its AllowedIPs stay as they were).
    apply(policy, bundle(2, new Entry("b", B, "100.64.0.3/32", "", "192.0.2.3:41641")));
    assertThat(peers())
        .containsEntry(A, "[10.9.4.0/24, 100.64.0.2/32] | 203.0.113.2:51820 | 0 | excluded");
    apply(policy, bundle(3));
    assertThat(peers()).containsOnlyKeys(A);
  }

  @Test
  void aPeerWithoutHandshakesIsTriedAtItsNextEndpoint() throws Exception {
    PeerPolicy policy = new PeerPolicy(device, Map.of(), log::add);
    apply(
        policy,
        bundle(
            1,
            new Entry("a", A, "100.64.0.2/32", "", "192.0.2.2:1 192.0.2.2:2 [2001:db8::2]:3"),
            new Entry("b", B, "100.64.0.3/32", "", "192.0.2.3:1")));
    long t0 = System.nanoTime();
    assertThat(policy.rotateEndpoints(t0)).as("too early").isZero();
    long later = t0 + PeerPolicy.ROTATE_AFTER_NANOS + 1;
    assertThat(policy.rotateEndpoints(later)).as("only a has another endpoint").isEqualTo(1);
    assertThat(device.peer(A).orElseThrow().endpoint()).isEqualTo(ep("192.0.2.2:2"));
    assertThat(policy.rotateEndpoints(later + 1)).as("each endpoint gets its time").isZero();
    policy.rotateEndpoints(later + PeerPolicy.ROTATE_AFTER_NANOS + 1);
    assertThat(device.peer(A).orElseThrow().endpoint()).isEqualTo(ep("[2001:db8::2]:3"));
    policy.rotateEndpoints(later + 2 * PeerPolicy.ROTATE_AFTER_NANOS + 2);
    assertThat(device.peer(A).orElseThrow().endpoint()).isEqualTo(ep("192.0.2.2:1"));
    assertThat(device.peer(B).orElseThrow().endpoint()).isEqualTo(ep("192.0.2.3:1"));
  }

  String status(PeerPolicy policy) {
    StringBuilder sb = new StringBuilder();
    policy.appendStatus(sb);
    return sb.toString();
  }

  static RoutingOptions exitNode(String name) {
    return new RoutingOptions(false, java.util.Optional.of(name), java.util.Optional.empty());
  }

  @Test
  void onlyTheChosenExitNodeGetsTheDefaultRoutesAndAPeerOfferingNoneIsRefused() throws Exception {
    PeerPolicy policy = new PeerPolicy(device, Map.of(), log::add);
    policy.useRouting(exitNode("d"), p -> false);
    policy.routeAddressesTo(routes);
    Entry c = new Entry("c", C, "100.64.0.4/32", "0.0.0.0/0 ::/0", "192.0.2.4:1");
    apply(policy, bundle(1, c, new Entry("d", D, "100.64.0.5/32", "0.0.0.0/0 ::/0", "")));
    assertThat(peers())
        .containsEntry(C, "[100.64.0.4/32] | 192.0.2.4:1 | 25")
        .containsEntry(D, "[0.0.0.0/0, 100.64.0.5/32, ::/0] | - | 25");
    assertThat(routed)
        .as("the default route is the agent's policy routing, not a peer route")
        .containsExactly("100.64.0.4/32", "100.64.0.5/32");
    assertThat(status(policy)).contains("exit_node=d\nexit_node_state=active\n");
    assertThat(log).anyMatch(l -> l.startsWith("exit node d: default traffic goes through it"));

    // d's exit routes are withdrawn (not approved any more): refused, no default route anywhere.
    apply(policy, bundle(2, c, new Entry("d", D, "100.64.0.5/32", "", "")));
    assertThat(peers())
        .containsEntry(C, "[100.64.0.4/32] | 192.0.2.4:1 | 25")
        .containsEntry(D, "[100.64.0.5/32] | - | 25");
    assertThat(status(policy)).contains("exit_node_state=no-exit-route\n");
    assertThat(log)
        .anyMatch(l -> l.startsWith("refusing exit node d: it offers this node no exit"));

    // d leaves the bundle altogether.
    apply(policy, bundle(3, c));
    assertThat(status(policy)).contains("exit_node=d\nexit_node_state=not-a-peer\n");
    assertThat(log).anyMatch(l -> l.startsWith("refusing exit node d: no peer of this node"));
    assertThat(peers()).containsOnlyKeys(C).containsEntry(C, "[100.64.0.4/32] | 192.0.2.4:1 | 25");

    // Chosen by its tunnel address instead: c, at once (without waiting for a bundle).
    policy.useRouting(exitNode("100.64.0.4"), p -> false);
    assertThat(peers()).containsEntry(C, "[0.0.0.0/0, 100.64.0.4/32, ::/0] | 192.0.2.4:1 | 25");
    assertThat(status(policy)).contains("exit_node=c\nexit_node_state=active\n");
  }

  @Test
  void acceptedSubnetRoutesAreRoutedUnlessTheyCoverThisMachinesOwnNetwork() throws Exception {
    PeerPolicy policy = new PeerPolicy(device, Map.of(), log::add);
    policy.useRouting(
        new RoutingOptions(
            true, java.util.Optional.empty(), java.util.Optional.of(nets("10.7.0.0/16"))),
        p -> p.toString().equals("192.168.1.0/24")); // this machine is on 192.168.1.0/24
    policy.routeAddressesTo(routes);
    apply(
        policy,
        bundle(
            1,
            new Entry("a", A, "100.64.0.2/32", "10.1.0.0/16 fd00:1::/64 192.168.1.0/24", ""),
            new Entry("c", C, "100.64.0.4/32", "0.0.0.0/0 ::/0", "")));
    assertThat(routed)
        .as("subnet routes are routed; exit routes are not (no exit node chosen)")
        .containsExactly("10.1.0.0/16", "100.64.0.2/32", "100.64.0.4/32", "fd00:1::/64");
    assertThat(peers()).containsEntry(C, "[100.64.0.4/32] | - | 25");
    assertThat(status(policy))
        .contains("accept_routes=on\n")
        .contains("accepted_routes=10.1.0.0/16,fd00:1::/64\n")
        .contains("local_routes=192.168.1.0/24\n")
        .contains("advertised_routes=10.7.0.0/16\n");
    assertThat(log).anyMatch(l -> l.startsWith("not routing [192.168.1.0/24] into the tunnel"));

    // The route is withdrawn: its kernel route goes with it.
    apply(policy, bundle(2, new Entry("a", A, "100.64.0.2/32", "fd00:1::/64", "")));
    assertThat(routed).containsExactly("100.64.0.2/32", "fd00:1::/64");
  }
}
