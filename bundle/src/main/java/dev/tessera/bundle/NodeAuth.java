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
 * private key and the server's key (the server's Ed25519 key in its X25519 form, see {@link
 * Curve25519}). Only the node and the server can compute it; the server needs nothing but the
 * public key listed for the node in the inventory, and the node needs nothing but its own WireGuard
 * private key and the server's public key ({@code ServerKey =}). The authenticator covers method,
 * path, node, timestamp, a random nonce and the SHA-256 of the body; the server refuses timestamps
 * outside {@link #WINDOW_MILLIS} of its clock and nonces it has seen inside that window, so a
 * captured request cannot be replayed.
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
      return Map.of(
          HEADER_NODE,
          node,
          HEADER_TIME,
          Long.toString(timeMillis),
          HEADER_NONCE,
          nonce,
          HEADER_AUTH,
          auth);
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
      byte[] shared =
          Curve25519.dh(wireguardPrivateKey, Curve25519.edwardsToMontgomery(serverPublicKey));
      if (shared == null) {
        throw new IllegalArgumentException("server key gives a degenerate shared secret");
      }
      this.macKey = deriveKey(shared);
    }

    public Headers sign(String method, String path, byte[] body, long nowMillis) {
      byte[] nonceBytes = new byte[16];
      random.nextBytes(nonceBytes);
      String nonce = HexFormat.of().formatHex(nonceBytes);
      return new Headers(
          node, nowMillis, nonce, mac(macKey, method, path, node, nowMillis, nonce, body));
    }
  }

  /**
   * The server's side: checks requests against the nodes' public keys, refusing replays.
   *
   * <p>Cost control (a flood of forged requests must not cost a Diffie-Hellman each): the MAC key
   * of a node is derived once per node key and cached, so a request is checked with one HMAC and no
   * DH, and a request for an unknown node costs a map lookup. The DH runs only the first time a
   * node's key is seen (at most once per inventory key, which only the operator can add). Nonces
   * are remembered per node, each node with its own bound, so a node that floods requests locks out
   * only itself, never another node.
   */
  public static final class Authenticator {
    private final byte[] serverScalar;
    private final Function<String, byte[]> nodeKeys;

    /** Node -> its public key and the MAC key derived from it. */
    private final java.util.concurrent.ConcurrentHashMap<String, DerivedKey> macKeys =
        new java.util.concurrent.ConcurrentHashMap<>();

    /** Node -> that node's nonce window. */
    private final java.util.concurrent.ConcurrentHashMap<String, NonceWindow> windows =
        new java.util.concurrent.ConcurrentHashMap<>();

    private final int maxPerNode;

    /**
     * Bound on the derived-key cache and on the nonce windows kept. Where any key may sign (the
     * enrollment endpoint, which authenticates the key being registered), every forged request
     * brings a new key: at the bound the cache starts afresh (it is only a cache) and windows whose
     * nonces have all aged out are dropped (their requests would be refused by time anyway).
     */
    static final int MAX_TRACKED_NODES = 1 << 17;

    private final int maxTracked;

    /** Entries in the derived-key cache and nonce windows (tests). */
    int tracked() {
      return Math.max(macKeys.size(), windows.size());
    }

    private record DerivedKey(byte[] nodeKey, byte[] macKey) {}

    /**
     * Nonce -> the time after which the request's timestamp would be refused anyway, in arrival
     * order. Pruned from the head, so the cost per request stays constant; an expired entry behind
     * a live one only waits a little longer.
     */
    private static final class NonceWindow {
      final LinkedHashMap<String, Long> seen = new LinkedHashMap<>();
    }

    /**
     * @param nodeKeys the node's 32-byte WireGuard public key, or null for an unknown node or one
     *     without a key (looked up per request, so inventory changes apply at once)
     * @param maxPerNode bound on each node's replay window; when a node's window is full, that
     *     node's requests are refused (fail closed) until its old nonces age out
     */
    public Authenticator(SigningKey serverKey, Function<String, byte[]> nodeKeys, int maxPerNode) {
      this(serverKey, nodeKeys, maxPerNode, MAX_TRACKED_NODES);
    }

    Authenticator(
        SigningKey serverKey, Function<String, byte[]> nodeKeys, int maxPerNode, int maxTracked) {
      this.maxTracked = maxTracked;
      this.serverScalar = serverKey.x25519Scalar();
      this.nodeKeys = nodeKeys;
      this.maxPerNode = maxPerNode;
    }

    /** Returns the authenticated node name. */
    public String authenticate(
        String method, String path, byte[] body, Map<String, String> headers, long nowMillis)
        throws BundleException {
      String node = headers.get(HEADER_NODE);
      String time = headers.get(HEADER_TIME);
      String nonce = headers.get(HEADER_NONCE);
      String auth = headers.get(HEADER_AUTH);
      if (node == null || time == null || nonce == null || auth == null) {
        throw new BundleException(
            Reason.BAD_AUTH, "request is not authenticated (missing X-Tessera-* headers)");
      }
      long timeMillis;
      try {
        timeMillis = Long.parseLong(time);
      } catch (NumberFormatException e) {
        throw new BundleException(Reason.BAD_AUTH, "request timestamp is not a number");
      }
      if (Math.abs(nowMillis - timeMillis) > WINDOW_MILLIS) {
        throw new BundleException(
            Reason.REPLAYED, "request timestamp is outside the accepted window");
      }
      if (nonce.length() != 32 || auth.length() != 44) {
        throw new BundleException(
            Reason.BAD_AUTH, "request nonce or authenticator has the wrong length");
      }
      byte[] nodeKey = nodeKeys.apply(node);
      if (nodeKey == null || nodeKey.length != 32) {
        throw new BundleException(
            Reason.UNKNOWN_NODE, "unknown node or node without a key: " + node);
      }
      byte[] key = macKey(node, nodeKey);
      String expected = mac(key, method, path, node, timeMillis, nonce, body);
      if (!MessageDigest.isEqual(
          expected.getBytes(StandardCharsets.US_ASCII), auth.getBytes(StandardCharsets.US_ASCII))) {
        throw new BundleException(
            Reason.BAD_AUTH, "request authenticator does not verify for node " + node);
      }
      if (windows.size() >= maxTracked && !windows.containsKey(node)) {
        windows
            .values()
            .removeIf(
                old -> {
                  synchronized (old) {
                    return old.seen.values().stream().allMatch(t -> t < nowMillis);
                  }
                });
      }
      NonceWindow w = windows.computeIfAbsent(node, k -> new NonceWindow());
      synchronized (w) {
        var it = w.seen.values().iterator();
        while (it.hasNext() && it.next() < nowMillis) {
          it.remove();
        }
        if (w.seen.containsKey(nonce)) {
          throw new BundleException(Reason.REPLAYED, "request nonce was already used");
        }
        if (w.seen.size() >= maxPerNode) {
          throw new BundleException(
              Reason.REPLAYED, "too many requests from node " + node + " in the replay window");
        }
        w.seen.put(nonce, timeMillis + WINDOW_MILLIS);
      }
      return node;
    }

    /** The node's MAC key, derived by DH once per node key (a changed key is derived again). */
    private byte[] macKey(String node, byte[] nodeKey) throws BundleException {
      DerivedKey d = macKeys.get(node);
      if (d != null && Arrays.equals(d.nodeKey, nodeKey)) {
        return d.macKey;
      }
      byte[] shared = Curve25519.dh(serverScalar, nodeKey);
      if (shared == null) {
        throw new BundleException(Reason.BAD_AUTH, "node key gives a degenerate shared secret");
      }
      byte[] key = deriveKey(shared);
      if (macKeys.size() >= maxTracked) {
        macKeys.clear();
      }
      macKeys.put(node, new DerivedKey(nodeKey.clone(), key));
      return key;
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

  private static String mac(
      byte[] key, String method, String path, String node, long time, String nonce, byte[] body) {
    try {
      Mac hmac = Mac.getInstance("HmacSHA256");
      hmac.init(new SecretKeySpec(key, "HmacSHA256"));
      String head = method + "\n" + path + "\n" + node + "\n" + time + "\n" + nonce + "\n";
      hmac.update(head.getBytes(StandardCharsets.UTF_8));
      hmac.update(MessageDigest.getInstance("SHA-256").digest(body));
      return Base64.getEncoder().encodeToString(hmac.doFinal());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(
          "HmacSHA256 and SHA-256 are required by every Java platform", e);
    }
  }

  /** The X25519 public key of a WireGuard private key, as {@code wg pubkey} prints it. */
  public static String wireguardPublicKey(byte[] privateKey) {
    return Base64.getEncoder().encodeToString(Curve25519.publicOf(privateKey));
  }
}
