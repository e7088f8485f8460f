package dev.tessera.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryReader;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.registry.AuthKeySpec;
import dev.tessera.registry.Database;
import dev.tessera.registry.Enrollment;
import dev.tessera.registry.PolicyChecks;
import dev.tessera.registry.Registry;
import dev.tessera.registry.RegistryConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry as the compile loop's inventory source. */
class RegistrySourceTest {
  @TempDir Path dir;

  private static String key() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return Base64.getEncoder().encodeToString(k);
  }

  @Test
  void followsWritesAndKeyExpiryAndIsReusedOtherwise() throws Exception {
    AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    Clock clock =
        new Clock() {
          @Override
          public Instant instant() {
            return now.get();
          }

          @Override
          public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(java.time.ZoneId z) {
            return this;
          }
        };
    try (Registry r =
        new Registry(
            Database.open(dir.resolve("r.db").toString()),
            new RegistryConfig(
                RegistryConfig.DEFAULT_IPV4, RegistryConfig.DEFAULT_IPV6, Duration.ofHours(1)),
            clock)) {
      RegistrySource source = new RegistrySource(r, clock);
      PolicySource.Snapshot empty = source.read();
      assertThat(InventoryReader.read(empty.name(), empty.text(), new Diagnostics()))
          .isEqualTo(Inventory.EMPTY);
      String k =
          r.createAuthKey(
                  "cli",
                  new AuthKeySpec(
                      "alice@example.com", List.of(), true, false, Optional.empty(), false),
                  PolicyChecks.NONE.tags())
              .secret();
      r.enroll(new Enrollment(k, key(), "a", List.of(), false), PolicyChecks.NONE);
      PolicySource.Snapshot one = source.read();
      assertThat(one.revision()).isNotEqualTo(empty.revision()).startsWith("sha256:");
      assertThat(one.text()).contains("\"a\"");
      assertThat(source.read()).isSameAs(one);
      now.set(now.get().plus(Duration.ofMinutes(61))); // a's key expired: it leaves the inventory
      PolicySource.Snapshot expired = source.read();
      assertThat(expired.text()).isEqualTo(empty.text());
      assertThat(expired.revision()).isEqualTo(empty.revision());
      assertThat(source.describe()).startsWith("registry ");
    }
  }

  @Test
  void anUnreadableDatabaseIsAnIOException() throws Exception {
    Registry r =
        new Registry(
            Database.open(dir.resolve("r.db").toString()),
            RegistryConfig.defaults(),
            Clock.systemUTC());
    RegistrySource source = new RegistrySource(r, Clock.systemUTC());
    r.close();
    assertThatThrownBy(source::read)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("registry database");
  }
}
