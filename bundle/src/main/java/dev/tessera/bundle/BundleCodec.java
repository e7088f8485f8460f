package dev.tessera.bundle;

import dev.tessera.bundle.BundleException.Reason;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The signed bundle on the wire. Big-endian, length-prefixed, signature last:
 *
 * <pre>
 *   "TSBN"  u16 format=3
 *   u16 len, node (UTF-8)        u64 version
 *   u16 len, policy revision     u8[32] content hash: SHA-256(filter || endpoints)
 *   i64 issued-at (epoch ms)     i64 expires-at (epoch ms)
 *   u32 len, filter (enforcer binary format)
 *   u32 len, endpoints: per peer with endpoints, sorted by peer name, no repeats:
 *       u16 len, peer name (UTF-8)   u8 n (1..16)
 *       n x { u8 family (4 or 6), u8[4 or 16] address, u16 port (1..65535) }   no repeats
 *   u8[64] Ed25519 signature over every byte before it
 * </pre>
 *
 * Format 2 (no endpoints) and format 1 (no endpoints, no expires-at) still decode, as bundles
 * without endpoints; a format-1 bundle's own freshness window is empty, so it is accepted only with
 * a separate current {@link Freshness} statement. An agent that knows only formats 1 and 2 refuses
 * a format-3 bundle as {@code MALFORMED} ("bundle format 3 is not supported") and keeps the filter
 * in force.
 *
 * <p>Decoding checks the signature before it believes any field, and reads with bounds checks only:
 * a hostile server or a corrupted file gives a {@link BundleException}, never an exception of
 * another kind and never a partially applied filter.
 */
public final class BundleCodec {
  static final byte[] MAGIC = {'T', 'S', 'B', 'N'};
  static final int FORMAT = 3;
  static final int FORMAT_WITHOUT_ENDPOINTS = 2;
  static final int FORMAT_WITHOUT_EXPIRY = 1;
  static final int SIGNATURE_LENGTH = 64;

  /** A compiled filter for one node is far below this; larger input is refused unread. */
  public static final int MAX_BUNDLE_BYTES = 64 << 20;

  private BundleCodec() {}

  /** Encodes and signs a bundle. */
  public static byte[] sign(NodeBundle bundle, SigningKey key) {
    byte[] node = bundle.node().getBytes(StandardCharsets.UTF_8);
    byte[] revision = bundle.policyRevision().getBytes(StandardCharsets.UTF_8);
    byte[] hash = java.util.HexFormat.of().parseHex(bundle.contentHash());
    byte[] filter = bundle.filter();
    byte[] endpoints = encodeEndpoints(bundle.endpoints());
    if (node.length > 0xffff || revision.length > 0xffff || hash.length != 32) {
      throw new IllegalArgumentException("bundle field out of range: " + bundle);
    }
    int unsigned =
        4
            + 2
            + 2
            + node.length
            + 8
            + 2
            + revision.length
            + 32
            + 8
            + 8
            + 4
            + filter.length
            + 4
            + endpoints.length;
    ByteBuffer out = ByteBuffer.allocate(unsigned + SIGNATURE_LENGTH);
    out.put(MAGIC).putShort((short) FORMAT);
    out.putShort((short) node.length).put(node).putLong(bundle.version());
    out.putShort((short) revision.length).put(revision).put(hash);
    out.putLong(bundle.issuedAtMillis())
        .putLong(bundle.expiresAtMillis())
        .putInt(filter.length)
        .put(filter)
        .putInt(endpoints.length)
        .put(endpoints);
    byte[] bytes = out.array();
    byte[] signature = key.sign(bytes, unsigned);
    System.arraycopy(signature, 0, bytes, unsigned, SIGNATURE_LENGTH);
    return bytes;
  }

  /**
   * Verifies the signature and decodes. Only structure and signature are checked here; whether the
   * bundle is for this node and newer than the one held is {@link BundleVerifier}'s job.
   */
  public static NodeBundle verifyAndDecode(byte[] bytes, byte[] serverPublicKey)
      throws BundleException {
    int unsigned =
        verifySigned(
            bytes,
            MAGIC,
            MAGIC.length + 2 + SIGNATURE_LENGTH,
            MAX_BUNDLE_BYTES,
            serverPublicKey,
            "bundle",
            Reason.MALFORMED,
            Reason.BAD_SIGNATURE);
    ByteBuffer in = ByteBuffer.wrap(bytes, 0, unsigned);
    try {
      in.position(4);
      int format = Short.toUnsignedInt(in.getShort());
      if (format != FORMAT
          && format != FORMAT_WITHOUT_ENDPOINTS
          && format != FORMAT_WITHOUT_EXPIRY) {
        throw new BundleException(
            Reason.MALFORMED,
            "bundle format " + format + " is not supported (want " + FORMAT + ")");
      }
      String node = utf8(in, Short.toUnsignedInt(in.getShort()));
      long version = in.getLong();
      String revision = utf8(in, Short.toUnsignedInt(in.getShort()));
      byte[] hash = new byte[32];
      in.get(hash);
      long issuedAt = in.getLong();
      long expiresAt = format == FORMAT_WITHOUT_EXPIRY ? issuedAt : in.getLong();
      int filterLength = in.getInt();
      int rest = format == FORMAT ? 4 : 0; // the endpoints' length field follows the filter
      if (filterLength < 0 || filterLength > in.remaining() - rest) {
        throw new BundleException(
            Reason.MALFORMED,
            "filter length "
                + filterLength
                + " exceeds the "
                + in.remaining()
                + " bytes that remain");
      }
      byte[] filter = new byte[filterLength];
      in.get(filter);
      List<PeerEndpoints> endpoints = List.of();
      if (format == FORMAT) {
        int endpointsLength = in.getInt();
        if (endpointsLength < 0 || endpointsLength != in.remaining()) {
          throw new BundleException(
              Reason.MALFORMED,
              "endpoints length "
                  + endpointsLength
                  + " does not match the "
                  + in.remaining()
                  + " bytes that remain");
        }
        endpoints = decodeEndpoints(in);
      } else if (in.hasRemaining()) {
        throw new BundleException(
            Reason.MALFORMED,
            "filter length " + filterLength + " leaves " + in.remaining() + " bytes unread");
      }
      if (version < 1 || node.isEmpty() || expiresAt < issuedAt) {
        throw new BundleException(
            Reason.MALFORMED,
            "bundle has an empty node name, a version below 1 or expires before it is issued");
      }
      return new NodeBundle(
          node,
          version,
          revision,
          java.util.HexFormat.of().formatHex(hash),
          issuedAt,
          expiresAt,
          filter,
          endpoints);
    } catch (BufferUnderflowException e) {
      throw new BundleException(Reason.MALFORMED, "bundle is truncated");
    }
  }

  /**
   * The endpoints section without its length field (empty for no endpoints): what the content hash
   * covers after the filter.
   */
  static byte[] encodeEndpoints(List<PeerEndpoints> endpoints) {
    if (endpoints.isEmpty()) {
      return new byte[0];
    }
    var out = new java.io.ByteArrayOutputStream();
    var data = new java.io.DataOutputStream(out);
    try {
      for (PeerEndpoints p : endpoints) {
        byte[] name = p.peer().getBytes(StandardCharsets.UTF_8);
        if (name.length > 0xffff) {
          throw new IllegalArgumentException("peer name too long for a bundle: " + p.peer());
        }
        data.writeShort(name.length);
        data.write(name);
        data.writeByte(p.endpoints().size());
        for (InetSocketAddress e : p.endpoints()) {
          byte[] address = e.getAddress().getAddress();
          data.writeByte(address.length == 4 ? 4 : 6);
          data.write(address);
          data.writeShort(e.getPort());
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return out.toByteArray();
  }

  /** Reads the endpoints section to the end of {@code in}; every structural rule is checked. */
  private static List<PeerEndpoints> decodeEndpoints(ByteBuffer in) throws BundleException {
    List<PeerEndpoints> out = new ArrayList<>();
    String previous = null;
    while (in.hasRemaining()) {
      String peer = utf8(in, Short.toUnsignedInt(in.getShort()));
      if (peer.isEmpty() || (previous != null && previous.compareTo(peer) >= 0)) {
        throw new BundleException(
            Reason.MALFORMED,
            "peer endpoints are not sorted by non-empty peer name without repeats (at '"
                + peer
                + "')");
      }
      previous = peer;
      int n = Byte.toUnsignedInt(in.get());
      if (n < 1 || n > PeerEndpoints.MAX_ENDPOINTS) {
        throw new BundleException(
            Reason.MALFORMED,
            "peer '"
                + peer
                + "' has "
                + n
                + " endpoints (1 to "
                + PeerEndpoints.MAX_ENDPOINTS
                + ")");
      }
      List<InetSocketAddress> eps = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int family = Byte.toUnsignedInt(in.get());
        if (family != 4 && family != 6) {
          throw new BundleException(
              Reason.MALFORMED, "endpoint of peer '" + peer + "' has address family " + family);
        }
        byte[] address = new byte[family == 4 ? 4 : 16];
        in.get(address);
        int port = Short.toUnsignedInt(in.getShort());
        InetAddress a;
        try {
          a = InetAddress.getByAddress(address); // raw bytes: no name lookup
        } catch (java.net.UnknownHostException e) {
          throw new AssertionError(e); // 4 or 16 bytes are always an address
        }
        if ((family == 6) != (a instanceof java.net.Inet6Address)) {
          // An IPv4-mapped IPv6 address comes back as IPv4 and would re-encode differently.
          throw new BundleException(
              Reason.MALFORMED,
              "endpoint of peer '" + peer + "' is an IPv4-mapped IPv6 address; send it as IPv4");
        }
        InetSocketAddress e = new InetSocketAddress(a, port);
        if (port == 0 || eps.contains(e)) {
          throw new BundleException(
              Reason.MALFORMED,
              "endpoint "
                  + PeerEndpoints.format(e)
                  + " of peer '"
                  + peer
                  + "' is port 0 or repeated");
        }
        eps.add(e);
      }
      out.add(new PeerEndpoints(peer, eps));
    }
    return List.copyOf(out);
  }

  /**
   * The checks every signed structure gets before any field is believed: a plausible size, the
   * magic, and the Ed25519 signature over every byte before the last 64. Returns the length of the
   * signed part.
   */
  static int verifySigned(
      byte[] bytes,
      byte[] magic,
      int minLength,
      int maxLength,
      byte[] serverPublicKey,
      String what,
      Reason malformed,
      Reason badSignature)
      throws BundleException {
    if (bytes.length < minLength || bytes.length > maxLength) {
      throw new BundleException(
          malformed, what + " of " + bytes.length + " bytes is not a plausible size");
    }
    if (!Arrays.equals(bytes, 0, magic.length, magic, 0, magic.length)) {
      throw new BundleException(malformed, "not a Tessera " + what + " (bad magic)");
    }
    int unsigned = bytes.length - SIGNATURE_LENGTH;
    byte[] signature = Arrays.copyOfRange(bytes, unsigned, bytes.length);
    if (!SigningKey.verify(serverPublicKey, bytes, unsigned, signature)) {
      throw new BundleException(
          badSignature, what + " signature does not verify under the server key");
    }
    return unsigned;
  }

  static String utf8(ByteBuffer in, int length) throws BundleException {
    if (length > in.remaining()) {
      throw new BufferUnderflowException();
    }
    ByteBuffer slice = in.slice(in.position(), length);
    in.position(in.position() + length);
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(slice)
          .toString();
    } catch (CharacterCodingException e) {
      throw new BundleException(Reason.MALFORMED, "bundle text field is not UTF-8");
    }
  }
}
