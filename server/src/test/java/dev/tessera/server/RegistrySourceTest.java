package dev.tessera.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.bundle.SigningKey;
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

  /** A clock the test moves. */
  static Clock clockOf(AtomicReference<Instant> now) {
    return new Clock() {
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
  }

  /**
   * Every agent's poll refreshes its node's last-seen time once a minute; that changes no bundle,
   * so it must neither raise the registry's revision (every server would read all nodes again) nor
   * recompile or re-sign anything. Key expiry and the idle-ephemeral sweep, which do change
   * bundles, still cut their node out at the next poll.
   */
  @Test
  void aLastSeenRefreshChangesNothingServedWhileExpiryAndIdleDeletionStillApply() throws Exception {
    AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    Clock clock = clockOf(now);
    java.nio.file.Files.writeString(
        dir.resolve("policy.hujson"),
        """
        {"acls": [{"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]}]}
        """);
    try (Registry r =
            new Registry(
                Database.open(dir.resolve("r.db").toString()),
                new RegistryConfig(
                    RegistryConfig.DEFAULT_IPV4, RegistryConfig.DEFAULT_IPV6, Duration.ofHours(1)),
                clock);
        AuditLog audit = new AuditLog(dir.resolve("audit.jsonl"))) {
      ServerStatus status = new ServerStatus();
      BundleStore store = new BundleStore(SigningKey.fromSeed(new byte[32]), dir.resolve("state"));
      RegistrySource source = new RegistrySource(r, clock);
      CompileLoop loop =
          new CompileLoop(
              PolicySource.file(dir.resolve("policy.hujson")), source, store, audit, status);
      String reusable = key(r, false);
      String ephemeral = key(r, true);
      String a = key();
      r.enroll(new Enrollment(reusable, a, "a", List.of(), false), PolicyChecks.NONE);
      r.report(a, List.of("192.0.2.1:41641"), java.util.Map.of("node:os", "linux"));
      now.set(now.get().plus(Duration.ofMinutes(10)));
      String b = key();
      r.enroll(new Enrollment(reusable, b, "b", List.of(), false), PolicyChecks.NONE);
      String c = key();
      r.enroll(new Enrollment(ephemeral, c, "c", List.of(), false), PolicyChecks.NONE);
      loop.poll();
      assertThat(store.nodes()).containsExactly("a", "b", "c");
      String compiled = status.revision();
      long registryRevision = r.revision();
      PolicySource.Snapshot read = source.read();
      long signatures = store.signatureCount();
      java.util.Map<String, Long> versions = versions(store);

      // Last-seen refreshes only: a twice (an unchanged report, minutes apart), b and c once.
      for (int i = 0; i < 2; i++) {
        now.set(now.get().plus(Duration.ofMinutes(2)));
        r.report(a, List.of("192.0.2.1:41641"), java.util.Map.of("node:os", "linux"));
        r.report(b, List.of(), java.util.Map.of());
        r.report(c, List.of(), java.util.Map.of());
        loop.poll();
      }
      assertThat(r.node("a").orElseThrow().lastSeen()).contains(now.get());
      assertThat(r.revision()).as("registry revision").isEqualTo(registryRevision);
      assertThat(source.read()).as("the nodes were not read again").isSameAs(read);
      assertThat(status.revision()).as("compiled revision").isEqualTo(compiled);
      assertThat(versions(store)).isEqualTo(versions);
      assertThat(store.signatureCount()).as("bundles signed").isEqualTo(signatures);

      // a's key expires (b enrolled 10 minutes later still holds one): a leaves every bundle.
      now.set(Instant.parse("2026-01-01T01:00:01Z"));
      loop.poll();
      assertThat(store.nodes()).containsExactly("b", "c");
      assertThat(status.revision()).isNotEqualTo(compiled);

      // c, ephemeral, goes quiet while b keeps reporting: the sweep deletes c, and c is cut out.
      now.set(now.get().plus(Duration.ofMinutes(5)));
      r.report(b, List.of(), java.util.Map.of());
      assertThat(r.deleteIdleEphemeral(Duration.ofMinutes(5)))
          .extracting(dev.tessera.registry.Node::name)
          .containsExactly("c");
      loop.poll();
      assertThat(store.nodes()).containsExactly("b");
    }
  }

  private static String key(Registry r, boolean ephemeral) throws Exception {
    return r.createAuthKey(
            "cli",
            new AuthKeySpec(
                "alice@example.com", List.of(), true, ephemeral, Optional.empty(), false),
            PolicyChecks.NONE.tags())
        .secret();
  }

  private static java.util.Map<String, Long> versions(BundleStore store) {
    java.util.Map<String, Long> v = new java.util.TreeMap<>();
    for (String n : store.nodes()) {
      v.put(n, store.get(n).version());
    }
    return v;
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
