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
 * {@code fmt} and {@code convert} as a library call: re-print a policy that was read, in its own or
 * another syntax, and prove the result means the same.
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
    List<Diagnostic> readingErrors =
        from.isPresent() ? readingErrors(read.source(), from.get()) : read.errors();
    if (!readingErrors.isEmpty()) {
      return new Result(null, readingErrors);
    }
    Policy policy = read.partial();
    // Every value is printed as its author wrote it (10.0.0.1/32 stays 10.0.0.1/32).
    String text =
        Printers.print(
            policy, target, from.map(f -> Written.of(read.source(), f)).orElse(Written.NONE));
    verify(policy, text, target);
    return new Result(text, List.of());
  }

  /**
   * {@code fmt}: {@code read} laid out anew in its own syntax. HuJSON is formatted as Tailscale's
   * formatter does ({@link HujsonFormat}): whitespace and commas change, keys, values and comments
   * stay where and as they were. {@code modernize} also writes the documented spelling of keys
   * (case, and {@code src}/{@code dst} for the legacy ACL keys {@code users}/{@code ports});
   * without it the author's keys are kept. YAML and the DSL are printed canonically from the AST.
   */
  public static Result format(PolicyResult read, boolean modernize) {
    Optional<Syntax> syntax =
        read.source() == null ? Optional.empty() : Syntax.forFileName(read.source().name());
    if (syntax.isEmpty() || syntax.get() != Syntax.HUJSON) {
      return print(read, syntax.orElse(Syntax.HUJSON));
    }
    // Formatting the concrete tree loses nothing, so only text that is not HuJSON at all blocks;
    // a file with unknown keys or bad values is formatted as it is.
    Diagnostics syntaxErrors = new Diagnostics();
    if (dev.tessera.policy.syntax.TreeReader.read(read.source(), false, syntaxErrors).isEmpty()) {
      return new Result(null, syntaxErrors.sorted().stream().filter(Diagnostic::isError).toList());
    }
    String text =
        modernize
            ? HujsonFormat.format(read.source().text(), dev.tessera.policy.syntax.ModernKeys::of)
            : HujsonFormat.format(read.source().text());
    verifySameReading(read.source(), text);
    List<String> before = commentTexts(read.source().text());
    List<String> after = commentTexts(text);
    if (!before.equals(after)) {
      throw new IllegalStateException(
          "formatting changed the comments (a formatter bug; the output was not written)");
    }
    return new Result(text, List.of());
  }

  /**
   * The formatted text reads as the original does: the same (partial) AST and the same errors (by
   * code; messages may cite line numbers), so formatting a file with errors keeps exactly those
   * errors. Warnings may go ({@code --modernize} fixes key spellings).
   */
  private static void verifySameReading(SourceText original, String text) {
    PolicyResult before = Policies.read(original.name(), original.text(), Syntax.HUJSON);
    PolicyResult after = Policies.read(original.name(), text, Syntax.HUJSON);
    List<String> db = before.errors().stream().map(Diagnostic::code).toList();
    List<String> da = after.errors().stream().map(Diagnostic::code).toList();
    if (!java.util.Objects.equals(before.partial(), after.partial()) || !db.equals(da)) {
      throw new IllegalStateException(
          "formatting changed the policy (a formatter bug; the output was not written)");
    }
  }

  /** The comments of a HuJSON text, trailing whitespace aside (the formatter trims it). */
  private static List<String> commentTexts(String hujson) {
    return dev.tessera.policy.syntax.CommentScanner.hujson(new SourceText("<fmt>", hujson)).stream()
        .map(c -> c.text().stripTrailing())
        .toList();
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
    SyntaxReader reader =
        Policies.reader(target)
            .orElseThrow(() -> new IllegalStateException("no reader for " + target));
    Policy back = reader.read(new SourceText("<printed " + target + ">", text), d);
    List<Diagnostic> errors = d.sorted().stream().filter(Diagnostic::isError).toList();
    if (!errors.isEmpty() || !original.equals(back)) {
      throw new IllegalStateException(
          "printing as "
              + target
              + " changed the policy"
              + (errors.isEmpty() ? "" : ": " + errors.getFirst())
              + " (a printer bug; the output was not written)");
    }
  }
}
