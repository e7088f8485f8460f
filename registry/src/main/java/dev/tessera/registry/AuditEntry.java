package dev.tessera.registry;

import java.time.Instant;
import java.util.Map;

/**
 * One change to the registry, written in the same transaction as the change: who did it ({@code
 * cli}, {@code node:NAME}, {@code server}), what ({@code node-enrolled}, {@code authkey-revoked},
 * ...), to what, and the details (never a secret).
 */
public record AuditEntry(
    long id, Instant at, String actor, String action, String subject, Map<String, Object> detail) {
  public AuditEntry {
    detail = Map.copyOf(detail);
  }
}
