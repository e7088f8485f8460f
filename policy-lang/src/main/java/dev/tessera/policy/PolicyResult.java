package dev.tessera.policy;

import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.SourceText;
import java.util.List;
import java.util.Optional;

/**
 * The outcome of reading (and validating) one policy file.
 *
 * @param partial best-effort AST, possibly with invalid parts left out; null if unreadable
 * @param diagnostics every problem found, sorted by position
 * @param source the text read, for rendering excerpts; null if the file could not be read
 */
public record PolicyResult(Policy partial, List<Diagnostic> diagnostics, SourceText source) {
  public PolicyResult {
    diagnostics = List.copyOf(diagnostics);
  }

  /** True when there are no error diagnostics and a policy was read. */
  public boolean ok() {
    return partial != null && diagnostics.stream().noneMatch(Diagnostic::isError);
  }

  /** The policy, present only when it is valid ({@link #ok()}). Fail closed: errors mean none. */
  public Optional<Policy> policy() {
    return ok() ? Optional.of(partial) : Optional.empty();
  }

  public Optional<Policy> partialPolicy() {
    return Optional.ofNullable(partial);
  }

  /**
   * True when the file could not be read at all (missing, unreadable, unknown syntax): a usage or
   * I/O problem (exit 2 in the CLI) rather than a policy problem (exit 1).
   */
  public boolean unreadable() {
    return partial == null
        && diagnostics.stream()
            .anyMatch(
                d ->
                    d.code().equals(dev.tessera.policy.diag.Codes.IO)
                        || d.code().equals(dev.tessera.policy.diag.Codes.UNSUPPORTED_SYNTAX));
  }

  public List<Diagnostic> errors() {
    return diagnostics.stream().filter(Diagnostic::isError).toList();
  }
}
