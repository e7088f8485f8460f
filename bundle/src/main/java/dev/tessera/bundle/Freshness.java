package dev.tessera.bundle;

import dev.tessera.bundle.BundleException.Reason;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A signed, short-lived statement of the server: "at {@code issuedAt}, the current bundle of {@code
 * node} is {@code version}; believe this until {@code expiresAt}". TUF calls this the timestamp
 * role; it defeats a freeze attack, in which someone on the path keeps answering "unchanged" (or
 * replays an old bundle) so that a fleet never hears of a newer policy or a revocation.
 *
 * <p>The server attaches one to every answer, "unchanged" included ({@link #HEADER}, base64); a
 * signed bundle is its own statement while its embedded window is current. The agent refuses an
 * answer without a current statement for its node and the version it ends up holding, so an
 * attacker can hold it on a policy no longer than one statement's lifetime, after which the agent
 * reports the policy stale and, after its configured maximum age, applies its stale mode.
 *
 * <pre>
 *   "TSFR"  u16 format=1
 *   u16 len, node (UTF-8)    u64 version
 *   i64 issued-at (epoch ms) i64 expires-at (epoch ms)
 *   u8[64] Ed25519 signature over every byte before it
 * </pre>
 */
public record Freshness(String node, long version, long issuedAtMillis, long expiresAtMillis) {
  public static final String HEADER = "X-Tessera-Freshness";
  static final byte[] MAGIC = {'T', 'S', 'F', 'R'};
  static final int FORMAT = 1;

  /** A statement is a few dozen bytes; anything longer is refused unread. */
  public static final int MAX_BYTES = 4 + 2 + 2 + 0xffff + 8 + 8 + 8 + BundleCodec.SIGNATURE_LENGTH;

  /**
   * How far the agent's clock may run behind the server's: a statement issued up to this far in the
   * agent's future is still accepted (the same window requests are held to).
   */
  public static final long CLOCK_SKEW_MILLIS = NodeAuth.WINDOW_MILLIS;

  public Freshness {
    if (node.isEmpty() || version < 1 || expiresAtMillis < issuedAtMillis) {
      throw new IllegalArgumentException("not a freshness statement: " + node + " v" + version);
    }
  }

  /** The statement a bundle makes about itself: its own node, version and signing window. */
  public static Freshness of(NodeBundle bundle) {
    return new Freshness(
        bundle.node(), bundle.version(), bundle.issuedAtMillis(), bundle.expiresAtMillis());
  }

  /** True when {@code nowMillis} lies within the statement's window (allowing the clock skew). */
  public boolean currentAt(long nowMillis) {
    return nowMillis < expiresAtMillis && issuedAtMillis <= nowMillis + CLOCK_SKEW_MILLIS;
  }

  /** Encodes and signs. */
  public byte[] sign(SigningKey key) {
    byte[] n = node.getBytes(StandardCharsets.UTF_8);
    if (n.length > 0xffff) {
      throw new IllegalArgumentException("node name too long for a freshness statement");
    }
    int unsigned = 4 + 2 + 2 + n.length + 8 + 8 + 8;
    ByteBuffer out = ByteBuffer.allocate(unsigned + BundleCodec.SIGNATURE_LENGTH);
    out.put(MAGIC).putShort((short) FORMAT).putShort((short) n.length).put(n);
    out.putLong(version).putLong(issuedAtMillis).putLong(expiresAtMillis);
    byte[] bytes = out.array();
    System.arraycopy(key.sign(bytes, unsigned), 0, bytes, unsigned, BundleCodec.SIGNATURE_LENGTH);
    return bytes;
  }

  /** {@link #sign}, base64 for the {@link #HEADER} header. */
  public String signHeader(SigningKey key) {
    return Base64.getEncoder().encodeToString(sign(key));
  }

  /** Verifies the signature, then decodes; any other input is a {@link BundleException}. */
  public static Freshness verifyAndDecode(byte[] bytes, byte[] serverPublicKey)
      throws BundleException {
    int unsigned =
        BundleCodec.verifySigned(
            bytes,
            MAGIC,
            4 + 2 + 2 + 1 + 24 + BundleCodec.SIGNATURE_LENGTH,
            MAX_BYTES,
            serverPublicKey,
            "freshness statement",
            Reason.STALE,
            Reason.STALE);
    ByteBuffer in = ByteBuffer.wrap(bytes, 0, unsigned);
    try {
      in.position(4);
      int format = Short.toUnsignedInt(in.getShort());
      if (format != FORMAT) {
        throw new BundleException(Reason.STALE, "freshness format " + format + " is not supported");
      }
      String node;
      try {
        node = BundleCodec.utf8(in, Short.toUnsignedInt(in.getShort()));
      } catch (BundleException e) {
        throw new BundleException(Reason.STALE, "freshness node is not UTF-8");
      }
      long version = in.getLong();
      long issued = in.getLong();
      long expires = in.getLong();
      if (in.hasRemaining() || node.isEmpty() || version < 1 || expires < issued) {
        throw new BundleException(Reason.STALE, "freshness statement is inconsistent");
      }
      return new Freshness(node, version, issued, expires);
    } catch (BufferUnderflowException e) {
      throw new BundleException(Reason.STALE, "freshness statement is truncated");
    }
  }

  /** Decodes the {@link #HEADER} header value. */
  public static Freshness verifyHeader(String header, byte[] serverPublicKey)
      throws BundleException {
    if (header == null) {
      throw new BundleException(Reason.STALE, "answer carries no freshness statement");
    }
    if (header.length() > MAX_BYTES * 4 / 3 + 4) {
      throw new BundleException(Reason.STALE, "freshness header is too long");
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(header.strip());
    } catch (IllegalArgumentException e) {
      throw new BundleException(Reason.STALE, "freshness header is not base64");
    }
    return verifyAndDecode(bytes, serverPublicKey);
  }
}
