package dev.tessera.bundle;

import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * What the policy server sends one node: its compiled filter (the enforcer's binary encoding, which
 * also carries the node's peer list: each peer's key, addresses and allowed routes), where those
 * peers can be reached ({@link PeerEndpoints}), and the metadata the agent needs to refuse anything
 * but the genuine, newest bundle for itself.
 *
 * @param node the node the bundle is for; an agent refuses a bundle for another node
 * @param version strictly increasing per node; an agent refuses anything not newer than it holds
 * @param policyRevision what the filter was compiled from (a git commit, or a file's hash)
 * @param contentHash SHA-256 of {@code filter} followed by the encoded {@code endpoints} ({@link
 *     #hashOf(byte[], List)}), hex; with no endpoints, SHA-256 of the filter alone
 * @param issuedAtMillis when the server signed it (Unix epoch milliseconds)
 * @param expiresAtMillis until when the bundle is its own {@link Freshness} statement; after that
 *     the server vouches for it with a separate statement on each answer
 * @param filter the enforcer's binary compiled filter ({@code FilterCodec.encode})
 * @param endpoints the endpoints of the filter's peers that have any, sorted by peer name, one
 *     entry per peer
 */
public record NodeBundle(
    String node,
    long version,
    String policyRevision,
    String contentHash,
    long issuedAtMillis,
    long expiresAtMillis,
    byte[] filter,
    List<PeerEndpoints> endpoints) {

  public NodeBundle {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(policyRevision, "policyRevision");
    Objects.requireNonNull(contentHash, "contentHash");
    if (node.isEmpty()) {
      throw new IllegalArgumentException("node name is empty");
    }
    if (version < 1) {
      throw new IllegalArgumentException("version must be >= 1, got " + version);
    }
    if (expiresAtMillis < issuedAtMillis) {
      throw new IllegalArgumentException("bundle expires before it is issued");
    }
    filter = filter.clone();
    endpoints = List.copyOf(endpoints);
    for (int i = 1; i < endpoints.size(); i++) {
      if (endpoints.get(i - 1).peer().compareTo(endpoints.get(i).peer()) >= 0) {
        throw new IllegalArgumentException(
            "peer endpoints are not sorted by peer name without repeats at "
                + endpoints.get(i).peer());
      }
    }
  }

  /** A bundle without peer endpoints. */
  public NodeBundle(
      String node,
      long version,
      String policyRevision,
      String contentHash,
      long issuedAtMillis,
      long expiresAtMillis,
      byte[] filter) {
    this(
        node,
        version,
        policyRevision,
        contentHash,
        issuedAtMillis,
        expiresAtMillis,
        filter,
        List.of());
  }

  /** A bundle that makes no freshness claim of its own (it expires as it is issued). */
  public NodeBundle(
      String node,
      long version,
      String policyRevision,
      String contentHash,
      long issuedAtMillis,
      byte[] filter) {
    this(node, version, policyRevision, contentHash, issuedAtMillis, issuedAtMillis, filter);
  }

  @Override
  public byte[] filter() {
    return filter.clone();
  }

  /** SHA-256 of the filter bytes, hex: the content hash of a bundle without endpoints. */
  public static String hashOf(byte[] filter) {
    return hashOf(filter, List.of());
  }

  /**
   * The content hash of a bundle: SHA-256 of the filter bytes followed by the endpoints as the wire
   * format encodes them ({@link BundleCodec}), hex. Equal bundles (up to version and times) have
   * equal hashes, so a server can tell from it alone whether a node's bundle changed.
   */
  public static String hashOf(byte[] filter, List<PeerEndpoints> endpoints) {
    try {
      var sha = java.security.MessageDigest.getInstance("SHA-256");
      sha.update(filter);
      sha.update(BundleCodec.encodeEndpoints(endpoints));
      return HexFormat.of().formatHex(sha.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NodeBundle b
        && node.equals(b.node)
        && version == b.version
        && policyRevision.equals(b.policyRevision)
        && contentHash.equals(b.contentHash)
        && issuedAtMillis == b.issuedAtMillis
        && expiresAtMillis == b.expiresAtMillis
        && java.util.Arrays.equals(filter, b.filter)
        && endpoints.equals(b.endpoints);
  }

  @Override
  public int hashCode() {
    return Objects.hash(node, version, contentHash);
  }

  @Override
  public String toString() {
    return "NodeBundle[node="
        + node
        + ", version="
        + version
        + ", revision="
        + policyRevision
        + ", hash="
        + contentHash
        + ", filter="
        + filter.length
        + " bytes, "
        + endpoints.size()
        + " peers with endpoints]";
  }
}
