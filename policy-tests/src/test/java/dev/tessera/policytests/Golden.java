package dev.tessera.policytests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Golden files: compared exactly; rewritten with {@code -Dgolden.update=true}, reviewed as diffs.
 */
final class Golden {
  private Golden() {}

  static void check(Path file, String actual) throws IOException {
    if (Boolean.getBoolean("golden.update") || !Files.exists(file)) {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, actual);
      if (!Boolean.getBoolean("golden.update")) {
        throw new AssertionError(
            "golden file " + file + " was missing and has been written; review it and rerun");
      }
      return;
    }
    assertThat(actual)
        .as("golden " + file + " (rerun with -Dgolden.update=true to accept)")
        .isEqualTo(Files.readString(file));
  }
}
