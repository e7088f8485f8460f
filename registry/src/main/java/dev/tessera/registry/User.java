package dev.tessera.registry;

import java.time.Instant;

/**
 * A user that owns nodes and auth keys, named as the policy names users ({@code
 * alice@example.com}).
 */
public record User(long id, String name, Instant created) {}
