package dev.tessera.cli;

import dev.tessera.compiler.matrix.Provenance;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * A file {@code matrix} or {@code diff} reads: its text, and its provenance (SHA-256 of its bytes
 * and, when it lies in a git work tree, the commit it is at: {@code 3f2a1c0…}, with {@code ,
 * modified} when the file differs from that commit and {@code , not committed} when the commit has
 * no such file).
 */
record AuditInput(String name, String text, Provenance.Input provenance) {

  /** Reads {@code file} for {@code role} ({@code policy}, {@code inventory}, ...). */
  static AuditInput read(String role, Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException | SecurityException e) {
      throw new UserError(
          "cannot read "
              + file
              + ": "
              + (e instanceof NoSuchFileException ? "no such file" : e.getMessage()));
    }
    return new AuditInput(
        file.toString(),
        new String(bytes, StandardCharsets.UTF_8),
        Provenance.Input.of(role, file.toString(), bytes, revisionOf(file, bytes)));
  }

  /** The version policyc reports ({@code --version}), without the command name. */
  static String version(picocli.CommandLine.Model.CommandSpec spec) {
    String[] v = spec.root().version();
    String text = v.length == 0 ? "dev" : v[0];
    return text.startsWith("policyc ") ? text.substring("policyc ".length()) : text;
  }

  /** Text read from git (a blob at a commit). */
  static AuditInput fromGit(String role, String name, byte[] bytes, String commit) {
    return new AuditInput(
        name,
        new String(bytes, StandardCharsets.UTF_8),
        Provenance.Input.of(role, name, bytes, commit));
  }

  /** The commit a work tree file is at, as described above; empty when not in git. */
  static String revisionOf(Path file, byte[] bytes) {
    Path abs = file.toAbsolutePath().normalize();
    FileRepositoryBuilder b =
        new FileRepositoryBuilder().readEnvironment().findGitDir(abs.getParent().toFile());
    if (b.getGitDir() == null) {
      return "";
    }
    try (Repository r = b.build()) {
      if (r.isBare() || r.getWorkTree() == null) {
        return "";
      }
      Path root = r.getWorkTree().toPath().toAbsolutePath().normalize();
      if (!abs.startsWith(root)) {
        return "";
      }
      ObjectId head = r.resolve(Constants.HEAD);
      if (head == null) {
        return "";
      }
      String path = root.relativize(abs).toString().replace('\\', '/');
      try (RevWalk walk = new RevWalk(r)) {
        RevCommit commit = walk.parseCommit(head);
        try (TreeWalk t = TreeWalk.forPath(r, path, commit.getTree())) {
          if (t == null) {
            return head.name() + ", not committed";
          }
          ObjectId here;
          try (ObjectInserter.Formatter f = new ObjectInserter.Formatter()) {
            here = f.idFor(Constants.OBJ_BLOB, bytes);
          }
          return head.name() + (here.equals(t.getObjectId(0)) ? "" : ", modified");
        }
      }
    } catch (IOException | RuntimeException e) {
      return ""; // provenance is best effort: an unreadable repository just goes unnamed
    }
  }
}
