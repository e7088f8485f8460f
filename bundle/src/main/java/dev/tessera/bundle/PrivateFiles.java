package dev.tessera.bundle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Files holding keys, bundles, versions and audit trails: created owner-only (files 0600,
 * directories 0700) by passing the mode to {@code open(2)}/{@code mkdir(2)}, never by a chmod after
 * the fact (which leaves a window in which the file is readable under a loose umask). A umask can
 * only remove bits, so the result is at most 0600/0700 whatever the umask is. Replacements are
 * atomic and durable: a temporary file is written, fsynced, renamed over the target, and the
 * directory is fsynced, so a crash leaves either the old or the new content.
 */
public final class PrivateFiles {
  static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
  static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");

  private PrivateFiles() {}

  static FileAttribute<Set<PosixFilePermission>> fileMode() {
    return PosixFilePermissions.asFileAttribute(FILE_MODE);
  }

  /**
   * Creates {@code dir} and missing parents with mode 0700 (existing directories are left as they
   * are).
   */
  public static Path createDirectories(Path dir) throws IOException {
    Path abs = dir.toAbsolutePath();
    if (Files.isDirectory(abs)) {
      return dir;
    }
    Path parent = abs.getParent();
    if (parent != null) {
      createDirectories(parent);
    }
    try {
      Files.createDirectory(abs, PosixFilePermissions.asFileAttribute(DIR_MODE));
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(abs)) {
        throw e;
      }
    }
    return dir;
  }

  /** Opens {@code file} for appending, creating it 0600 if it does not exist. */
  public static FileChannel openAppend(Path file) throws IOException {
    return FileChannel.open(
        file,
        EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE),
        fileMode());
  }

  /** Writes a new file 0600; fails if it exists. */
  public static void writeNew(Path file, byte[] bytes) throws IOException {
    try (FileChannel ch =
        FileChannel.open(
            file,
            EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            fileMode())) {
      writeFully(ch, bytes);
      ch.force(true);
    }
  }

  /** Replaces {@code file} atomically and durably with {@code bytes}; the file is 0600. */
  public static void replace(Path file, byte[] bytes) throws IOException {
    Path abs = file.toAbsolutePath();
    Path parent = abs.getParent();
    if (parent != null) {
      createDirectories(parent);
    }
    Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
    if (Files.isRegularFile(tmp, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      Files.delete(tmp); // left by a crash; recreated below with the right mode
    }
    writeNew(tmp, bytes);
    Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    if (parent != null) {
      syncDirectory(parent);
    }
  }

  private static void writeFully(FileChannel ch, byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  /** fsync of a directory, so a rename in it survives a crash. */
  static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some file systems refuse to open a directory; the rename itself is still atomic.
    }
  }
}
