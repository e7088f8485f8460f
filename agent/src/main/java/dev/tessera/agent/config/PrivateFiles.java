package dev.tessera.agent.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files and directories only their owner can read, whatever the process umask: the mode is passed
 * to {@code open}/{@code mkdir} when the file is created (a umask can only remove bits, so 0600 and
 * 0700 stay at most that), never set by a {@code chmod} after the file already existed with a wider
 * mode. A file is written to a fresh temporary file (created exclusively) and renamed into place.
 */
public final class PrivateFiles {
  public static final FileAttribute<Set<PosixFilePermission>> FILE_0600 =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
  public static final FileAttribute<Set<PosixFilePermission>> DIR_0700 =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

  private PrivateFiles() {}

  /**
   * Creates {@code dir} (and missing parents) 0700 if absent. An existing directory is left as it
   * is (it may be shared, e.g. {@code /var/run}), but a newly created one is never wider.
   */
  public static void createDirectories(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    Path parent = dir.toAbsolutePath().getParent();
    if (parent != null) {
      createDirectories(parent);
    }
    try {
      Files.createDirectory(dir, DIR_0700);
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(dir)) {
        throw e;
      }
    }
  }

  /** Writes {@code text} to {@code file} atomically, the file 0600 from its creation. */
  public static void writeString(Path file, String text) throws IOException {
    write(file, text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Writes {@code bytes} to {@code file} atomically and durably: a fresh 0600 temporary file beside
   * it is written and fsynced, renamed over {@code file}, and the directory is fsynced so that the
   * rename survives a crash.
   */
  public static void write(Path file, byte[] bytes) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    createDirectories(parent);
    Path tmp = Files.createTempFile(parent, "." + file.getFileName() + ".", ".tmp", FILE_0600);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
    try (FileChannel dir = FileChannel.open(parent, StandardOpenOption.READ)) {
      dir.force(true);
    }
  }
}
