package dev.tessera.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a report a CI job picks up ({@code --junit FILE}): parent directories made, file replaced
 * whole.
 */
final class ReportFile {
  private ReportFile() {}

  static void write(Path file, String text) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
    } catch (IOException e) {
      throw new UserError("cannot write the report " + file + ": " + e.getMessage());
    }
    FmtCommand.write(file, text);
  }
}
