package dev.tessera.bundle;

import java.util.HexFormat;
import java.util.Objects;

/**
 * What the policy server sends one node: its compiled filter (the enforcer's binary encoding, which
 * also carries the node's peer list) with the metadata the agent needs to refuse anything but the
 * genuine, newest filter for itself.
 *
 * @param node the node the bundle is for; an agent refuses a bundle for another node
 * @param version strictly increasing per node; an agent refuses anything not newer than it holds
 * @param policyRevision what the filter was compiled from (a git commit, or a file's hash)
 * @param contentHash SHA-256 of {@code filter}, hex
 * @param issuedAtMillis when the server signed it (Unix epoch milliseconds)
 * @param expiresAtMillis until when the bundle is its own {@link Freshness} statement; after that
 *     the server vouches for it with a separate statement on each answer
 * @param filter the enforcer's binary compiled filter ({@code FilterCodec.encode})
 */
public record NodeBundle(
    String node,
    long version,
    String policyRevision,
    String contentHash,
    long issuedAtMillis,
    long expiresAtMillis,
    byte[] filter) {

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

  /** SHA-256 of the filter bytes, hex, as {@link #contentHash} must be. */
  public static String hashOf(byte[] filter) {
    try {
      return HexFormat.of()
          .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(filter));
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
        && java.util.Arrays.equals(filter, b.filter);
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
        + " bytes]";
  }
}
