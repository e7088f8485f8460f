package dev.tessera.bundle;

import dev.tessera.bundle.BundleException.Reason;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.enforcer.format.FilterFormatException;
import dev.tessera.enforcer.format.Peer;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The agent's gate for bundles: only a bundle that is signed by the configured server, addressed to
 * this node, newer than the one in force, whose hash matches its content, whose filter is valid and
 * whose endpoints each belong to a peer of that filter with a usable key, is returned. Every other
 * input is refused with a reason and changes nothing.
 */
public final class BundleVerifier {
  private final byte[] serverPublicKey;
  private final String node;

  public BundleVerifier(byte[] serverPublicKey, String node) {
    if (serverPublicKey.length != 32) {
      throw new IllegalArgumentException("server key must be 32 bytes");
    }
    this.serverPublicKey = serverPublicKey.clone();
    this.node = node;
  }

  /** A bundle that passed every check, with its decoded filter. */
  public record Verified(NodeBundle bundle, CompiledFilter filter) {
    /**
     * The node's WireGuard peers: every filter peer with a usable key (32 bytes of base64), with
     * its endpoints from the bundle (none when the bundle has none for it), in the filter's order.
     * A filter peer without a usable key cannot be a WireGuard peer and is left out.
     */
    public List<BundlePeer> peers() {
      Map<String, List<InetSocketAddress>> eps = new HashMap<>();
      for (PeerEndpoints e : bundle.endpoints()) {
        eps.put(e.peer(), e.endpoints());
      }
      List<BundlePeer> out = new ArrayList<>(filter.peers().size());
      for (Peer p : filter.peers()) {
        if (usableKey(p.publicKey())) {
          out.add(
              new BundlePeer(
                  p.name(),
                  p.publicKey().strip(),
                  p.addresses(),
                  p.routes(),
                  eps.getOrDefault(p.name(), List.of())));
        }
      }
      return List.copyOf(out);
    }
  }

  /** Whether {@code base64} is a WireGuard public key: 32 bytes in base64. */
  public static boolean usableKey(String base64) {
    if (base64 == null) {
      return false;
    }
    try {
      return Base64.getDecoder().decode(base64.strip()).length == 32;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * @param heldVersion the version of the bundle in force, or 0 when none is; the new bundle must
   *     be strictly newer (a replay of the current bundle is refused too)
   */
  public Verified verify(byte[] bytes, long heldVersion) throws BundleException {
    NodeBundle bundle = BundleCodec.verifyAndDecode(bytes, serverPublicKey);
    if (!bundle.node().equals(node)) {
      throw new BundleException(
          Reason.WRONG_NODE, "bundle is for node " + bundle.node() + ", this is " + node);
    }
    if (bundle.version() <= heldVersion) {
      throw new BundleException(
          Reason.ROLLBACK,
          "bundle version "
              + bundle.version()
              + " is not newer than the held version "
              + heldVersion);
    }
    byte[] filterBytes = bundle.filter();
    if (!NodeBundle.hashOf(filterBytes, bundle.endpoints()).equals(bundle.contentHash())) {
      throw new BundleException(
          Reason.HASH_MISMATCH, "bundle content hash does not match its filter and endpoints");
    }
    CompiledFilter filter;
    try {
      filter = FilterCodec.decode(filterBytes);
    } catch (FilterFormatException e) {
      throw new BundleException(Reason.BAD_FILTER, "bundle filter is invalid: " + e.getMessage());
    }
    if (!filter.node().equals(node)) {
      throw new BundleException(
          Reason.WRONG_NODE,
          "bundle filter is compiled for node " + filter.node() + ", this is " + node);
    }
    checkEndpoints(bundle, filter);
    return new Verified(bundle, filter);
  }

  /**
   * Endpoints only for peers of the filter, and only for peers with a usable key: an entry for
   * anything else would be an endpoint no WireGuard peer can take (a server bug, or bytes that are
   * not what they claim), so the whole bundle is refused rather than half applied.
   */
  private static void checkEndpoints(NodeBundle bundle, CompiledFilter filter)
      throws BundleException {
    if (bundle.endpoints().isEmpty()) {
      return;
    }
    Map<String, Peer> byName = new HashMap<>();
    for (Peer p : filter.peers()) {
      byName.putIfAbsent(p.name(), p);
    }
    for (PeerEndpoints e : bundle.endpoints()) {
      Peer p = byName.get(e.peer());
      if (p == null) {
        throw new BundleException(
            Reason.MALFORMED,
            "bundle has endpoints for '" + e.peer() + "', not a peer in its filter");
      }
      if (!usableKey(p.publicKey())) {
        throw new BundleException(
            Reason.MALFORMED,
            "bundle has endpoints for peer '" + e.peer() + "', which has no usable public key");
      }
    }
  }
}
