package dev.tessera.registry;

/**
 * A key just created: {@code secret} is the full key string to hand to agents. It exists only here;
 * the registry keeps its hash.
 */
public record NewAuthKey(AuthKey key, String secret) {
  @Override
  public String toString() {
    return "NewAuthKey[" + key.id() + "]"; // never the secret
  }
}
