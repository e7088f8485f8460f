package dev.tessera.cli;

import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.diag.DiagnosticRenderer;
import dev.tessera.registry.Cluster;
import dev.tessera.registry.Database;
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

/**
 * The policy whose {@code tagOwners} decide the tags an administrator puts on a key or a node, as
 * the servers decide them: the policy the registry holds (the one the compiling {@code policyc
 * serve} stored, on PostgreSQL) when there is one, else the {@code --policy} file. With both, each
 * tag must be owned under both: a file that disagrees with the policy in force is refused rather
 * than trusted, since the servers decide with the stored one.
 */
final class TagPolicy {
  private final PolicyChecks.TagOwnership held;
  private final String heldName;
  private final PolicyChecks.TagOwnership file;
  private final String fileName;

  private TagPolicy(
      PolicyChecks.TagOwnership held,
      String heldName,
      PolicyChecks.TagOwnership file,
      String fileName) {
    this.held = held;
    this.heldName = heldName;
    this.file = file;
    this.fileName = fileName;
  }

  /**
   * The policy for {@code option} (the command's tag option, for messages): the registry's, the
   * {@code policyFile}, or both; without either a usage error. An unreadable file exits 2, a file
   * or stored policy with errors 1, its diagnostics printed first.
   */
  static TagPolicy of(String option, Path policyFile, Registry r, PrintWriter err) {
    Optional<Cluster.Policy> stored = stored(r);
    if (stored.isEmpty() && policyFile == null) {
      throw new UserError(
          option
              + " needs --policy FILE: the registry holds no policy (it does on PostgreSQL once a"
              + " policyc serve has compiled one), so the creator's ownership of each tag is"
              + " checked against FILE's tagOwners");
    }
    PolicyChecks.TagOwnership held = null;
    String heldName = null;
    if (stored.isPresent()) {
      Cluster.Policy p = stored.get();
      heldName = "the policy the registry holds, " + p.name() + " (sha256 " + p.sha256() + ")";
      held = owners(read(p), r);
    }
    PolicyChecks.TagOwnership fromFile = null;
    String fileName = null;
    if (policyFile != null) {
      fromFile = NodesCommand.tagOwners(policyFile, r, err);
      fileName = "--policy " + policyFile + " (sha256 " + sha256(policyFile) + ")";
    }
    return new TagPolicy(held, heldName, fromFile, fileName);
  }

  /** Owned under every policy this check uses. */
  PolicyChecks.TagOwnership owners() {
    return (user, tag) ->
        (held == null || held.owns(user, tag)) && (file == null || file.owns(user, tag));
  }

  /**
   * Which policy refused: appended to the registry's {@code tag-not-owned} message for {@code
   * user}'s {@code tags}.
   */
  String refusedBy(String user, List<String> tags) {
    if (held == null) {
      return "checked against " + fileName;
    }
    if (file == null || tags.stream().anyMatch(t -> !held.owns(user, t))) {
      return "checked against " + heldName + (file == null ? "" : ", and " + fileName);
    }
    return "the tags are owned under "
        + heldName
        + ", but not under "
        + fileName
        + ": the two disagree; leave out --policy to check against the registry's policy alone,"
        + " or let policyc serve compile FILE first";
  }

  /**
   * The command's failure for {@code e}; a {@code tag-not-owned} refusal says which policy refused
   * ({@link #refusedBy}).
   */
  UserError failure(RegistryException e, String user, List<String> tags) {
    UserError plain = NodesCommand.failure(e);
    if (e.code() != RegistryException.Code.TAG_NOT_OWNED) {
      return plain;
    }
    return new UserError(plain.getMessage() + "; " + refusedBy(user, tags), plain.exitCode());
  }

  private static Optional<Cluster.Policy> stored(Registry r) {
    if (r.database().kind() != Database.Kind.POSTGRESQL) {
      return Optional.empty(); // one server on SQLite keeps no copy of its policy in the registry
    }
    try (Cluster c = new Cluster(r.database())) {
      return c.policy();
    } catch (RegistryException e) {
      throw NodesCommand.failure(e);
    }
  }

  private static dev.tessera.policy.ast.Policy read(Cluster.Policy p) {
    String name = p.name();
    int at = name.lastIndexOf('@'); // a git snapshot is named path@commit
    Optional<Syntax> syntax = Syntax.forFileName(at > 0 ? name.substring(0, at) : name);
    PolicyResult read = syntax.isEmpty() ? null : Policies.read(p.name(), p.text(), syntax.get());
    if (read == null || read.policy().isEmpty()) {
      throw new UserError(
          "the policy the registry holds, "
              + p.name()
              + " (sha256 "
              + p.sha256()
              + "), does not read here"
              + (read == null
                  ? ""
                  : ":\n"
                      + DiagnosticRenderer.text(
                          read.diagnostics(), java.util.Map.of(p.name(), read.source())))
              + "; nothing written",
          PolicyC.FAILED);
    }
    return read.policy().get();
  }

  private static PolicyChecks.TagOwnership owners(dev.tessera.policy.ast.Policy p, Registry r) {
    try {
      return PolicyControl.checks(p, RegistryInventory.inventory(r.nodes(), Instant.now())).tags();
    } catch (RegistryException e) {
      throw NodesCommand.failure(e);
    }
  }

  private static String sha256(Path file) {
    try {
      return Cluster.Policy.of(file.toString(), Files.readString(file)).sha256();
    } catch (java.io.IOException e) {
      return "unreadable"; // already read once by tagOwners; a file that vanished since
    }
  }
}
