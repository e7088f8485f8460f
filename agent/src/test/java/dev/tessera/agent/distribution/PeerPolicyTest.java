package dev.tessera.agent.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.protocol.DeviceOptions;
import dev.tessera.agent.protocol.PeerConfig;
import dev.tessera.agent.protocol.WireGuardDevice;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.Peer;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.testsupport.Seed;
import dev.tessera.testsupport.Seeded;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Seeded
class PeerPolicyTest {
  static final SecureRandom RNG = new SecureRandom();
  static final WgKey X = WgKey.generatePrivate(RNG).publicKey();
  static final WgKey Y = WgKey.generatePrivate(RNG).publicKey();
  static final WgKey Z = WgKey.generatePrivate(RNG).publicKey();

  static List<IpPrefix> p(String list) {
    return list.isBlank() ? List.of() : Stream.of(list.split(" ")).map(IpPrefix::parse).toList();
  }

  static List<dev.tessera.net.IpPrefix> ep(String list) {
    return list.isBlank()
        ? List.of()
        : Stream.of(list.split(" ")).map(dev.tessera.net.IpPrefix::parse).toList();
  }

  @ParameterizedTest(name = "{0} ∩ {1} = {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "10.0.0.2/32              | 10.0.0.2/32                 | 10.0.0.2/32",
        "0.0.0.0/0                | 10.0.0.2/32 192.168.5.0/24  | 10.0.0.2/32 192.168.5.0/24",
        "10.0.0.2/32 10.9.0.0/16  | 0.0.0.0/0                   | 10.0.0.2/32 10.9.0.0/16",
        "10.0.0.2/32 10.9.0.0/16  | 10.0.0.2/32                 | 10.0.0.2/32",
        "10.9.0.0/16              | 10.9.4.0/24 10.8.0.0/16     | 10.9.4.0/24",
        "10.0.0.2/32              | 10.0.0.3/32                 | ''",
        "::/0 0.0.0.0/0           | fd00::2/128                 | fd00::2/128",
        "fd00::/64                | 10.0.0.0/8                  | ''",
      })
  void intersectsPrefixSets(String a, String b, String expected) {
    assertThat(PeerPolicy.intersect(p(a), p(b)))
        .containsExactlyInAnyOrderElementsOf(p(expected.replace("''", "")));
  }

  /**
   * Differential: membership in the intersection equals membership in both sets, on random
   * addresses.
   */
  @Test
  void intersectionMatchesPointwiseMembership(Seed given) {
    long seed = given.value();
    Random r = new Random(seed);
    for (int round = 0; round < 300; round++) {
      List<IpPrefix> a = randomSet(r);
      List<IpPrefix> b = randomSet(r);
      List<IpPrefix> both = PeerPolicy.intersect(a, b);
      for (int i = 0; i < 50; i++) {
        IpPrefix host = IpPrefix.of(addr(r), 32);
        boolean inA = a.stream().anyMatch(x -> x.contains(host));
        boolean inB = b.stream().anyMatch(x -> x.contains(host));
        boolean inBoth = both.stream().anyMatch(x -> x.contains(host));
        assertThat(inBoth).as("seed %d: %s in %s ∩ %s", seed, host, a, b).isEqualTo(inA && inB);
      }
    }
  }

  static List<IpPrefix> randomSet(Random r) {
    List<IpPrefix> s = new ArrayList<>();
    for (int i = r.nextInt(4); i >= 0; i--) {
      s.add(IpPrefix.of(addr(r), 20 + r.nextInt(13)));
    }
    return s;
  }

  static IpAddress addr(Random r) {
    byte[] b = {10, 0, (byte) r.nextInt(4), (byte) r.nextInt(256)}; // a small space so sets overlap
    return IpAddress.ofBytes(b);
  }

  static CompiledFilter bundle(Peer... peers) {
    return CompiledFilter.of("a", ep("10.0.0.1/32"), List.of(), List.of(peers), List.of());
  }

  @Test
  void decidesMembershipAndNarrowsAllowedIps() {
    Map<WgKey, List<IpPrefix>> base = new LinkedHashMap<>();
    base.put(X, p("10.0.0.3/32"));
    base.put(Y, p("0.0.0.0/0"));
    PeerPolicy.Decision d =
        PeerPolicy.decide(
            base,
            bundle(
                new Peer("y", Y.toBase64(), ep("10.0.0.2/32"), ep("192.168.50.0/24")),
                new Peer("z", Z.toBase64(), ep("10.0.0.4/32"), List.of()),
                new Peer("nokey", null, ep("10.0.0.5/32"), List.of()),
                new Peer("badkey", "not-base64!", ep("10.0.0.6/32"), List.of())));
    assertThat(d.excluded()).containsExactly(X);
    assertThat(d.admitted()).containsOnlyKeys(Y);
    assertThat(d.admitted().get(Y))
        .containsExactly(IpPrefix.parse("10.0.0.2/32"), IpPrefix.parse("192.168.50.0/24"));
    assertThat(d.notConfigured()).containsExactly("z");
    assertThat(d.unusableKeys()).containsExactly("nokey", "badkey");
  }

  @Test
  void appliesToTheDeviceAndReadmits() {
    WireGuardDevice dev = new WireGuardDevice(DeviceOptions.defaults());
    dev.setPrivateKey(WgKey.generatePrivate(RNG));
    dev.upsertPeer(PeerConfig.of(X, p("10.0.0.3/32")));
    dev.upsertPeer(PeerConfig.of(Y, p("10.0.0.2/32 192.168.50.0/24")));
    Map<WgKey, List<IpPrefix>> configured = new LinkedHashMap<>();
    configured.put(X, p("10.0.0.3/32"));
    configured.put(Y, p("10.0.0.2/32 192.168.50.0/24"));
    List<String> log = new ArrayList<>();
    PeerPolicy policy = new PeerPolicy(dev, configured, log::add);

    policy.apply(bundle(new Peer("y", Y.toBase64(), ep("10.0.0.2/32"), List.of())));
    assertThat(dev.peer(X).orElseThrow().excludedByPolicy()).isTrue();
    assertThat(dev.peer(Y).orElseThrow().excludedByPolicy()).isFalse();
    assertThat(dev.peer(Y).orElseThrow().allowedIps())
        .containsExactly(IpPrefix.parse("10.0.0.2/32"));
    StringBuilder sb = new StringBuilder();
    policy.appendStatus(sb);
    assertThat(sb.toString()).contains("policy_peers_admitted=1\n", "policy_peers_excluded=1\n");

    // The route comes back when the policy approves it again: the base is the config, not the
    // narrowed set.
    policy.apply(
        bundle(
            new Peer("y", Y.toBase64(), ep("10.0.0.2/32"), ep("192.168.50.0/24")),
            new Peer("x", X.toBase64(), ep("10.0.0.3/32"), List.of())));
    assertThat(dev.peer(X).orElseThrow().excludedByPolicy()).isFalse();
    assertThat(dev.peer(Y).orElseThrow().allowedIps())
        .containsExactlyInAnyOrder(
            IpPrefix.parse("10.0.0.2/32"), IpPrefix.parse("192.168.50.0/24"));

    // A peer added later through UAPI is excluded at once unless listed (fail closed).
    dev.upsertPeer(PeerConfig.of(Z, p("10.0.0.4/32")));
    policy.reapply();
    assertThat(dev.peer(Z).orElseThrow().excludedByPolicy()).isTrue();
    assertThat(log).anyMatch(l -> l.contains("EXCLUDED"));
    dev.close();
  }

  /**
   * Node addresses (not approved routes) are reserved for their node's key; a keyless node's for
   * nobody.
   */
  @Test
  void nodeAddressesBelongToTheirKeys() {
    Map<IpPrefix, WgKey> nodes =
        PeerPolicy.nodeAddresses(
            bundle(
                new Peer("exit", Y.toBase64(), ep("10.0.0.2/32"), ep("0.0.0.0/0")),
                new Peer("z", Z.toBase64(), ep("10.0.0.4/32 fd00::4/128"), List.of()),
                new Peer("nokey", null, ep("10.0.0.5/32"), List.of())));
    assertThat(nodes).containsOnlyKeys(p("10.0.0.2/32 10.0.0.4/32 fd00::4/128 10.0.0.5/32"));
    assertThat(nodes.get(IpPrefix.parse("10.0.0.2/32"))).isEqualTo(Y);
    assertThat(nodes.get(IpPrefix.parse("fd00::4/128"))).isEqualTo(Z);
    assertThat(nodes.get(IpPrefix.parse("10.0.0.5/32"))).isNotIn(X, Y, Z);
  }
}
