package dev.tessera.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.bundle.BundleException.Reason;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NodeAuthTest {
  static final SigningKey SERVER = SigningKey.fromSeed(BundleTest.seed(1));
  static final long NOW = 1_800_000_000_000L;

  static byte[] wgPrivate(int n) {
    return BundleTest.seed(100 + n);
  }

  static byte[] wgPublic(int n) {
    return Base64.getDecoder().decode(NodeAuth.wireguardPublicKey(wgPrivate(n)));
  }

  final Map<String, byte[]> inventory = Map.of("laptop-alice", wgPublic(1), "web-1", wgPublic(2));

  NodeAuth.Authenticator authenticator() {
    return new NodeAuth.Authenticator(SERVER, inventory::get, 1000);
  }

  @Test
  void rfc7748X25519VectorHolds() {
    // RFC 7748 section 5.2, first X25519 test vector.
    byte[] scalar =
        HexFormat.of().parseHex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
    byte[] u =
        HexFormat.of().parseHex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
    assertThat(HexFormat.of().formatHex(Curve25519.dh(scalar, u)))
        .isEqualTo("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
  }

  @Test
  void montgomeryImageOfEd25519KeyMatchesX25519OfItsScalar() {
    Random random = new Random(7);
    for (int i = 0; i < 50; i++) {
      byte[] seed = new byte[32];
      random.nextBytes(seed);
      SigningKey key = SigningKey.fromSeed(seed);
      assertThat(Curve25519.edwardsToMontgomery(key.publicKey()))
          .as("seed %d", i)
          .isEqualTo(Curve25519.publicOf(key.x25519Scalar()));
    }
  }

  @Test
  void wireguardPublicKeyMatchesKnownWgOutput() {
    // `echo ... | wg pubkey` for the all-0x01 private key (computed with wireguard-tools).
    byte[] priv = new byte[32];
    java.util.Arrays.fill(priv, (byte) 1);
    assertThat(NodeAuth.wireguardPublicKey(priv)).isEqualTo(WG_PUBKEY_OF_ALL_ONES);
  }

  static final String WG_PUBKEY_OF_ALL_ONES = "pOCSkrZRwni5dyxWn1+puxPZBrRqtoyd+dwrRAn4ogk=";

  @Test
  void genuineRequestAuthenticatesAsItsNode() throws Exception {
    var signer = new NodeAuth.Signer("laptop-alice", wgPrivate(1), SERVER.publicKey());
    byte[] body = "{\"ack\":3}".getBytes(StandardCharsets.UTF_8);
    var headers = signer.sign("POST", "/v1/ack", body, NOW);
    assertThat(authenticator().authenticate("POST", "/v1/ack", body, headers.asMap(), NOW + 5_000))
        .isEqualTo("laptop-alice");
  }

  @Test
  void forgeriesAndReplaysAreRefused() throws Exception {
    var alice = new NodeAuth.Signer("laptop-alice", wgPrivate(1), SERVER.publicKey());
    var auth = authenticator();
    byte[] body = new byte[0];
    Map<String, String> h = alice.sign("GET", "/v1/bundle", body, NOW).asMap();

    assertReason(() -> auth.authenticate("GET", "/v1/bundle?x", body, h, NOW), Reason.BAD_AUTH);
    assertReason(
        () -> auth.authenticate("GET", "/v1/bundle", new byte[] {1}, h, NOW), Reason.BAD_AUTH);
    assertReason(
        () -> auth.authenticate("GET", "/v1/bundle", body, h, NOW + NodeAuth.WINDOW_MILLIS + 1),
        Reason.REPLAYED);

    // Alice claims to be web-1: her key does not match web-1's inventory key.
    Map<String, String> claimed = new HashMap<>(h);
    claimed.put(NodeAuth.HEADER_NODE, "web-1");
    assertReason(() -> auth.authenticate("GET", "/v1/bundle", body, claimed, NOW), Reason.BAD_AUTH);

    var stranger = new NodeAuth.Signer("ghost", wgPrivate(9), SERVER.publicKey());
    assertReason(
        () ->
            auth.authenticate(
                "GET",
                "/v1/bundle",
                body,
                stranger.sign("GET", "/v1/bundle", body, NOW).asMap(),
                NOW),
        Reason.UNKNOWN_NODE);

    // A node that talks to an impostor server key produces authenticators the real server refuses.
    var fooled =
        new NodeAuth.Signer(
            "laptop-alice", wgPrivate(1), SigningKey.fromSeed(BundleTest.seed(3)).publicKey());
    assertReason(
        () ->
            auth.authenticate(
                "GET",
                "/v1/bundle",
                body,
                fooled.sign("GET", "/v1/bundle", body, NOW).asMap(),
                NOW),
        Reason.BAD_AUTH);

    assertThat(auth.authenticate("GET", "/v1/bundle", body, h, NOW)).isEqualTo("laptop-alice");
    assertReason(() -> auth.authenticate("GET", "/v1/bundle", body, h, NOW + 1), Reason.REPLAYED);

    Map<String, String> missing = new HashMap<>(h);
    missing.remove(NodeAuth.HEADER_AUTH);
    assertReason(() -> auth.authenticate("GET", "/v1/bundle", body, missing, NOW), Reason.BAD_AUTH);
  }

  @Test
  void replayCacheIsBoundedAndFailsClosed() throws Exception {
    var alice = new NodeAuth.Signer("laptop-alice", wgPrivate(1), SERVER.publicKey());
    var auth = new NodeAuth.Authenticator(SERVER, inventory::get, 3);
    for (int i = 0; i < 3; i++) {
      auth.authenticate(
          "GET", "/", new byte[0], alice.sign("GET", "/", new byte[0], NOW).asMap(), NOW);
    }
    assertReason(
        () ->
            auth.authenticate(
                "GET", "/", new byte[0], alice.sign("GET", "/", new byte[0], NOW).asMap(), NOW),
        Reason.REPLAYED);
    // Once the remembered nonces age out, requests are accepted again.
    long later = NOW + NodeAuth.WINDOW_MILLIS + 10;
    assertThat(
            auth.authenticate(
                "GET", "/", new byte[0], alice.sign("GET", "/", new byte[0], later).asMap(), later))
        .isEqualTo("laptop-alice");
  }

  /**
   * A flood of forged requests for a real node name (or for made-up names) must not cost a
   * Diffie-Hellman each: the MAC is checked with a key derived once per node key.
   */
  @Test
  void forgedRequestsRunNoDiffieHellman() throws Exception {
    var auth = authenticator();
    var alice = new NodeAuth.Signer("laptop-alice", wgPrivate(1), SERVER.publicKey());
    auth.authenticate(
        "GET", "/", new byte[0], alice.sign("GET", "/", new byte[0], NOW).asMap(), NOW);
    var forger = new NodeAuth.Signer("laptop-alice", wgPrivate(9), SERVER.publicKey()); // wrong key
    long before = Curve25519.DH_COUNT.get();
    for (int i = 0; i < 1000; i++) {
      Map<String, String> forged = forger.sign("GET", "/", new byte[0], NOW).asMap();
      assertReason(() -> auth.authenticate("GET", "/", new byte[0], forged, NOW), Reason.BAD_AUTH);
      Map<String, String> ghost = new HashMap<>(forged);
      ghost.put(NodeAuth.HEADER_NODE, "ghost-" + i);
      assertReason(
          () -> auth.authenticate("GET", "/", new byte[0], ghost, NOW), Reason.UNKNOWN_NODE);
    }
    assertThat(Curve25519.DH_COUNT.get() - before)
        .as("DH operations for 2000 forged requests")
        .isZero();
    // The genuine node is still served.
    assertThat(
            auth.authenticate(
                "GET", "/", new byte[0], alice.sign("GET", "/", new byte[0], NOW).asMap(), NOW))
        .isEqualTo("laptop-alice");
  }

  /** One node filling its nonce window locks out only itself. */
  @Test
  void nonceWindowsArePerNode() throws Exception {
    var alice = new NodeAuth.Signer("laptop-alice", wgPrivate(1), SERVER.publicKey());
    var web = new NodeAuth.Signer("web-1", wgPrivate(2), SERVER.publicKey());
    var auth = new NodeAuth.Authenticator(SERVER, inventory::get, 3);
    for (int i = 0; i < 3; i++) {
      auth.authenticate(
          "GET", "/", new byte[0], alice.sign("GET", "/", new byte[0], NOW).asMap(), NOW);
    }
    assertReason(
        () ->
            auth.authenticate(
                "GET", "/", new byte[0], alice.sign("GET", "/", new byte[0], NOW).asMap(), NOW),
        Reason.REPLAYED);
    assertThat(
            auth.authenticate(
                "GET", "/", new byte[0], web.sign("GET", "/", new byte[0], NOW).asMap(), NOW))
        .as("another node, while laptop-alice's window is full")
        .isEqualTo("web-1");
  }

  private static void assertReason(
      org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Reason reason) {
    assertThatThrownBy(call)
        .isInstanceOf(BundleException.class)
        .extracting(e -> ((BundleException) e).reason())
        .isEqualTo(reason);
  }

  /**
   * Where any key may sign (enrollment: the node header is the key itself), each new key, forged or
   * properly signed, must not grow the authenticator for good: a flood of fresh keys stays within
   * the bound once the earlier requests have aged out of the window.
   */
  @Test
  void aFloodOfFreshKeysStaysBounded() throws Exception {
    java.util.function.Function<String, byte[]> selfKeyed = h -> Base64.getDecoder().decode(h);
    NodeAuth.Authenticator auth = new NodeAuth.Authenticator(SERVER, selfKeyed, 16, 64);
    for (int round = 0; round < 4; round++) {
      long now = NOW + round * 2 * NodeAuth.WINDOW_MILLIS;
      for (int i = 0; i < 100; i++) {
        int n = 1_000 + round * 1_000 + i;
        String node = Base64.getEncoder().encodeToString(wgPublic(n));
        Map<String, String> signed =
            new NodeAuth.Signer(node, wgPrivate(n), SERVER.publicKey())
                .sign("POST", "/v1/enroll", new byte[0], now)
                .asMap();
        assertThat(auth.authenticate("POST", "/v1/enroll", new byte[0], signed, now))
            .isEqualTo(node);
        Map<String, String> forged = new HashMap<>(signed);
        forged.put(NodeAuth.HEADER_NODE, Base64.getEncoder().encodeToString(wgPublic(n + 500)));
        assertThatThrownBy(() -> auth.authenticate("POST", "/v1/enroll", new byte[0], forged, now))
            .isInstanceOf(BundleException.class);
      }
    }
    assertThat(auth.tracked()).isLessThanOrEqualTo(64 + 100);
  }
}
