package dev.tessera.cli;

import dev.tessera.compiler.diff.AccessDiff;
import dev.tessera.compiler.diff.DiffFormat;
import dev.tessera.compiler.diff.Differ;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.matrix.AuditLoader;
import dev.tessera.compiler.matrix.CompiledNetwork;
import dev.tessera.compiler.matrix.PolicyIndex;
import dev.tessera.compiler.matrix.SyntheticInventory;
import dev.tessera.policy.ast.Policy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
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
 * <p>Exit codes (the table every command shares, {@link PolicyC}; CI asks for another reviewer
 * when access changes): 0 access unchanged (a pure refactor), {@value PolicyC#CHANGED} access
 * changed, 1 policy or inventory errors, 2 a file cannot be read, an unknown git revision or path,
 * or a wrong command line. "Changed" has its own code so that a broken policy is never taken for
 * a mere change.
 *
 * <p>Git revisions are read with JGit here in the CLI, so the compiler module stays free of a
 * git dependency; the compiler only ever sees policy text.
 */
@Command(
    name = "diff",
    mixinStandardHelpOptions = true,
    description = {
      "Show the access a policy change gains and loses.",
      "Each change (source, destination, protocol, ports) is linked to the rule change behind it.",
      "OLD and NEW are files, or --git REV1..REV2 --path FILE reads both from git.",
      "Exit 4 when access changed, 0 when not."
    })
final class DiffCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(arity = "0..2", paramLabel = "OLD NEW", description = "Old and new policy files.")
  List<Path> files = new ArrayList<>();

  @Option(names = "--git", paramLabel = "REV1..REV2", description = "Compare the policy at two git revisions.")
  String git;

  @Option(names = "--path", paramLabel = "FILE", description = "The policy's path inside the repository (with --git).")
  String path;

  @Option(names = "--repo", paramLabel = "DIR", defaultValue = ".",
      description = "Repository (or a directory inside it) for --git (default: current directory).")
  Path repo;

  @Option(names = "--inventory", paramLabel = "INV",
      description = "Inventory to compare on. Without it, one is synthesized from the policies (a device per user, tag and host named), and the output says so.")
  Path inventory;

  @Option(names = "--format", defaultValue = "text", paramLabel = "FMT", description = "text, md or json (default: ${DEFAULT-VALUE}).")
  DiffFormat format;

  private record Source(String name, String text) {}

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Source oldSrc;
    Source newSrc;
    if (git != null) {
      if (!files.isEmpty() || path == null) {
        throw new UserError("--git needs --path and no OLD NEW files");
      }
      int dots = git.indexOf("..");
      if (dots <= 0 || dots + 2 >= git.length() || git.startsWith(".", dots + 2)) {
        throw new UserError("--git wants REV1..REV2, got \"" + git + "\"");
      }
      String rev1 = git.substring(0, dots);
      String rev2 = git.substring(dots + 2);
      try (Repository r = openRepository(repo)) {
        oldSrc = new Source(rev1 + ":" + path, readAt(r, rev1, path));
        newSrc = new Source(rev2 + ":" + path, readAt(r, rev2, path));
      }
    } else {
      if (files.size() != 2 || path != null) {
        throw new UserError("give OLD and NEW policy files, or --git REV1..REV2 --path FILE");
      }
      oldSrc = new Source(files.get(0).toString(), MatrixCommand.readPolicy(files.get(0)));
      newSrc = new Source(files.get(1).toString(), MatrixCommand.readPolicy(files.get(1)));
    }
    AuditLoader loader = new AuditLoader();
    Optional<Policy> oldP = loader.policy(oldSrc.name(), oldSrc.text());
    Optional<Policy> newP = loader.policy(newSrc.name(), newSrc.text());
    Optional<Inventory> inv = Optional.empty();
    boolean synthesized = inventory == null;
    if (!synthesized) {
      inv = loader.inventory(inventory.toString(), MatrixCommand.read(inventory));
    } else if (oldP.isPresent() && newP.isPresent()) {
      inv = Optional.of(SyntheticInventory.from(oldP.get(), newP.get()));
    }
    Optional<CompiledNetwork> oldNet = Optional.empty();
    Optional<CompiledNetwork> newNet = Optional.empty();
    PolicyIndex oldIdx = null;
    PolicyIndex newIdx = null;
    if (oldP.isPresent() && newP.isPresent() && inv.isPresent()) {
      oldIdx = PolicyIndex.of(oldP.get(), oldSrc.name());
      newIdx = PolicyIndex.of(newP.get(), newSrc.name());
      List<Optional<CompiledNetwork>> both = loader.compileBoth(oldIdx, newIdx, inv.get(), synthesized);
      oldNet = both.get(0);
      newNet = both.get(1);
    }
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
    AccessDiff d = new Differ(oldNet.get(), oldIdx, newNet.get(), newIdx).diff(synthesized, List.of());
    out.print(format.render(d));
    out.flush();
    return d.unchanged() ? PolicyC.OK : PolicyC.CHANGED;
  }

  private static Repository openRepository(Path dir) {
    try {
      FileRepositoryBuilder b = new FileRepositoryBuilder().readEnvironment().findGitDir(dir.toAbsolutePath().toFile());
      if (b.getGitDir() == null) {
        throw new UserError("not a git repository: " + dir);
      }
      return b.build();
    } catch (IOException e) {
      throw new UserError("cannot open git repository at " + dir + ": " + e.getMessage());
    }
  }

  /** The text of {@code file} at revision {@code rev}, or a UserError naming what is missing. */
  static String readAt(Repository r, String rev, String file) {
    try {
      ObjectId tree = r.resolve(rev + "^{tree}");
      if (tree == null) {
        throw new UserError("unknown git revision \"" + rev + "\"");
      }
      try (TreeWalk walk = TreeWalk.forPath(r, file, tree)) {
        if (walk == null) {
          throw new UserError(file + " does not exist at revision " + rev);
        }
        byte[] bytes = r.open(walk.getObjectId(0)).getBytes(8 << 20);
        return new String(bytes, StandardCharsets.UTF_8);
      }
    } catch (RevisionSyntaxException e) {
      throw new UserError("bad git revision \"" + rev + "\": " + e.getMessage());
    } catch (IOException e) {
      throw new UserError("cannot read " + file + " at " + rev + ": " + e.getMessage());
    }
  }
}
