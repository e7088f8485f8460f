package dev.tessera.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The project's root directory, found from the test's working directory (a module directory under
 * Surefire) by walking up to the directory that holds the tool list {@code .ci/tools}. The system
 * property {@code tessera.root} overrides the search.
 */
public final class ProjectRoot {
  private static volatile Path cached;

  private ProjectRoot() {}

  public static Path get() {
    Path p = cached;
    if (p == null) {
      p = find();
      cached = p;
    }
    return p;
  }

  private static Path find() {
    String prop = System.getProperty("tessera.root");
    if (prop != null && !prop.isBlank()) {
      return Path.of(prop).toAbsolutePath().normalize();
    }
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve(ToolList.FILE))) {
        return d;
      }
    }
    throw new IllegalStateException(
        "project root not found: no "
            + ToolList.FILE
            + " above "
            + Path.of("").toAbsolutePath()
            + " (set -Dtessera.root)");
  }
}
