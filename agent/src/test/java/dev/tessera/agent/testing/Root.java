package dev.tessera.agent.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Root detection for tests that create TUN devices or network namespaces. */
public final class Root {
  private Root() {}

  public static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+")[2].equals("0"); // effective uid
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }

  public static void assumeRoot(String what) {
    Assumptions.assumeTrue(isRoot(), "needs root: " + what + " (run the tests as root to include it)");
  }
}
