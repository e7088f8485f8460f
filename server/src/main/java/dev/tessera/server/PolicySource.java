package dev.tessera.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * Where the server reads a text input (the policy, the inventory) from: a file, watched by
 * polling, or a path at a ref in a git repository, polled. Polling every few hundred milliseconds
 * is cheap (a stat, or a ref lookup) and, unlike inotify, also sees editors that replace a file
 * and refs updated by a {@code git fetch} in another process.
 */
public sealed interface PolicySource permits PolicySource.FileSource, PolicySource.GitSource {

  /** One version of the input: its name for diagnostics, its text, and a revision identifier. */
  record Snapshot(String name, String text, String revision) {}

  /** Reads the input as it is now. */
  Snapshot read() throws IOException;

  /** A short description for logs and status. */
  String describe();

  static FileSource file(Path path) {
    return new FileSource(path);
  }

  /** {@code ref} is a branch, tag or commit ("main", "refs/heads/main", "HEAD"). */
  static GitSource git(Path repository, String ref, String path) {
    return new GitSource(repository, ref, path);
  }

  /** A plain file; its revision is the SHA-256 of its bytes. */
  record FileSource(Path path) implements PolicySource {
    @Override
    public Snapshot read() throws IOException {
      byte[] bytes = Files.readAllBytes(path);
      return new Snapshot(path.toString(), new String(bytes, StandardCharsets.UTF_8), "sha256:" + sha256(bytes).substring(0, 16));
    }

    @Override
    public String describe() {
      return path.toString();
    }
  }

  /** A file at a ref of a git repository; its revision is the commit id. */
  record GitSource(Path repository, String ref, String path) implements PolicySource {
    @Override
    public Snapshot read() throws IOException {
      FileRepositoryBuilder builder = new FileRepositoryBuilder().readEnvironment().findGitDir(repository.toFile());
      if (builder.getGitDir() == null) {
        throw new IOException(repository + " is not a git repository");
      }
      try (Repository repo = builder.setMustExist(true).build(); RevWalk walk = new RevWalk(repo)) {
        ObjectId id = repo.resolve(ref);
        if (id == null) {
          throw new IOException("git ref " + ref + " not found in " + repository);
        }
        RevCommit commit = walk.parseCommit(id);
        try (TreeWalk tree = TreeWalk.forPath(repo, path, commit.getTree())) {
          if (tree == null) {
            throw new IOException(path + " does not exist at " + ref + " (" + commit.getName() + ")");
          }
          ObjectLoader blob = repo.open(tree.getObjectId(0));
          String text = new String(blob.getBytes(), StandardCharsets.UTF_8);
          return new Snapshot(path + "@" + commit.getName().substring(0, 12), text, "git:" + commit.getName());
        }
      }
    }

    @Override
    public String describe() {
      return repository + " " + ref + ":" + path;
    }
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
