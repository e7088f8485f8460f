package dev.tessera.server.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryReader;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.registry.AuthKeySpec;
import dev.tessera.registry.Database;
import dev.tessera.registry.Enrollment;
import dev.tessera.registry.Node;
import dev.tessera.registry.PolicyChecks;
import dev.tessera.registry.Registry;
import dev.tessera.registry.RegistryConfig;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry as the compiler's inventory, directly and through the exported file. */
class RegistryInventoryTest {
  @TempDir Path dir;

  private static String key() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return Base64.getEncoder().encodeToString(k);
  }

  @Test
  void exportReadsBackAsTheSameInventoryAndExpiredNodesAreLeftOut() throws Exception {
    PolicyChecks checks =
        new PolicyChecks((u, t) -> u.equals("admin@example.com"), (r, u, t) -> true);
    try (Registry r =
        new Registry(
            Database.open(dir.resolve("r.db").toString()),
            RegistryConfig.defaults(),
            Clock.systemUTC())) {
      String user =
          r.createAuthKey(
                  "cli",
                  new AuthKeySpec(
                      "alice@example.com", List.of(), true, false, Optional.empty(), false),
                  checks.tags())
              .secret();
      String tagged =
          r.createAuthKey(
                  "cli",
                  new AuthKeySpec(
                      "admin@example.com",
                      List.of("tag:server"),
                      true,
                      false,
                      Optional.empty(),
                      false),
                  checks.tags())
              .secret();
      Node laptop = r.enroll(new Enrollment(user, key(), "laptop", List.of(), false), checks);
      r.report(laptop.publicKey(), List.of("192.0.2.7:41641"), Map.of("node:os", "linux"));
      r.enroll(new Enrollment(tagged, key(), "db", List.of("10.9.0.0/16"), true), checks);
      r.enroll(new Enrollment(user, key(), "old", List.of(), false), checks);
      r.expire("cli", "old");

      Instant now = Instant.now().plusSeconds(1);
      Inventory direct = RegistryInventory.inventory(r.nodes(), now);
      assertThat(direct.nodes()).extracting(n -> n.name()).containsExactly("db", "laptop");
      assertThat(direct.node("db").orElseThrow().routes())
          .hasSize(3); // 10.9.0.0/16 and the exit routes
      assertThat(direct.node("db").orElseThrow().isTagged()).isTrue();
      assertThat(direct.node("laptop").orElseThrow().key()).contains(laptop.publicKey());
      assertThat(direct.node("laptop").orElseThrow().posture()).containsKey("node:os");

      String json = RegistryInventory.exportJson(r.nodes(), now);
      Diagnostics diags = new Diagnostics();
      Inventory read = InventoryReader.read("export.json", json, diags);
      assertThat(diags.hasErrors()).as(json).isFalse();
      assertThat(read).isEqualTo(direct);
      assertThat(json).doesNotContain("old").doesNotContain("192.0.2.7");
    }
  }

  @Test
  void aRegistryWithoutNodesIsAnEmptyInventory() {
    assertThat(RegistryInventory.inventory(List.of(), Instant.now())).isEqualTo(Inventory.EMPTY);
    assertThat(
            InventoryReader.read(
                "e.json",
                RegistryInventory.exportJson(List.of(), Instant.now()),
                new Diagnostics()))
        .isEqualTo(Inventory.EMPTY);
  }
}
