package dev.tessera.agent.config;

/**
 * One problem found in a config file, located by 1-based line (0 when it concerns the whole file).
 *
 * @param error true for an error (the config is rejected), false for a warning (the line is
 *     ignored)
 */
public record ConfigProblem(String file, int line, boolean error, String message) {
  @Override
  public String toString() {
    return file + (line > 0 ? ":" + line : "") + ": " + (error ? "error: " : "warning: ") + message;
  }
}
