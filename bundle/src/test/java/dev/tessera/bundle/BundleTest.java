package dev.tessera.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.bundle.BundleException.Reason;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpPrefix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleTest {
  static final SigningKey SERVER = SigningKey.fromSeed(seed(1));
  static final SigningKey OTHER_SERVER = SigningKey.fromSeed(seed(2));

  static byte[] seed(int n) {
    byte[] s = new byte[32];
    new Random(n).nextBytes(s);
    return s;
  }

  static CompiledFilter filter(String node, int port) {
    FilterRule rule =
        new FilterRule(
            List.of(IpPrefix.parse("100.64.0.1/32")),
            List.of(6),
            List.of(new DstPorts(IpPrefix.parse("100.64.0.2/32"), port, port)),
            new RuleOrigin("policy.hujson", 3, 5, "acl", 0));
    return CompiledFilter.of(
        node, List.of(IpPrefix.parse("100.64.0.2/32")), List.of(rule), List.of(), List.of());
  }

  static NodeBundle bundle(String node, long version, byte[] filterBytes) {
    return new NodeBundle(
        node, version, "rev-abc", NodeBundle.hashOf(filterBytes), 1_700_000_000_000L, filterBytes);
  }

  static byte[] signed(String node, long version) {
    return BundleCodec.sign(bundle(node, version, FilterCodec.encode(filter(node, 443))), SERVER);
  }

  @Test
  void genuineNewerBundleForThisNodeIsAccepted() throws Exception {
    var verified = new BundleVerifier(SERVER.publicKey(), "web-1").verify(signed("web-1", 7), 6);
    assertThat(verified.bundle().version()).isEqualTo(7);
    assertThat(verified.bundle().policyRevision()).isEqualTo("rev-abc");
    assertThat(verified.filter())
        .isEqualTo(FilterCodec.decode(FilterCodec.encode(filter("web-1", 443))));
  }

  @Test
  void everySingleBitFlipIsRefused() {
    byte[] good = signed("web-1", 7);
    BundleVerifier verifier = new BundleVerifier(SERVER.publicKey(), "web-1");
    for (int i = 0; i < good.length; i++) {
      for (int bit = 0; bit < 8; bit += 3) {
        byte[] bad = good.clone();
        bad[i] ^= (byte) (1 << bit);
        assertThatThrownBy(() -> verifier.verify(bad, 0))
            .as("flip of bit %d in byte %d", bit, i)
            .isInstanceOf(BundleException.class)
            .extracting(e -> ((BundleException) e).reason())
            .isIn(Reason.BAD_SIGNATURE, Reason.MALFORMED);
      }
    }
  }

  @Test
  void truncationsAndGarbageAreMalformedOrUnsigned() {
    byte[] good = signed("web-1", 7);
    BundleVerifier verifier = new BundleVerifier(SERVER.publicKey(), "web-1");
    for (int len = 0; len < good.length; len += 7) {
      byte[] cut = java.util.Arrays.copyOf(good, len);
      assertThatThrownBy(() -> verifier.verify(cut, 0)).isInstanceOf(BundleException.class);
    }
    Random random = new Random(42);
    for (int i = 0; i < 200; i++) {
      byte[] junk = new byte[random.nextInt(400)];
      random.nextBytes(junk);
      if (junk.length > 4 && random.nextBoolean()) {
        System.arraycopy(BundleCodec.MAGIC, 0, junk, 0, 4);
      }
      assertThatThrownBy(() -> verifier.verify(junk, 0)).isInstanceOf(BundleException.class);
    }
  }

  @Test
  void refusalsNameTheirReason() {
    BundleVerifier verifier = new BundleVerifier(SERVER.publicKey(), "web-1");
    assertReason(
        () -> new BundleVerifier(OTHER_SERVER.publicKey(), "web-1").verify(signed("web-1", 7), 0),
        Reason.BAD_SIGNATURE);
    assertReason(() -> verifier.verify(signed("db-1", 7), 0), Reason.WRONG_NODE);
    assertReason(() -> verifier.verify(signed("web-1", 7), 7), Reason.ROLLBACK);
    assertReason(() -> verifier.verify(signed("web-1", 3), 7), Reason.ROLLBACK);

    byte[] filterBytes = FilterCodec.encode(filter("web-1", 443));
    byte[] otherBytes = FilterCodec.encode(filter("web-1", 22));
    NodeBundle lying =
        new NodeBundle("web-1", 8, "r", NodeBundle.hashOf(otherBytes), 0, filterBytes);
    assertReason(() -> verifier.verify(BundleCodec.sign(lying, SERVER), 0), Reason.HASH_MISMATCH);

    byte[] garbageFilter = {1, 2, 3, 4, 5};
    assertReason(
        () -> verifier.verify(BundleCodec.sign(bundle("web-1", 9, garbageFilter), SERVER), 0),
        Reason.BAD_FILTER);

    byte[] foreignFilter = FilterCodec.encode(filter("db-1", 443));
    assertReason(
        () -> verifier.verify(BundleCodec.sign(bundle("web-1", 9, foreignFilter), SERVER), 0),
        Reason.WRONG_NODE);
  }

  @Test
  void keyFilesRoundTripWithPrivatePermissions(@TempDir Path dir) throws Exception {
    SigningKey key = SigningKey.generate();
    Path file = dir.resolve("signing.key");
    String pub = key.write(file);
    assertThat(Files.getPosixFilePermissions(file).toString())
        .isEqualTo("[OWNER_READ, OWNER_WRITE]");
    SigningKey back = SigningKey.read(file);
    assertThat(back.publicKeyBase64()).isEqualTo(pub);
    assertThat(SigningKey.parsePublicKey(pub)).isEqualTo(key.publicKey());
    assertThatThrownBy(() -> key.write(file))
        .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
    Files.writeString(dir.resolve("bad.key"), "hello");
    assertThatThrownBy(() -> SigningKey.read(dir.resolve("bad.key")))
        .hasMessageContaining("not a Tessera signing key");
  }

  private static void assertReason(
      org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Reason reason) {
    assertThatThrownBy(call)
        .isInstanceOf(BundleException.class)
        .extracting(e -> ((BundleException) e).reason())
        .isEqualTo(reason);
  }
}
