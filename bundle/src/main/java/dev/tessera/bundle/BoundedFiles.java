package dev.tessera.bundle;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Reads a configuration or state file with a size bound: only a regular file is opened (a FIFO
 * would block the reader until some writer came, a device such as {@code /dev/zero} never ends),
 * and at most {@code maxBytes} bytes are read, whatever the file claims its size is (it may grow
 * while it is read). Anything else is a clear {@link IOException}, never a hang or an {@link
 * OutOfMemoryError}. Messages do not name the file: the caller says which file it was.
 */
public final class BoundedFiles {
  private BoundedFiles() {}

  /** The file is larger than the bound; nothing beyond the bound was read. */
  public static final class TooLargeException extends IOException {
    TooLargeException(String message) {
      super(message);
    }
  }

  /** The bytes of {@code file}, at most {@code maxBytes} of them (else TooLargeException). */
  public static byte[] read(Path file, int maxBytes) throws IOException {
    BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
    if (!a.isRegularFile()) {
      throw new IOException(
          "not a regular file (it is "
              + (a.isDirectory() ? "a directory" : "a FIFO, socket or device")
              + ")");
    }
    if (a.size() > maxBytes) {
      throw new TooLargeException("larger than " + maxBytes + " bytes; not read");
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] b = in.readNBytes(maxBytes + 1 > 0 ? maxBytes + 1 : maxBytes);
      if (b.length > maxBytes) {
        throw new TooLargeException("larger than " + maxBytes + " bytes; not read");
      }
      return b;
    }
  }

  /** {@link #read} as UTF-8 text; bytes that are not UTF-8 are an error. */
  public static String readString(Path file, int maxBytes) throws IOException {
    byte[] b = read(file, maxBytes);
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IOException("not UTF-8 text");
    }
  }
}
