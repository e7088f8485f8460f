package dev.tessera.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * Where the server reads a text input (the policy, the inventory) from: a file, watched by polling,
 * or a path at a ref in a git repository, polled. Polling every few hundred milliseconds is cheap
 * (a stat, or a ref lookup) and, unlike inotify, also sees editors that replace a file and refs
 * updated by a {@code git fetch} in another process.
 */
public sealed interface PolicySource
    permits PolicySource.FileSource, PolicySource.GitSource, RegistrySource {

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

  /**
   * A plain file; its revision is the SHA-256 of its bytes.
   *
   * <p>Polling stats the file and reads it only when something changed: the last snapshot is reused
   * while device, inode, size, mtime and ctime are all as they were, and the ctime was at least
   * {@link #SETTLE_NANOS} older than the moment the snapshot was read. The ctime cannot be set from
   * user space (unlike the mtime, which {@code cp -p}, {@code rsync -t} or {@code touch -d} may
   * restore), and it is stamped from a coarse kernel clock, so two writes of the same size within
   * one clock tick could share it: the settle margin makes sure any write after a read that is
   * trusted gets a later ctime. Without a ctime (not a Unix file system) every poll reads the file.
   */
  static final class FileSource implements PolicySource {
    static final long SETTLE_NANOS = 2_000_000_000L;
    private final Path path;
    private final long settleNanos;
    private Map<String, Object> lastStamp; // guarded by this
    private Snapshot last;

    FileSource(Path path) {
      this(path, SETTLE_NANOS);
    }

    FileSource(Path path, long settleNanos) {
      this.path = path;
      this.settleNanos = settleNanos;
    }

    public Path path() {
      return path;
    }

    @Override
    public synchronized Snapshot read() throws IOException {
      Map<String, Object> before = stamp();
      if (last != null && before != null && before.equals(lastStamp)) {
        return last;
      }
      java.time.Instant readAt = java.time.Instant.now();
      byte[] bytes = Files.readAllBytes(path);
      Map<String, Object> after = stamp();
      Snapshot snapshot =
          new Snapshot(
              path.toString(),
              new String(bytes, StandardCharsets.UTF_8),
              "sha256:" + sha256(bytes).substring(0, 16));
      boolean settled =
          after != null
              && after.equals(before)
              && after.get("ctime") instanceof FileTime ctime
              && !ctime.toInstant().plusNanos(settleNanos).isAfter(readAt);
      last = settled ? snapshot : null;
      lastStamp = settled ? after : null;
      return snapshot;
    }

    private Map<String, Object> stamp() throws IOException {
      try {
        return Map.copyOf(Files.readAttributes(path, "unix:dev,ino,size,lastModifiedTime,ctime"));
      } catch (UnsupportedOperationException | IllegalArgumentException e) {
        return null;
      }
    }

    @Override
    public String describe() {
      return path.toString();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof FileSource f && f.path.equals(path);
    }

    @Override
    public int hashCode() {
      return path.hashCode();
    }

    @Override
    public String toString() {
      return "FileSource[" + path + "]";
    }
  }

  /** A file at a ref of a git repository; its revision is the commit id. */
  record GitSource(Path repository, String ref, String path) implements PolicySource {
    @Override
    public Snapshot read() throws IOException {
      FileRepositoryBuilder builder =
          new FileRepositoryBuilder().readEnvironment().findGitDir(repository.toFile());
      if (builder.getGitDir() == null) {
        throw new IOException(repository + " is not a git repository");
      }
      try (Repository repo = builder.setMustExist(true).build();
          RevWalk walk = new RevWalk(repo)) {
        ObjectId id = repo.resolve(ref);
        if (id == null) {
          throw new IOException("git ref " + ref + " not found in " + repository);
        }
        RevCommit commit = walk.parseCommit(id);
        try (TreeWalk tree = TreeWalk.forPath(repo, path, commit.getTree())) {
          if (tree == null) {
            throw new IOException(
                path + " does not exist at " + ref + " (" + commit.getName() + ")");
          }
          ObjectLoader blob = repo.open(tree.getObjectId(0));
          String text = new String(blob.getBytes(), StandardCharsets.UTF_8);
          return new Snapshot(
              path + "@" + commit.getName().substring(0, 12), text, "git:" + commit.getName());
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
