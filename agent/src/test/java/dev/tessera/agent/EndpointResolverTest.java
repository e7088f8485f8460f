package dev.tessera.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.config.Endpoint;
import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.protocol.DeviceOptions;
import dev.tessera.agent.protocol.PeerConfig;
import dev.tessera.agent.protocol.WireGuardDevice;
import dev.tessera.net.IpPrefix;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Re-resolution policy (reresolve-dns.sh): only peers without a recent handshake, only on change.
 */
class EndpointResolverTest {
  static final WgKey PEER = WgKey.generatePrivate(new SecureRandom()).publicKey();
  WireGuardDevice dev;
  final Map<String, String> dns = new HashMap<>();
  final List<String> lookups = new ArrayList<>();
  final List<String> log = new ArrayList<>();
  long now = 1_000_000_000L;

  @BeforeEach
  void setUp() throws Exception {
    dev = new WireGuardDevice(DeviceOptions.defaults());
    dev.setPrivateKey(WgKey.generatePrivate(new SecureRandom()));
    dev.upsertPeer(
        new PeerConfig(
            PEER,
            null,
            List.of(IpPrefix.parse("10.0.0.2/32")),
            new InetSocketAddress(InetAddress.getByName("198.51.100.1"), 51820),
            0));
  }

  @AfterEach
  void tearDown() {
    dev.close();
  }

  EndpointResolver resolver() {
    return new EndpointResolver(
        dev,
        List.of(new EndpointResolver.Target(PEER, new Endpoint("peer.example", 51820))),
        host -> {
          lookups.add(host);
          String a = dns.get(host);
          if (a == null) {
            throw new UnknownHostException(host + ": Name or service not known");
          }
          return InetAddress.getByName(a);
        },
        () -> now,
        30_000,
        135,
        log::add);
  }

  InetSocketAddress endpoint() {
    return dev.peer(PEER).orElseThrow().endpoint();
  }

  @Test
  void aPeerThatNeverHandshakedFollowsDns() {
    EndpointResolver r = resolver();
    dns.put("peer.example", "198.51.100.1");
    assertThat(r.round()).as("same address: nothing to do").isZero();
    dns.put("peer.example", "198.51.100.9");
    assertThat(r.round()).isEqualTo(1);
    assertThat(endpoint()).isEqualTo(new InetSocketAddress("198.51.100.9", 51820));
    assertThat(log).anyMatch(l -> l.contains("now resolves to 198.51.100.9"));
  }

  @Test
  void aFailingLookupKeepsTheEndpoint() {
    EndpointResolver r = resolver();
    assertThat(r.round()).isZero();
    assertThat(endpoint()).isEqualTo(new InetSocketAddress("198.51.100.1", 51820));
    assertThat(log).anyMatch(l -> l.contains("Name or service not known") && l.contains("keeping"));
  }

  @Test
  void aRemovedPeerIsSkipped() {
    EndpointResolver r = resolver();
    dev.removePeer(PEER);
    assertThat(r.round()).isZero();
    assertThat(lookups).isEmpty();
  }
}
