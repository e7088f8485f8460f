package dev.tessera.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer fuzz targets for what the agent reads from the policy server and from its state directory.
 * Under plain {@code mvn test} they replay their seeds ({@code
 * src/test/resources/dev/tessera/bundle/BundleFuzzTestInputs/<method>/}) plus an empty input;
 * {@code bin/fuzz BundleFuzzTest#bundle} (or {@code #freshness}, {@code #mark}) fuzzes with
 * coverage.
 *
 * <p>Properties: a decoder either returns a value or throws {@link BundleException}, never anything
 * else; what the client would accept re-encodes to a value with the same fields. The fuzzer holds
 * the server key, so it can produce genuinely signed input: the structure behind the signature is
 * fuzzed too, as a compromised or buggy server would send it.
 */
class BundleFuzzTest {
  private static final SigningKey KEY = BundleTest.SERVER;

  @FuzzTest(maxDuration = "30s")
  void bundle(FuzzedDataProvider data) {
    boolean resign = data.consumeBoolean();
    byte[] bytes = resign(data.consumeRemainingAsBytes(), resign);
    try {
      NodeBundle b = BundleCodec.verifyAndDecode(bytes, KEY.publicKey());
      assertThat(BundleCodec.verifyAndDecode(BundleCodec.sign(b, KEY), KEY.publicKey()))
          .isEqualTo(b);
      new BundleVerifier(KEY.publicKey(), b.node()).verify(bytes, 0);
    } catch (BundleException expected) {
      // refused with a reason
    } catch (IllegalArgumentException e) {
      // sign() refuses a hash that is not 32 bytes: impossible after a decode
      throw new AssertionError("decoded bundle cannot be re-encoded", e);
    }
  }

  @FuzzTest(maxDuration = "30s")
  void freshness(FuzzedDataProvider data) {
    boolean resign = data.consumeBoolean();
    boolean header = data.consumeBoolean();
    if (header) {
      try {
        Freshness.verifyHeader(data.consumeRemainingAsString(), KEY.publicKey());
      } catch (BundleException expected) {
        // refused
      }
      return;
    }
    byte[] bytes = resign(data.consumeRemainingAsBytes(), resign);
    try {
      Freshness f = Freshness.verifyAndDecode(bytes, KEY.publicKey());
      assertThat(Freshness.verifyAndDecode(f.sign(KEY), KEY.publicKey())).isEqualTo(f);
    } catch (BundleException expected) {
      // refused
    }
  }

  /**
   * A genuinely signed format-3 bundle around a valid filter whose endpoints section is the
   * fuzzer's bytes (with a matching content hash): the verifier refuses it as malformed, or every
   * endpoint it accepts belongs to a keyed peer of the filter and the section re-encodes to the
   * same bytes.
   */
  @FuzzTest(maxDuration = "30s")
  void endpoints(FuzzedDataProvider data) {
    byte[] section = data.consumeRemainingAsBytes();
    byte[] f = dev.tessera.enforcer.format.FilterCodec.encode(BundleEndpointsTest.filter());
    long now = System.currentTimeMillis();
    byte[] bytes =
        BundleEndpointsTest.raw(
            3,
            java.util.HexFormat.of().formatHex(BundleEndpointsTest.sha256(f, section)),
            now,
            now + 60_000,
            f,
            section);
    try {
      var v = new BundleVerifier(KEY.publicKey(), "web-1").verify(bytes, 0);
      assertThat(BundleCodec.encodeEndpoints(v.bundle().endpoints())).isEqualTo(section);
      assertThat(v.bundle().endpoints()).allSatisfy(e -> assertThat(e.peer()).isIn("db-1", "lb-1"));
      assertThat(v.peers()).extracting(BundlePeer::name).containsExactly("db-1", "lb-1");
    } catch (BundleException expected) {
      assertThat(expected.reason()).isEqualTo(BundleException.Reason.MALFORMED);
    }
  }

  /** Makes the trailing signature genuine over whatever structure came out. */
  private static byte[] resign(byte[] bytes, boolean resign) {
    if (resign && bytes.length >= 64) {
      byte[] sig = KEY.sign(bytes, bytes.length - 64);
      System.arraycopy(sig, 0, bytes, bytes.length - 64, 64);
    }
    return bytes;
  }

  @FuzzTest(maxDuration = "30s")
  void mark(FuzzedDataProvider data) {
    BundleClient.Mark m = BundleClient.Mark.decode(data.consumeRemainingAsBytes());
    assertThat(m.version()).isNotNegative();
    assertThat(BundleClient.Mark.decode(m.encode())).isEqualTo(m);
  }
}
