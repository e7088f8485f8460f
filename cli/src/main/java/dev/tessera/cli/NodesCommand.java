package dev.tessera.cli;

import dev.tessera.registry.Node;
import dev.tessera.registry.Registry;
import dev.tessera.registry.RegistryException;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code policyc nodes}: the registry's nodes, listed and changed through its transactional API.
 */
@Command(
    name = "nodes",
    mixinStandardHelpOptions = true,
    description = {
      "List, rename, expire or delete the nodes of the control plane's registry.",
      "Every change is one registry transaction with its audit entry; servers sharing a PostgreSQL",
      "database pick it up by NOTIFY."
    },
    subcommands = {
      NodesCommand.ListNodes.class,
      NodesCommand.Rename.class,
      NodesCommand.Expire.class,
      NodesCommand.Delete.class
    })
final class NodesCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return PolicyC.USAGE;
  }

  /** The registry behind {@code --db}; an unreachable database is a one-line usage error. */
  static Registry open(String db) {
    try {
      return Registry.open(db);
    } catch (RegistryException e) {
      throw failure(e);
    }
  }

  /** A registry refusal as the user sees it: database trouble exits 2, a refused request 1. */
  static UserError failure(RegistryException e) {
    int code = e.code() == RegistryException.Code.DATABASE ? PolicyC.USAGE : PolicyC.FAILED;
    return new UserError(e.code().wire() + ": " + e.getMessage(), code);
  }

  abstract static class DbOption {
    @Spec CommandSpec spec;

    @Option(
        names = "--db",
        required = true,
        paramLabel = "URL",
        description =
            "The registry: a SQLite file (PATH or sqlite:PATH) or postgresql://USER@HOST:PORT/DB.")
    String db;

    @Option(
        names = "--as",
        paramLabel = "USER",
        defaultValue = "cli",
        description =
            "Who the audit trail records as making the change (default: ${DEFAULT-VALUE}).")
    String actor;

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    /** Applies one registry change and prints the changed node's name and what happened to it. */
    int change(Change op, String done) {
      try (Registry r = open(db)) {
        out().println((op.apply(r).name() + " " + done).strip());
        return PolicyC.OK;
      } catch (RegistryException e) {
        throw failure(e);
      }
    }
  }

  interface Change {
    Node apply(Registry r) throws RegistryException;
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List the nodes: name, owner, addresses, tags, routes, last seen, key expiry.")
  static final class ListNodes extends DbOption implements Callable<Integer> {
    @Override
    public Integer call() {
      try (Registry r = open(db)) {
        Instant now = Instant.now();
        out()
            .printf(
                "%-24s %-24s %-16s %-24s %-20s %-20s %s%n",
                "NAME", "OWNER", "IPV4", "TAGS", "ROUTES", "LAST SEEN", "EXPIRY");
        for (Node n : r.nodes()) {
          out()
              .printf(
                  "%-24s %-24s %-16s %-24s %-20s %-20s %s%n",
                  n.name(),
                  n.user().orElse("-"),
                  n.ipv4(),
                  n.tags().isEmpty() ? "-" : String.join(",", n.tags()),
                  n.approvedRoutes().isEmpty() ? "-" : String.join(",", n.approvedRoutes()),
                  n.lastSeen().map(Instant::toString).orElse("never"),
                  n.keyExpiry()
                      .map(e -> n.isExpired(now) ? "expired" : e.toString())
                      .orElse("never"));
        }
        return PolicyC.OK;
      } catch (RegistryException e) {
        throw failure(e);
      }
    }
  }

  @Command(
      name = "rename",
      mixinStandardHelpOptions = true,
      description = "Rename a node; the new name must be a DNS label and not taken.")
  static final class Rename extends DbOption implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NODE", description = "The node's current name.")
    String name;

    @Parameters(index = "1", paramLabel = "NEW-NAME", description = "Its new name.")
    String newName;

    @Override
    public Integer call() {
      return change(r -> r.rename(actor, name, newName), "");
    }
  }

  @Command(
      name = "expire",
      mixinStandardHelpOptions = true,
      description = "Expire a node's key now: it is in no bundle until it enrolls again.")
  static final class Expire extends DbOption implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NODE", description = "The node's name.")
    String name;

    @Override
    public Integer call() {
      return change(r -> r.expire(actor, name), "expired");
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = "Delete a node from the registry; its addresses are free again.")
  static final class Delete extends DbOption implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NODE", description = "The node's name.")
    String name;

    @Override
    public Integer call() {
      return change(r -> r.delete(actor, name), "deleted");
    }
  }
}
