package dev.tessera.bundle;

import dev.tessera.bundle.BundleException.Reason;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Authenticates a node's requests to the policy server with the node's WireGuard key.
 *
 * <p>A WireGuard key is an X25519 key, which can agree on a secret but cannot sign. So a request
 * carries an HMAC-SHA256 authenticator keyed by the Diffie-Hellman secret between the node's
 * private key and the server's key (the server's Ed25519 key in its X25519 form, see
 * {@link Curve25519}). Only the node and the server can compute it; the server needs nothing but
 * the public key listed for the node in the inventory, and the node needs nothing but its own
 * WireGuard private key and the server's public key ({@code ServerKey =}). The authenticator
 * covers method, path, node, timestamp, a random nonce and the SHA-256 of the body; the server
 * refuses timestamps outside {@link #WINDOW_MILLIS} of its clock and nonces it has seen inside
 * that window, so a captured request cannot be replayed.
 */
public final class NodeAuth {
  /** How far a request's timestamp may be from the server's clock. */
  public static final long WINDOW_MILLIS = 60_000;

  public static final String HEADER_NODE = "X-Tessera-Node";
  public static final String HEADER_TIME = "X-Tessera-Time";
  public static final String HEADER_NONCE = "X-Tessera-Nonce";
  public static final String HEADER_AUTH = "X-Tessera-Auth";

  private static final byte[] LABEL = "tessera node auth v1".getBytes(StandardCharsets.US_ASCII);

  private NodeAuth() {}

  /** The headers of one authenticated request. */
  public record Headers(String node, long timeMillis, String nonce, String auth) {
    public Map<String, String> asMap() {
      return Map.of(HEADER_NODE, node, HEADER_TIME, Long.toString(timeMillis), HEADER_NONCE, nonce, HEADER_AUTH, auth);
    }
  }

  /** The node's side: signs requests with its WireGuard private key. */
  public static final class Signer {
    private final String node;
    private final byte[] macKey;
    private final SecureRandom random = new SecureRandom();

    /**
     * @param wireguardPrivateKey the node's 32-byte X25519 private key (wg-quick's PrivateKey)
     * @param serverPublicKey the server's 32-byte Ed25519 public key (ServerKey)
     */
    public Signer(String node, byte[] wireguardPrivateKey, byte[] serverPublicKey) {
      this.node = node;
      byte[] shared = Curve25519.dh(wireguardPrivateKey, Curve25519.edwardsToMontgomery(serverPublicKey));
      if (shared == null) {
        throw new IllegalArgumentException("server key gives a degenerate shared secret");
      }
      this.macKey = deriveKey(shared);
    }

    public Headers sign(String method, String path, byte[] body, long nowMillis) {
      byte[] nonceBytes = new byte[16];
      random.nextBytes(nonceBytes);
      String nonce = HexFormat.of().formatHex(nonceBytes);
      return new Headers(node, nowMillis, nonce, mac(macKey, method, path, node, nowMillis, nonce, body));
    }
  }

  /** The server's side: checks requests against the nodes' public keys, refusing replays. */
  public static final class Authenticator {
    private final byte[] serverScalar;
    private final Function<String, byte[]> nodeKeys;
    /**
     * Nonce -> the time after which the request's timestamp would be refused anyway, in arrival
     * order. Pruned from the head, so the cost per request stays constant; an expired entry behind
     * a live one only waits a little longer.
     */
    private final LinkedHashMap<String, Long> seen = new LinkedHashMap<>();
    private final int maxRemembered;

    /**
     * @param nodeKeys the node's 32-byte WireGuard public key, or null for an unknown node or one
     *     without a key (looked up per request, so inventory changes apply at once)
     * @param maxRemembered bound on the replay cache; when full, requests are refused (fail closed)
     *     until old nonces age out of the window
     */
    public Authenticator(SigningKey serverKey, Function<String, byte[]> nodeKeys, int maxRemembered) {
      this.serverScalar = serverKey.x25519Scalar();
      this.nodeKeys = nodeKeys;
      this.maxRemembered = maxRemembered;
    }

    /** Returns the authenticated node name. */
    public String authenticate(String method, String path, byte[] body, Map<String, String> headers, long nowMillis)
        throws BundleException {
      String node = headers.get(HEADER_NODE);
      String time = headers.get(HEADER_TIME);
      String nonce = headers.get(HEADER_NONCE);
      String auth = headers.get(HEADER_AUTH);
      if (node == null || time == null || nonce == null || auth == null) {
        throw new BundleException(Reason.BAD_AUTH, "request is not authenticated (missing X-Tessera-* headers)");
      }
      long timeMillis;
      try {
        timeMillis = Long.parseLong(time);
      } catch (NumberFormatException e) {
        throw new BundleException(Reason.BAD_AUTH, "request timestamp is not a number");
      }
      if (Math.abs(nowMillis - timeMillis) > WINDOW_MILLIS) {
        throw new BundleException(Reason.REPLAYED, "request timestamp is outside the accepted window");
      }
      if (nonce.length() != 32) {
        throw new BundleException(Reason.BAD_AUTH, "request nonce must be 16 bytes of hex");
      }
      byte[] nodeKey = nodeKeys.apply(node);
      if (nodeKey == null || nodeKey.length != 32) {
        throw new BundleException(Reason.UNKNOWN_NODE, "unknown node or node without a key: " + node);
      }
      byte[] shared = Curve25519.dh(serverScalar, nodeKey);
      if (shared == null) {
        throw new BundleException(Reason.BAD_AUTH, "node key gives a degenerate shared secret");
      }
      byte[] key = deriveKey(shared);
      String expected = mac(key, method, path, node, timeMillis, nonce, body);
      Arrays.fill(key, (byte) 0);
      if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), auth.getBytes(StandardCharsets.US_ASCII))) {
        throw new BundleException(Reason.BAD_AUTH, "request authenticator does not verify for node " + node);
      }
      synchronized (seen) {
        var it = seen.values().iterator();
        while (it.hasNext() && it.next() < nowMillis) {
          it.remove();
        }
        if (seen.containsKey(nonce)) {
          throw new BundleException(Reason.REPLAYED, "request nonce was already used");
        }
        if (seen.size() >= maxRemembered) {
          throw new BundleException(Reason.REPLAYED, "too many requests in the replay window; retry later");
        }
        seen.put(nonce, timeMillis + WINDOW_MILLIS);
      }
      return node;
    }
  }

  private static byte[] deriveKey(byte[] shared) {
    try {
      Mac hmac = Mac.getInstance("HmacSHA256");
      hmac.init(new SecretKeySpec(shared, "HmacSHA256"));
      return hmac.doFinal(LABEL);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required by every Java platform", e);
    } finally {
      Arrays.fill(shared, (byte) 0);
    }
  }

  private static String mac(byte[] key, String method, String path, String node, long time, String nonce, byte[] body) {
    try {
      Mac hmac = Mac.getInstance("HmacSHA256");
      hmac.init(new SecretKeySpec(key, "HmacSHA256"));
      String head = method + "\n" + path + "\n" + node + "\n" + time + "\n" + nonce + "\n";
      hmac.update(head.getBytes(StandardCharsets.UTF_8));
      hmac.update(MessageDigest.getInstance("SHA-256").digest(body));
      return Base64.getEncoder().encodeToString(hmac.doFinal());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 and SHA-256 are required by every Java platform", e);
    }
  }

  /** The X25519 public key of a WireGuard private key, as {@code wg pubkey} prints it. */
  public static String wireguardPublicKey(byte[] privateKey) {
    return Base64.getEncoder().encodeToString(Curve25519.publicOf(privateKey));
  }
}
