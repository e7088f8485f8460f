package dev.tessera.cli;

import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.DiagnosticRenderer;
import dev.tessera.registry.Database;
import dev.tessera.registry.Node;
import dev.tessera.registry.PolicyChecks;
import dev.tessera.registry.Registry;
import dev.tessera.registry.RegistryException;
import dev.tessera.server.control.PolicyControl;
import dev.tessera.server.control.RegistryInventory;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
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
      "List, rename, expire, delete or tag the nodes of the control plane's registry, or approve their routes.",
      "Every change is one registry transaction with its audit entry; servers sharing a PostgreSQL",
      "database pick it up by NOTIFY."
    },
    subcommands = {
      NodesCommand.ListNodes.class,
      NodesCommand.Rename.class,
      NodesCommand.Expire.class,
      NodesCommand.Delete.class,
      NodesCommand.Tag.class,
      NodesCommand.ApproveRoutes.class
    })
final class NodesCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return PolicyC.USAGE;
  }

  /**
   * The registry behind {@code --db}; a missing SQLite file (an administration command never
   * creates a registry) or an unreachable database is a one-line usage error.
   */
  static Registry open(String db) {
    try {
      Optional<Path> file = Database.sqliteFile(db);
      if (file.isPresent() && !Files.isRegularFile(file.get())) {
        throw new UserError(
            "database: no registry at "
                + file.get()
                + " (policyc serve creates it in its --state directory; give --db or --state)");
      }
      return Registry.open(db);
    } catch (RegistryException e) {
      throw failure(e);
    }
  }

  /** A registry refusal as the user sees it: database trouble exits 2, a refused request 1. */
  static UserError failure(RegistryException e) {
    int code =
        e.code() == RegistryException.Code.DATABASE
                || e.code() == RegistryException.Code.BAD_REQUEST
            ? PolicyC.USAGE
            : PolicyC.FAILED;
    return new UserError(e.code().wire() + ": " + e.getMessage(), code);
  }

  /**
   * The policy whose {@code tagOwners} decide which tags a user may apply, as the server's {@link
   * PolicyControl} reads it for enrollments, with users' roles from the registry's inventory. An
   * unreadable policy exits 2, a policy with errors 1; its diagnostics are printed first.
   */
  static PolicyChecks.TagOwnership tagOwners(Path policyFile, Registry r, PrintWriter err) {
    PolicyResult read = Policies.read(policyFile);
    if (!read.ok()) {
      for (Diagnostic d : read.diagnostics()) {
        err.print(DiagnosticRenderer.text(d, read.source()));
      }
      throw new UserError(
          "policy "
              + policyFile
              + " cannot be used: "
              + Inputs.count(read.errors())
              + "; nothing written",
          read.unreadable() ? PolicyC.USAGE : PolicyC.FAILED);
    }
    try {
      return PolicyControl.checks(
              read.policy().orElseThrow(), RegistryInventory.inventory(r.nodes(), Instant.now()))
          .tags();
    } catch (RegistryException e) {
      throw failure(e);
    }
  }

  /** {@code --db} and {@code --state}: which registry a command reads or changes. */
  abstract static class DbOption {
    @Spec CommandSpec spec;

    @Option(
        names = "--db",
        paramLabel = "URL",
        description = {
          "The registry: a SQLite file (PATH or sqlite:PATH) or postgresql://USER@HOST:PORT/DB",
          "(default: STATE/" + ServeCommand.REGISTRY_FILE + ", where policyc serve keeps it)."
        })
    String db;

    @Option(
        names = "--state",
        paramLabel = "DIR",
        defaultValue = ServeCommand.DEFAULT_STATE,
        description =
            "policyc serve's state directory, used when --db is not given (default ${DEFAULT-VALUE}).")
    Path state;

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    PrintWriter err() {
      return spec.commandLine().getErr();
    }

    Registry open() {
      return NodesCommand.open(
          db != null ? db : state.resolve(ServeCommand.REGISTRY_FILE).toString());
    }
  }

  /** A command that changes the registry: {@code --as} names who the audit trail records. */
  abstract static class ChangeOption extends DbOption {
    @Option(
        names = "--as",
        paramLabel = "USER",
        defaultValue = "cli",
        description =
            "Who the audit trail records as making the change, and who must own the tags a command applies (default: ${DEFAULT-VALUE}).")
    String actor;

    /** Applies one registry change and prints the changed node's name and what happened to it. */
    int change(Change op, String done) {
      return change(op, n -> (n.name() + " " + done).strip());
    }

    /** Applies one registry change and prints what {@code line} says of the changed node. */
    int change(Change op, java.util.function.Function<Node, String> line) {
      try (Registry r = open()) {
        out().println(line.apply(op.apply(r)));
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
      try (Registry r = open()) {
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
  static final class Rename extends ChangeOption implements Callable<Integer> {
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
  static final class Expire extends ChangeOption implements Callable<Integer> {
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
  static final class Delete extends ChangeOption implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NODE", description = "The node's name.")
    String name;

    @Override
    public Integer call() {
      return change(r -> r.delete(actor, name), "deleted");
    }
  }

  @Command(
      name = "tag",
      mixinStandardHelpOptions = true,
      description = {
        "Replace a node's tags; the --as user must own each one under the policy's tagOwners",
        "and becomes the node's tagger (the same check the server makes for tagged auth keys).",
        "The policy is the one the registry holds (stored by the compiling policyc serve, on",
        "PostgreSQL), else --policy FILE; given both, each tag must be owned under both."
      })
  static final class Tag extends ChangeOption implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NODE", description = "The node's name.")
    String name;

    @Parameters(
        index = "1",
        paramLabel = "TAGS",
        split = ",",
        description = "The node's tags from now on, comma-separated: tag:a,tag:b.")
    List<String> tags;

    @Option(
        names = "--policy",
        paramLabel = "FILE",
        description =
            "The policy whose tagOwners decide (the one policyc serve serves); needed when the"
                + " registry holds no policy (SQLite), else checked as well.")
    Path policy;

    @Override
    public Integer call() {
      return change(
          r -> {
            TagPolicy p = TagPolicy.of("nodes tag", policy, r, err());
            try {
              return r.setTags(actor, name, tags, p.owners());
            } catch (RegistryException e) {
              throw p.failure(e, actor, tags);
            }
          },
          n -> n.name() + " tagged " + String.join(",", n.tags()));
    }
  }

  @Command(
      name = "approve-routes",
      mixinStandardHelpOptions = true,
      description = {
        "Set a node's approved routes; each must be one the node advertises.",
        "Approved routes enter the bundles of the nodes the policy lets use them."
      })
  static final class ApproveRoutes extends ChangeOption implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NODE", description = "The node's name.")
    String name;

    @Parameters(
        index = "1",
        paramLabel = "ROUTES",
        split = ",",
        description = "The routes to approve, comma-separated: 10.1.0.0/16,0.0.0.0/0.")
    List<String> routes;

    @Override
    public Integer call() {
      return change(
          r -> r.approveRoutes(actor, name, routes),
          n -> n.name() + " routes " + String.join(",", n.approvedRoutes()));
    }
  }
}
