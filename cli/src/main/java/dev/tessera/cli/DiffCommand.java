package dev.tessera.cli;

import dev.tessera.compiler.diff.AccessDiff;
import dev.tessera.compiler.diff.DiffFormat;
import dev.tessera.compiler.diff.Differ;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.matrix.AuditLoader;
import dev.tessera.compiler.matrix.CompiledNetwork;
import dev.tessera.compiler.matrix.PolicyIndex;
import dev.tessera.compiler.matrix.Provenance;
import dev.tessera.compiler.matrix.SyntheticInventory;
import dev.tessera.policy.ast.Policy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.eclipse.jgit.errors.RevisionSyntaxException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code policyc diff}: the access a policy change gains and loses, from the compiled filters.
 *
 * <p>Exit codes (the table every command shares, {@link PolicyC}; CI asks for another reviewer when
 * access changes): 0 access unchanged (a pure refactor), {@value PolicyC#CHANGED} access changed, 1
 * policy or inventory errors, 2 a file cannot be read, an unknown git revision or path, or a wrong
 * command line. "Changed" has its own code so that a broken policy is never taken for a mere
 * change.
 *
 * <p>Git revisions are read with JGit here in the CLI, so the compiler module stays free of a git
 * dependency; the compiler only ever sees policy text.
 */
@Command(
    name = "diff",
    mixinStandardHelpOptions = true,
    description = {
      "Show the access a policy change gains and loses.",
      "Each change is said in the policy's words first (\"group:contractors lost tcp:5432 on",
      "tag:db\"), then by device, and linked to the rule change behind it. OLD and NEW are",
      "files; --git REV1..REV2 --path FILE reads both from git; --git REV --path FILE compares",
      "REV with the file in the working tree. The output states the tool version, the inputs'",
      "SHA-256 and revisions, and the time. Exit 4 when access changed, 0 when not."
    })
final class DiffCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(arity = "0..2", paramLabel = "OLD NEW", description = "Old and new policy files.")
  List<Path> files = new ArrayList<>();

  @Option(
      names = "--git",
      paramLabel = "REV1..REV2|REV",
      description =
          "Compare the policy at two git revisions, or at one revision with the working tree.")
  String git;

  @Option(
      names = "--path",
      paramLabel = "FILE",
      description = "The policy's path inside the repository (with --git).")
  String path;

  @Option(
      names = "--repo",
      paramLabel = "DIR",
      defaultValue = ".",
      description = "Repository (or a directory inside it) for --git (default: current directory).")
  Path repo;

  @Option(
      names = "--inventory",
      paramLabel = "INV",
      description =
          "Inventory to compare on. Without it, one is synthesized from the policies (a device per user, tag and host named), and the output says so.")
  Path inventory;

  @Option(
      names = "--format",
      defaultValue = "text",
      paramLabel = "FMT",
      description = "text, md or json (default: ${DEFAULT-VALUE}).")
  DiffFormat format;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    AuditInput oldSrc;
    AuditInput newSrc;
    if (git != null) {
      if (!files.isEmpty() || path == null) {
        throw new UserError("--git needs --path and no OLD NEW files");
      }
      int dots = git.indexOf("..");
      boolean range = dots >= 0;
      if (range && (dots == 0 || dots + 2 >= git.length() || git.startsWith(".", dots + 2))) {
        throw new UserError("--git wants REV1..REV2 or REV, got \"" + git + "\"");
      }
      try (Repository r = openRepository(repo)) {
        String rev1 = range ? git.substring(0, dots) : git;
        oldSrc = readAt(r, "old policy", rev1, path);
        if (range) {
          newSrc = readAt(r, "new policy", git.substring(dots + 2), path);
        } else {
          if (r.isBare() || r.getWorkTree() == null) {
            throw new UserError(
                "--git " + git + " compares with the working tree, and " + repo + " has none");
          }
          Path file = r.getWorkTree().toPath().resolve(path);
          newSrc = AuditInput.read("new policy", file);
          newSrc =
              new AuditInput(
                  path,
                  newSrc.text(),
                  new Provenance.Input(
                      "new policy",
                      path,
                      newSrc.provenance().sha256(),
                      newSrc.provenance().revision()));
        }
      }
    } else {
      if (files.size() != 2 || path != null) {
        throw new UserError(
            "give OLD and NEW policy files, or --git REV1..REV2 --path FILE, or --git REV --path FILE");
      }
      oldSrc = AuditInput.read("old policy", MatrixCommand.checkSyntax(files.get(0)));
      newSrc = AuditInput.read("new policy", MatrixCommand.checkSyntax(files.get(1)));
    }
    AuditLoader loader = new AuditLoader();
    Optional<Policy> oldP = loader.policy(oldSrc.name(), oldSrc.text());
    Optional<Policy> newP = loader.policy(newSrc.name(), newSrc.text());
    Optional<Inventory> inv = Optional.empty();
    boolean synthesized = inventory == null;
    Provenance.Input inventoryIn;
    if (!synthesized) {
      AuditInput i = AuditInput.read("inventory", inventory);
      inventoryIn = i.provenance();
      inv = loader.inventory(inventory.toString(), i.text());
    } else {
      inventoryIn = new Provenance.Input("inventory", "synthesized from the policies", "", "");
      if (oldP.isPresent() && newP.isPresent()) {
        inv = Optional.of(SyntheticInventory.from(oldP.get(), newP.get()));
      }
    }
    Provenance provenance =
        new Provenance(
            "policyc",
            AuditInput.version(spec),
            List.of(oldSrc.provenance(), newSrc.provenance(), inventoryIn),
            Provenance.now());
    Optional<CompiledNetwork> oldNet = Optional.empty();
    Optional<CompiledNetwork> newNet = Optional.empty();
    PolicyIndex oldIdx = null;
    PolicyIndex newIdx = null;
    TerminalProgress progress =
        TerminalProgress.forNodes(err, inv.map(i -> i.nodes().size()).orElse(0));
    if (oldP.isPresent() && newP.isPresent() && inv.isPresent()) {
      oldIdx = PolicyIndex.of(oldP.get(), oldSrc.name());
      newIdx = PolicyIndex.of(newP.get(), newSrc.name());
      try (var stage =
          progress.stage(
              "compile",
              String.format(
                  java.util.Locale.ROOT, "both policies, %,d nodes", inv.get().nodes().size()))) {
        List<Optional<CompiledNetwork>> both =
            loader.compileBoth(oldIdx, newIdx, inv.get(), synthesized);
        oldNet = both.get(0);
        newNet = both.get(1);
      }
    }
    progress.clear();
    if (!loader.diagnostics().isEmpty()) {
      err.print(loader.renderDiagnostics());
      err.flush();
    }
    if (oldNet.isEmpty() || newNet.isEmpty()) {
      err.println("diff: invalid input: fix the errors above");
      err.flush();
      return PolicyC.FAILED;
    }
    // The formatters print the synthesized-inventory caveat themselves.
    AccessDiff d =
        new Differ(oldNet.get(), oldIdx, newNet.get(), newIdx)
            .diff(synthesized, List.of(), progress);
    progress.clear();
    out.print(format.render(d, provenance));
    out.flush();
    return d.unchanged() ? PolicyC.OK : PolicyC.CHANGED;
  }

  /**
   * The policy at {@code rev}: its text, named {@code REV:path}, with the commit it resolved to.
   */
  private static AuditInput readAt(Repository r, String role, String rev, String file) {
    try {
      ObjectId commit = r.resolve(rev + "^{commit}");
      if (commit == null) {
        throw new UserError("unknown git revision \"" + rev + "\"");
      }
      return AuditInput.fromGit(role, rev + ":" + file, readAt(r, rev, file), commit.name());
    } catch (RevisionSyntaxException e) {
      throw new UserError("bad git revision \"" + rev + "\": " + e.getMessage());
    } catch (IOException e) {
      throw new UserError("cannot read " + file + " at " + rev + ": " + e.getMessage());
    }
  }

  private static Repository openRepository(Path dir) {
    try {
      FileRepositoryBuilder b =
          new FileRepositoryBuilder().readEnvironment().findGitDir(dir.toAbsolutePath().toFile());
      if (b.getGitDir() == null) {
        throw new UserError("not a git repository: " + dir);
      }
      return b.build();
    } catch (IOException e) {
      throw new UserError("cannot open git repository at " + dir + ": " + e.getMessage());
    }
  }

  /** The bytes of {@code file} at revision {@code rev}, or a UserError naming what is missing. */
  static byte[] readAt(Repository r, String rev, String file) {
    try {
      ObjectId tree = r.resolve(rev + "^{tree}");
      if (tree == null) {
        throw new UserError("unknown git revision \"" + rev + "\"");
      }
      try (TreeWalk walk = TreeWalk.forPath(r, file, tree)) {
        if (walk == null) {
          throw new UserError(file + " does not exist at revision " + rev);
        }
        return r.open(walk.getObjectId(0)).getBytes(8 << 20);
      }
    } catch (RevisionSyntaxException e) {
      throw new UserError("bad git revision \"" + rev + "\": " + e.getMessage());
    } catch (IOException e) {
      throw new UserError("cannot read " + file + " at " + rev + ": " + e.getMessage());
    }
  }
}
