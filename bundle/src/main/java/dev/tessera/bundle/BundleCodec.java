package dev.tessera.bundle;

import dev.tessera.bundle.BundleException.Reason;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The signed bundle on the wire. Big-endian, length-prefixed, signature last:
 *
 * <pre>
 *   "TSBN"  u16 format=2
 *   u16 len, node (UTF-8)        u64 version
 *   u16 len, policy revision     u8[32] SHA-256 of filter
 *   i64 issued-at (epoch ms)     i64 expires-at (epoch ms)
 *   u32 len, filter (enforcer binary format)
 *   u8[64] Ed25519 signature over every byte before it
 * </pre>
 *
 * Format 1 (no expires-at) still decodes, as a bundle whose own freshness window is empty: it is
 * accepted only with a separate current {@link Freshness} statement.
 *
 * <p>Decoding checks the signature before it believes any field, and reads with bounds checks only:
 * a hostile server or a corrupted file gives a {@link BundleException}, never an exception of
 * another kind and never a partially applied filter.
 */
public final class BundleCodec {
  static final byte[] MAGIC = {'T', 'S', 'B', 'N'};
  static final int FORMAT = 2;
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
    if (node.length > 0xffff || revision.length > 0xffff || hash.length != 32) {
      throw new IllegalArgumentException("bundle field out of range: " + bundle);
    }
    int unsigned =
        4 + 2 + 2 + node.length + 8 + 2 + revision.length + 32 + 8 + 8 + 4 + filter.length;
    ByteBuffer out = ByteBuffer.allocate(unsigned + SIGNATURE_LENGTH);
    out.put(MAGIC).putShort((short) FORMAT);
    out.putShort((short) node.length).put(node).putLong(bundle.version());
    out.putShort((short) revision.length).put(revision).put(hash);
    out.putLong(bundle.issuedAtMillis())
        .putLong(bundle.expiresAtMillis())
        .putInt(filter.length)
        .put(filter);
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
      if (format != FORMAT && format != FORMAT_WITHOUT_EXPIRY) {
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
      long expiresAt = format == FORMAT ? in.getLong() : issuedAt;
      int filterLength = in.getInt();
      if (filterLength < 0 || filterLength != in.remaining()) {
        throw new BundleException(
            Reason.MALFORMED,
            "filter length "
                + filterLength
                + " does not match the "
                + in.remaining()
                + " bytes that remain");
      }
      byte[] filter = new byte[filterLength];
      in.get(filter);
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
          filter);
    } catch (BufferUnderflowException e) {
      throw new BundleException(Reason.MALFORMED, "bundle is truncated");
    }
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
