package dev.tessera.policy.print;

import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.SourceText;
import dev.tessera.policy.syntax.SyntaxReader;
import java.util.List;
import java.util.Optional;

/**
 * {@code fmt} and {@code convert} as a library call: re-print a policy that was read, in its own
 * or another syntax, and prove the result means the same.
 *
 * <p>Safety decision: a reader leaves out what it cannot read (and reports it), so printing a
 * policy with <em>reading</em> errors would silently delete those parts; such input is refused
 * ({@link Result#blocking()}). Errors of meaning (an undefined group) do not lose anything and do
 * not block: a broken policy can still be formatted or migrated. Every printed text is read back
 * with the target syntax's reader and compared with the original AST (structurally: spans and
 * comments aside); a difference is a printer bug and throws, so a user never receives a file that
 * means something else.
 */
public final class Conversions {
  private Conversions() {}

  /**
   * @param text the printed policy, null when blocked
   * @param blocking the reading errors that prevented printing (empty when printed)
   */
  public record Result(String text, List<Diagnostic> blocking) {
    public Result {
      blocking = List.copyOf(blocking);
    }

    public boolean ok() {
      return text != null;
    }
  }

  /** Prints {@code read} (the result of {@link Policies#read}) in {@code target}. */
  public static Result print(PolicyResult read, Syntax target) {
    if (read.partial() == null || read.source() == null) {
      return new Result(null, read.errors());
    }
    Optional<Syntax> from = Syntax.forFileName(read.source().name());
    List<Diagnostic> readingErrors = from.isPresent() ? readingErrors(read.source(), from.get()) : read.errors();
    if (!readingErrors.isEmpty()) {
      return new Result(null, readingErrors);
    }
    Policy policy = read.partial();
    String text = Printers.print(policy, target);
    verify(policy, text, target);
    return new Result(text, List.of());
  }

  /** Errors of the syntax reader alone (not of semantic validation). */
  private static List<Diagnostic> readingErrors(SourceText src, Syntax syntax) {
    Optional<SyntaxReader> reader = Policies.reader(syntax);
    if (reader.isEmpty()) {
      return List.of();
    }
    Diagnostics d = new Diagnostics();
    reader.get().read(src, d);
    return d.sorted().stream().filter(Diagnostic::isError).toList();
  }

  private static void verify(Policy original, String text, Syntax target) {
    Diagnostics d = new Diagnostics();
    SyntaxReader reader = Policies.reader(target)
        .orElseThrow(() -> new IllegalStateException("no reader for " + target));
    Policy back = reader.read(new SourceText("<printed " + target + ">", text), d);
    List<Diagnostic> errors = d.sorted().stream().filter(Diagnostic::isError).toList();
    if (!errors.isEmpty() || !original.equals(back)) {
      throw new IllegalStateException("printing as " + target + " changed the policy"
          + (errors.isEmpty() ? "" : ": " + errors.getFirst())
          + " (a printer bug; the output was not written)");
    }
  }
}
