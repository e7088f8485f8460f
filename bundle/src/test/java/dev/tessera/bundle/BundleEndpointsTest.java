package dev.tessera.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.bundle.BundleException.Reason;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.enforcer.format.Peer;
import dev.tessera.net.IpPrefix;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Peer endpoints in the signed bundle (format 3): round trip, the joined peer view, tampering. */
class BundleEndpointsTest {
  static final String KEY_A = key(0xa1);
  static final String KEY_B = key(0xb2);

  static String key(int fill) {
    byte[] k = new byte[32];
    java.util.Arrays.fill(k, (byte) fill);
    return Base64.getEncoder().encodeToString(k);
  }

  /** web-1 with peers db-1 (key, a route), lb-1 (key) and legacy (no key). */
  static CompiledFilter filter() {
    return CompiledFilter.of(
        "web-1",
        List.of(IpPrefix.parse("100.64.0.2/32")),
        List.of(),
        List.of(
            new Peer(
                "db-1",
                KEY_A,
                List.of(IpPrefix.parse("100.64.0.3/32"), IpPrefix.parse("fd7a:115c:a1e0::3/128")),
                List.of(IpPrefix.parse("10.1.0.0/16"))),
            new Peer("lb-1", KEY_B, List.of(IpPrefix.parse("100.64.0.4/32")), List.of()),
            new Peer("legacy", null, List.of(IpPrefix.parse("100.64.0.5/32")), List.of())),
        List.of());
  }

  static InetSocketAddress ep(String text) {
    return PeerEndpoints.parse(text).orElseThrow(() -> new AssertionError(text));
  }

  static final List<PeerEndpoints> ENDPOINTS =
      List.of(new PeerEndpoints("db-1", List.of(ep("192.0.2.7:51820"), ep("[2001:db8::7]:41641"))));

  static NodeBundle bundle(long version, List<PeerEndpoints> endpoints) {
    byte[] f = FilterCodec.encode(filter());
    return new NodeBundle(
        "web-1",
        version,
        "rev",
        NodeBundle.hashOf(f, endpoints),
        System.currentTimeMillis(),
        System.currentTimeMillis() + 60_000,
        f,
        endpoints);
  }

  @Test
  void endpointsRoundTripAndJoinTheFilterPeers() throws Exception {
    byte[] signed = BundleCodec.sign(bundle(5, ENDPOINTS), BundleTest.SERVER);
    assertThat(ByteBuffer.wrap(signed, 4, 2).getShort()).isEqualTo((short) 3);
    var v = new BundleVerifier(BundleTest.SERVER.publicKey(), "web-1").verify(signed, 4);
    assertThat(v.bundle().endpoints()).isEqualTo(ENDPOINTS);
    assertThat(v.peers())
        .containsExactly(
            new BundlePeer(
                "db-1",
                KEY_A,
                List.of(IpPrefix.parse("100.64.0.3/32"), IpPrefix.parse("fd7a:115c:a1e0::3/128")),
                List.of(IpPrefix.parse("10.1.0.0/16")),
                List.of(ep("192.0.2.7:51820"), ep("[2001:db8::7]:41641"))),
            new BundlePeer(
                "lb-1", KEY_B, List.of(IpPrefix.parse("100.64.0.4/32")), List.of(), List.of()));
    assertThat(v.peers().get(0).allowedIps())
        .containsExactly(
            IpPrefix.parse("100.64.0.3/32"),
            IpPrefix.parse("fd7a:115c:a1e0::3/128"),
            IpPrefix.parse("10.1.0.0/16"));
  }

  @Test
  void contentHashCoversEndpointsAndEqualsTheFilterHashWithoutThem() {
    byte[] f = FilterCodec.encode(filter());
    assertThat(NodeBundle.hashOf(f, List.of())).isEqualTo(NodeBundle.hashOf(f));
    assertThat(NodeBundle.hashOf(f, ENDPOINTS)).isNotEqualTo(NodeBundle.hashOf(f));
    List<PeerEndpoints> moved =
        List.of(
            new PeerEndpoints("db-1", List.of(ep("192.0.2.7:51821"), ep("[2001:db8::7]:41641"))));
    assertThat(NodeBundle.hashOf(f, moved)).isNotEqualTo(NodeBundle.hashOf(f, ENDPOINTS));
  }

  @Test
  void formatTwoBundlesStillVerifyWithoutEndpoints() throws Exception {
    byte[] f = FilterCodec.encode(filter());
    long now = System.currentTimeMillis();
    byte[] v2 = raw(2, NodeBundle.hashOf(f), now, now + 60_000, f, null);
    var v = new BundleVerifier(BundleTest.SERVER.publicKey(), "web-1").verify(v2, 0);
    assertThat(v.bundle().endpoints()).isEmpty();
    assertThat(v.peers()).extracting(BundlePeer::name).containsExactly("db-1", "lb-1");
    assertThat(v.peers()).allSatisfy(p -> assertThat(p.endpoints()).isEmpty());
  }

  @Test
  void aFormatThisBuildDoesNotKnowIsRefusedByNumber() {
    // What an agent that knows formats 1 and 2 does with a format-3 bundle, one number up.
    byte[] f = FilterCodec.encode(filter());
    long now = System.currentTimeMillis();
    byte[] v4 = raw(4, NodeBundle.hashOf(f), now, now + 60_000, f, new byte[0]);
    assertThatThrownBy(
            () -> new BundleVerifier(BundleTest.SERVER.publicKey(), "web-1").verify(v4, 0))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("bundle format 4 is not supported")
        .extracting(e -> ((BundleException) e).reason())
        .isEqualTo(Reason.MALFORMED);
  }

  /** One endpoints section as bytes, written field by field. */
  static final class Section {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final DataOutputStream out = new DataOutputStream(bytes);

    Section peer(String name, int count) throws IOException {
      byte[] n = name.getBytes(StandardCharsets.UTF_8);
      out.writeShort(n.length);
      out.write(n);
      out.writeByte(count);
      return this;
    }

    Section raw(byte[] b) throws IOException {
      out.write(b);
      return this;
    }

    Section v4(String dotted, int port) throws IOException {
      out.writeByte(4);
      for (String part : dotted.split("\\.")) {
        out.writeByte(Integer.parseInt(part));
      }
      out.writeShort(port);
      return this;
    }

    Section v6(byte[] address, int port) throws IOException {
      out.writeByte(6);
      out.write(address);
      out.writeShort(port);
      return this;
    }

    Section family(int family, int port) throws IOException {
      out.writeByte(family);
      out.write(new byte[4]);
      out.writeShort(port);
      return this;
    }

    byte[] bytes() {
      return bytes.toByteArray();
    }
  }

  interface Build {
    byte[] section() throws IOException;
  }

  static Stream<Arguments> malformedSections() throws IOException {
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xff;
    mapped[11] = (byte) 0xff;
    mapped[12] = (byte) 192;
    mapped[15] = 7;
    Section seventeen = new Section().peer("db-1", 17);
    for (int i = 0; i < 17; i++) {
      seventeen.v4("192.0.2." + i, 51820);
    }
    return Stream.of(
        Arguments.of(
            "peer not in the filter",
            new Section().peer("ghost", 1).v4("192.0.2.1", 1).bytes(),
            "not a peer in its filter"),
        Arguments.of(
            "peer without a usable key",
            new Section().peer("legacy", 1).v4("192.0.2.1", 1).bytes(),
            "no usable public key"),
        Arguments.of(
            "names out of order",
            new Section()
                .peer("lb-1", 1)
                .v4("192.0.2.1", 1)
                .peer("db-1", 1)
                .v4("192.0.2.2", 1)
                .bytes(),
            "sorted"),
        Arguments.of(
            "name repeated",
            new Section()
                .peer("db-1", 1)
                .v4("192.0.2.1", 1)
                .peer("db-1", 1)
                .v4("192.0.2.2", 1)
                .bytes(),
            "sorted"),
        Arguments.of("empty name", new Section().peer("", 1).v4("192.0.2.1", 1).bytes(), "sorted"),
        Arguments.of("no endpoints", new Section().peer("db-1", 0).bytes(), "has 0 endpoints"),
        Arguments.of("17 endpoints", seventeen.bytes(), "has 17 endpoints"),
        Arguments.of(
            "unknown family",
            new Section().peer("db-1", 1).family(5, 1).bytes(),
            "address family 5"),
        Arguments.of(
            "port 0",
            new Section().peer("db-1", 1).v4("192.0.2.1", 0).bytes(),
            "port 0 or repeated"),
        Arguments.of(
            "endpoint repeated",
            new Section().peer("db-1", 2).v4("192.0.2.1", 9).v4("192.0.2.1", 9).bytes(),
            "port 0 or repeated"),
        Arguments.of(
            "IPv4-mapped IPv6", new Section().peer("db-1", 1).v6(mapped, 9).bytes(), "IPv4-mapped"),
        Arguments.of(
            "truncated endpoint",
            new Section().peer("db-1", 1).raw(new byte[] {4, (byte) 192, 0}).bytes(),
            "truncated"),
        Arguments.of(
            "name not UTF-8",
            new Section().raw(new byte[] {0, 2, (byte) 0xc3, 0x28, 1}).v4("192.0.2.1", 1).bytes(),
            "not UTF-8"),
        Arguments.of(
            "name longer than the section",
            new Section().raw(new byte[] {0, 100, 'd'}).bytes(),
            "truncated"));
  }

  /**
   * A compromised or buggy server signs each of these (the signature is genuine and the content
   * hash matches what it sent): the verifier refuses every one as malformed.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedSections")
  void malformedEndpointsAreRefusedEvenWhenSigned(String what, byte[] section, String message) {
    byte[] f = FilterCodec.encode(filter());
    long now = System.currentTimeMillis();
    byte[] hash = sha256(f, section);
    byte[] bytes = raw(3, HexFormat.of().formatHex(hash), now, now + 60_000, f, section);
    assertThatThrownBy(
            () -> new BundleVerifier(BundleTest.SERVER.publicKey(), "web-1").verify(bytes, 0))
        .as(what)
        .isInstanceOf(BundleException.class)
        .hasMessageContaining(message)
        .extracting(e -> ((BundleException) e).reason())
        .isEqualTo(Reason.MALFORMED);
  }

  static Stream<Arguments> tampered() {
    return Stream.of(
        // endpoints swapped in by someone without the server key
        Arguments.of("endpoint port changed, not re-signed", false, false, Reason.BAD_SIGNATURE),
        // the server's own bug: signed, but the hash covers the filter only
        Arguments.of("hash of the filter alone", true, true, Reason.HASH_MISMATCH),
        // re-signed after the change, hash left as it was
        Arguments.of("endpoint port changed, re-signed", true, false, Reason.HASH_MISMATCH));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tampered")
  void tamperedEndpointsAreRefused(
      String what, boolean resign, boolean filterOnlyHash, Reason reason) {
    byte[] f = FilterCodec.encode(filter());
    NodeBundle b = bundle(9, ENDPOINTS);
    if (filterOnlyHash) {
      b =
          new NodeBundle(
              "web-1",
              9,
              "rev",
              NodeBundle.hashOf(f),
              b.issuedAtMillis(),
              b.expiresAtMillis(),
              f,
              ENDPOINTS);
    }
    byte[] bytes = BundleCodec.sign(b, BundleTest.SERVER);
    if (!filterOnlyHash) {
      // The last endpoint's port is the two bytes before the signature.
      bytes[bytes.length - 64 - 1] ^= 1;
      if (resign) {
        byte[] sig = BundleTest.SERVER.sign(bytes, bytes.length - 64);
        System.arraycopy(sig, 0, bytes, bytes.length - 64, 64);
      }
    }
    byte[] input = bytes;
    assertThatThrownBy(
            () -> new BundleVerifier(BundleTest.SERVER.publicKey(), "web-1").verify(input, 0))
        .as(what)
        .isInstanceOf(BundleException.class)
        .extracting(e -> ((BundleException) e).reason())
        .isEqualTo(reason);
  }

  @Test
  void theEndpointsLengthMustCoverExactlyTheRest() {
    byte[] f = FilterCodec.encode(filter());
    long now = System.currentTimeMillis();
    byte[] good = BundleCodec.sign(bundle(3, ENDPOINTS), BundleTest.SERVER);
    int lengthAt = good.length - 64 - BundleCodec.encodeEndpoints(ENDPOINTS).length - 4;
    for (int delta : new int[] {-1, 1, 1 << 20}) {
      byte[] bad = good.clone();
      ByteBuffer.wrap(bad).putInt(lengthAt, ByteBuffer.wrap(good).getInt(lengthAt) + delta);
      byte[] sig = BundleTest.SERVER.sign(bad, bad.length - 64);
      System.arraycopy(sig, 0, bad, bad.length - 64, 64);
      assertThatThrownBy(
              () -> new BundleVerifier(BundleTest.SERVER.publicKey(), "web-1").verify(bad, 0))
          .isInstanceOf(BundleException.class)
          .extracting(e -> ((BundleException) e).reason())
          .isEqualTo(Reason.MALFORMED);
    }
    // A format-3 bundle without the endpoints length at all.
    byte[] cut = raw(3, NodeBundle.hashOf(f), now, now + 60_000, f, null);
    assertThatThrownBy(
            () -> new BundleVerifier(BundleTest.SERVER.publicKey(), "web-1").verify(cut, 0))
        .isInstanceOf(BundleException.class)
        .extracting(e -> ((BundleException) e).reason())
        .isEqualTo(Reason.MALFORMED);
  }

  @Test
  void endpointTextParsesOnlyAddressLiteralsWithPorts() {
    assertThat(PeerEndpoints.parse("192.0.2.1:51820")).contains(ep("192.0.2.1:51820"));
    assertThat(PeerEndpoints.format(ep("[2001:db8::1]:1"))).isEqualTo("[2001:db8::1]:1");
    for (String bad :
        List.of(
            "192.0.2.1",
            "192.0.2.1:0",
            "192.0.2.1:65536",
            "2001:db8::1:80",
            "[192.0.2.1]:80",
            "example.com:80",
            ":80",
            "192.0.2.1:",
            "192.0.2.1:8x")) {
      assertThat(PeerEndpoints.parse(bad)).as(bad).isEmpty();
    }
  }

  static byte[] sha256(byte[] a, byte[] b) {
    try {
      var sha = java.security.MessageDigest.getInstance("SHA-256");
      sha.update(a);
      sha.update(b);
      return sha.digest();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * A bundle of web-1 v9 written field by field in {@code format} and signed by the server; {@code
   * section} null: no endpoints length field at all.
   */
  static byte[] raw(
      int format, String hash, long issued, long expires, byte[] filter, byte[] section) {
    try {
      var bytes = new ByteArrayOutputStream();
      var out = new DataOutputStream(bytes);
      out.write(BundleCodec.MAGIC);
      out.writeShort(format);
      byte[] node = "web-1".getBytes(StandardCharsets.UTF_8);
      out.writeShort(node.length);
      out.write(node);
      out.writeLong(9);
      out.writeShort(3);
      out.write("rev".getBytes(StandardCharsets.UTF_8));
      out.write(HexFormat.of().parseHex(hash));
      out.writeLong(issued);
      if (format != 1) {
        out.writeLong(expires);
      }
      out.writeInt(filter.length);
      out.write(filter);
      if (section != null) {
        out.writeInt(section.length);
        out.write(section);
      }
      byte[] unsigned = bytes.toByteArray();
      byte[] sig = BundleTest.SERVER.sign(unsigned, unsigned.length);
      byte[] all = java.util.Arrays.copyOf(unsigned, unsigned.length + 64);
      System.arraycopy(sig, 0, all, unsigned.length, 64);
      return all;
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
