package dev.tessera.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Checks the hash chain of an {@link AuditLog} file: each line must be a JSON object whose {@code
 * prev} is the SHA-256 of the previous line's bytes (64 zeros on the first line). Lines written
 * before the log was chained (no {@code prev}) are accepted only as a prefix: once a chained line
 * appears, every later line must continue the chain.
 */
public final class AuditChain {
  /** Longest line read; a longer one is reported as broken, never buffered whole. */
  static final int MAX_LINE_BYTES = 1 << 20;

  private static final ObjectMapper JSON = new ObjectMapper();

  private AuditChain() {}

  /**
   * The outcome: how many lines were read and chained, the hash of the last line (to compare with a
   * head recorded elsewhere), and the first break if any (1-based line number and what is wrong).
   */
  public record Result(long lines, long chained, String head, Optional<Break> broken) {
    public boolean ok() {
      return broken.isEmpty();
    }
  }

  public record Break(long line, String problem) {}

  public static Result verify(Path file) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      return verify(in);
    }
  }

  public static Result verify(InputStream in) throws IOException {
    String prevHash = AuditLog.GENESIS;
    long lineNo = 0;
    long chained = 0;
    boolean chainStarted = false;
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    boolean tooLong = false;
    int b;
    boolean pending = false;
    while (true) {
      b = in.read();
      if (b == -1 && !pending) {
        break;
      }
      if (b != '\n' && b != -1) {
        pending = true;
        if (line.size() < MAX_LINE_BYTES) {
          line.write(b);
        } else {
          tooLong = true;
        }
        continue;
      }
      lineNo++;
      pending = false;
      byte[] bytes = line.toByteArray();
      line.reset();
      if (tooLong) {
        return new Result(
            lineNo,
            chained,
            prevHash,
            Optional.of(new Break(lineNo, "line longer than " + MAX_LINE_BYTES + " bytes")));
      }
      if (b == -1) {
        return new Result(
            lineNo,
            chained,
            prevHash,
            Optional.of(
                new Break(lineNo, "last line is not terminated (a torn or truncated write)")));
      }
      JsonNode j;
      try {
        j = JSON.readTree(bytes);
      } catch (
          IOException e) { // malformed JSON, or bytes Jackson takes for another Unicode encoding
        return new Result(
            lineNo, chained, prevHash, Optional.of(new Break(lineNo, "not a JSON object")));
      }
      if (j == null || !j.isObject()) {
        return new Result(
            lineNo, chained, prevHash, Optional.of(new Break(lineNo, "not a JSON object")));
      }
      JsonNode prev = j.get("prev");
      if (prev == null) {
        if (chainStarted) {
          return new Result(
              lineNo,
              chained,
              prevHash,
              Optional.of(new Break(lineNo, "line has no \"prev\" hash after the chain began")));
        }
      } else {
        chainStarted = true;
        if (!prev.isTextual() || !prev.asText().equals(prevHash)) {
          return new Result(
              lineNo,
              chained,
              prevHash,
              Optional.of(
                  new Break(
                      lineNo,
                      "\"prev\" does not match the SHA-256 of line "
                          + (lineNo - 1)
                          + " (a line was changed, removed or inserted"
                          + " before this one)")));
        }
        chained++;
      }
      prevHash = AuditLog.sha256(bytes);
      if (b == -1) {
        break;
      }
    }
    return new Result(lineNo, chained, prevHash, Optional.empty());
  }
}
