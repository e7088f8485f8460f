package dev.tessera.bundle;

import dev.tessera.bundle.BundleException.Reason;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.enforcer.format.FilterFormatException;

/**
 * The agent's gate for bundles: only a bundle that is signed by the configured server, addressed to
 * this node, newer than the one in force, whose hash matches its filter and whose filter is valid,
 * is returned. Every other input is refused with a reason and changes nothing.
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
  public record Verified(NodeBundle bundle, CompiledFilter filter) {}

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
    if (!NodeBundle.hashOf(filterBytes).equals(bundle.contentHash())) {
      throw new BundleException(
          Reason.HASH_MISMATCH, "bundle content hash does not match its filter");
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
    return new Verified(bundle, filter);
  }
}
