package dev.tessera.server.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryUser;
import dev.tessera.compiler.inventory.Role;
import dev.tessera.policy.Policies;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.registry.PolicyChecks;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** tagOwners and autoApprovers of a real policy as the registry's checks. */
class PolicyControlTest {
  private static final String POLICY =
      """
      {
        "groups": {"group:ops": ["olga@example.com"], "group:eng": ["erik@example.com"]},
        "tagOwners": {
          "tag:server": ["group:ops"],
          "tag:exit": ["tag:server"],
          "tag:admin-only": ["autogroup:admin"],
        },
        "autoApprovers": {
          "routes": {"10.1.0.0/16": ["group:eng", "tag:server"]},
          "exitNode": ["tag:exit"],
        },
        "acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"]}],
      }
      """;

  private static PolicyChecks checks() {
    Policy p = Policies.read("policy.hujson", POLICY, Syntax.HUJSON).policy().orElseThrow();
    Inventory inv =
        new Inventory(
            List.of(new InventoryUser("ada@example.com", Role.ADMIN, SourceSpan.NONE)), List.of());
    return PolicyControl.checks(p, inv);
  }

  @ParameterizedTest
  @CsvSource({
    "olga@example.com, tag:server, true",
    "olga@example.com, tag:exit, true", // owns tag:server, which owns tag:exit
    "erik@example.com, tag:server, false",
    "erik@example.com, tag:undefined, false",
    "ada@example.com, tag:admin-only, true", // autogroup:admin by the inventory's role
    "olga@example.com, tag:admin-only, false",
  })
  void tagOwners(String user, String tag, boolean owns) {
    assertThat(checks().tags().owns(user, tag)).isEqualTo(owns);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "10.1.2.0/24 | erik@example.com | | true",
        "10.1.0.0/16 | erik@example.com | | true",
        "10.0.0.0/8 | erik@example.com | | false",
        "10.1.2.0/24 | olga@example.com | | false",
        "10.1.2.0/24 | olga@example.com | tag:server | true",
        "10.1.2.0/24 | erik@example.com | tag:exit | false",
        "0.0.0.0/0 | olga@example.com | tag:exit | true",
        "::/0 | olga@example.com | tag:exit | true",
        "0.0.0.0/0 | erik@example.com | | false",
      })
  void autoApprovers(String route, String user, String tag, boolean approved) {
    List<String> tags = tag == null ? List.of() : List.of(tag);
    assertThat(checks().routes().approves(route, Optional.of(user), tags)).isEqualTo(approved);
  }
}
