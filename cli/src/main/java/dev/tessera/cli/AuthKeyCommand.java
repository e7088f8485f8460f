package dev.tessera.cli;

import dev.tessera.registry.AuthKey;
import dev.tessera.registry.AuthKeySpec;
import dev.tessera.registry.NewAuthKey;
import dev.tessera.registry.PolicyChecks;
import dev.tessera.registry.Registry;
import dev.tessera.registry.RegistryException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code policyc authkey}: the registry's auth keys (never their secrets, which are not stored).
 */
@Command(
    name = "authkey",
    mixinStandardHelpOptions = true,
    description = {
      "Create, list or revoke the control plane's auth keys.",
      "The registry keeps only a hash of each secret: create shows it once, nothing shows it again."
    },
    subcommands = {
      AuthKeyCommand.Create.class,
      AuthKeyCommand.ListKeys.class,
      AuthKeyCommand.Revoke.class
    })
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
      try (Registry r = open()) {
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
  static final class Revoke extends NodesCommand.ChangeOption implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID", description = "The key's id (from authkey list).")
    String id;

    @Override
    public Integer call() {
      try (Registry r = open()) {
        out().println(r.revokeAuthKey(actor, id).id() + " revoked");
        return PolicyC.OK;
      } catch (RegistryException e) {
        throw NodesCommand.failure(e);
      }
    }
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = {
        "Create an auth key and print it once on stdout (the registry keeps only its hash).",
        "--user U: the key's nodes belong to U. --tags: they belong to the tags, each of which",
        "the --as user (the key's creator) must own under the policy's tagOwners, now and",
        "whenever the key is used. The policy is the one the registry holds (stored by the",
        "compiling policyc serve, on PostgreSQL), else --policy FILE; given both, each tag must",
        "be owned under both."
      })
  static final class Create extends NodesCommand.ChangeOption implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Owner owner;

    static final class Owner {
      @Option(
          names = "--user",
          required = true,
          paramLabel = "USER",
          description = "The user whose devices enroll with the key (alice@example.com).")
      String user;

      @Option(
          names = "--tags",
          required = true,
          split = ",",
          paramLabel = "TAG",
          description = "Tags for the nodes that enroll with the key, comma-separated.")
      List<String> tags;
    }

    @Option(names = "--reusable", description = "Any number of nodes may enroll (default: one).")
    boolean reusable;

    @Option(
        names = "--ephemeral",
        description = "Nodes enrolled with it are deleted when they stop polling.")
    boolean ephemeral;

    @Option(
        names = "--expiry",
        paramLabel = "DURATION",
        defaultValue = "24h",
        description =
            "How long the key can be used: Ns, Nm, Nh, Nd, or never (default ${DEFAULT-VALUE}).")
    String expiry;

    @Option(
        names = "--pre-approved-routes",
        description = "Routes its nodes advertise are approved without an administrator.")
    boolean preApprovedRoutes;

    @Option(
        names = "--policy",
        paramLabel = "FILE",
        description =
            "The policy whose tagOwners decide (the one policyc serve serves); needed with --tags"
                + " when the registry holds no policy (SQLite), else checked as well.")
    Path policy;

    @Override
    public Integer call() {
      Optional<Duration> lifetime = lifetime(expiry);
      boolean tagged = owner.tags != null;
      try (Registry r = open()) {
        TagPolicy tagPolicy = tagged ? TagPolicy.of("--tags", policy, r, err()) : null;
        PolicyChecks.TagOwnership owners = tagged ? tagPolicy.owners() : PolicyChecks.NONE.tags();
        NewAuthKey k;
        try {
          k =
              r.createAuthKey(
                  actor,
                  new AuthKeySpec(
                      tagged ? actor : owner.user,
                      tagged ? owner.tags : List.of(),
                      reusable,
                      ephemeral,
                      lifetime,
                      preApprovedRoutes),
                  owners);
        } catch (RegistryException e) {
          throw tagged ? tagPolicy.failure(e, actor, owner.tags) : NodesCommand.failure(e);
        }
        AuthKey key = k.key();
        err()
            .println(
                "auth key "
                    + key.id()
                    + " for "
                    + (key.tags().isEmpty() ? key.user() : String.join(",", key.tags()))
                    + ", "
                    + (key.reusable() ? "reusable" : "one-off")
                    + (key.ephemeral() ? ", ephemeral" : "")
                    + ", expires "
                    + key.expiry().map(Instant::toString).orElse("never")
                    + "; shown once, keep it secret:");
        err().flush();
        out().println(k.secret());
        return PolicyC.OK;
      }
    }

    /** {@code 90s}, {@code 30m}, {@code 24h}, {@code 7d} or {@code never}. */
    static Optional<Duration> lifetime(String text) {
      if (text.equals("never")) {
        return Optional.empty();
      }
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("([0-9]{1,9})([smhd])").matcher(text);
      if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
        throw new UserError(
            "--expiry '" + text + "' is not a positive duration: use Ns, Nm, Nh, Nd or never");
      }
      long n = Long.parseLong(m.group(1));
      return Optional.of(
          switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
          });
    }
  }
}
