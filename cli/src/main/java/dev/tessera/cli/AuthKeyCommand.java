package dev.tessera.cli;

import dev.tessera.registry.AuthKey;
import dev.tessera.registry.Registry;
import dev.tessera.registry.RegistryException;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code policyc authkey}: the registry's auth keys (never their secrets, which are not stored).
 */
@Command(
    name = "authkey",
    mixinStandardHelpOptions = true,
    description = {
      "List or revoke the control plane's auth keys.",
      "The registry keeps only a hash of each secret, so no command can show one again."
    },
    subcommands = {AuthKeyCommand.ListKeys.class, AuthKeyCommand.Revoke.class})
final class AuthKeyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return PolicyC.USAGE;
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List the auth keys: id, user, tags, kind, expiry, uses, state.")
  static final class ListKeys extends NodesCommand.DbOption implements Callable<Integer> {
    @Override
    public Integer call() {
      try (Registry r = NodesCommand.open(db)) {
        Instant now = Instant.now();
        out()
            .printf(
                "%-20s %-24s %-24s %-20s %-24s %-5s %s%n",
                "ID", "USER", "TAGS", "KIND", "EXPIRY", "USES", "STATE");
        for (AuthKey k : r.authKeys()) {
          String state =
              k.revoked().isPresent()
                  ? "revoked"
                  : k.expiry().map(e -> !e.isAfter(now)).orElse(false)
                      ? "expired"
                      : !k.reusable() && k.uses() > 0 ? "used" : "valid";
          out()
              .printf(
                  "%-20s %-24s %-24s %-20s %-24s %-5d %s%n",
                  k.id(),
                  k.user(),
                  k.tags().isEmpty() ? "-" : String.join(",", k.tags()),
                  (k.reusable() ? "reusable" : "one-off") + (k.ephemeral() ? ",ephemeral" : ""),
                  k.expiry().map(Instant::toString).orElse("never"),
                  k.uses(),
                  state);
        }
        return PolicyC.OK;
      } catch (RegistryException e) {
        throw NodesCommand.failure(e);
      }
    }
  }

  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description = "Revoke an auth key: no node can enroll with it any more.")
  static final class Revoke extends NodesCommand.DbOption implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID", description = "The key's id (from authkey list).")
    String id;

    @Override
    public Integer call() {
      try (Registry r = NodesCommand.open(db)) {
        out().println(r.revokeAuthKey(actor, id).id() + " revoked");
        return PolicyC.OK;
      } catch (RegistryException e) {
        throw NodesCommand.failure(e);
      }
    }
  }
}
