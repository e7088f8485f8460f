package dev.tessera.policy;

import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.diag.Codes;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.SourceText;
import dev.tessera.policy.syntax.JsonFamilyReader;
import dev.tessera.policy.syntax.SyntaxReader;
import dev.tessera.policy.validate.SemanticValidator;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Entry points: read a policy file in any syntax, validate it, get diagnostics.
 *
 * <pre>
 * PolicyResult r = Policies.read(Path.of("policy.hujson"));
 * r.policy()       // present only when valid
 * r.diagnostics()  // every problem, sorted by position
 * </pre>
 *
 * Reading = syntax-specific reading (structure and values) + {@link SemanticValidator} (meaning),
 * so every syntax gets the same checks. Bad input never throws; an exception from here is a bug.
 */
public final class Policies {
  private Policies() {}

  /**
   * Reads a file; the syntax comes from its extension. I/O problems become {@code io} diagnostics.
   */
  public static PolicyResult read(Path file) {
    String name = file.toString();
    Optional<Syntax> syntax = Syntax.forFileName(name);
    if (syntax.isEmpty()) {
      return failure(
          Codes.UNSUPPORTED_SYNTAX,
          name,
          "cannot tell the policy syntax from the file name \"" + file.getFileName() + "\"",
          "use .hujson or .json (Tailscale format), .yaml or .yml, or .tpol");
    }
    String text;
    try {
      byte[] bytes = Files.readAllBytes(file);
      text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (NoSuchFileException e) {
      return failure(Codes.IO, name, "no such file", null);
    } catch (CharacterCodingException e) {
      return failure(Codes.IO, name, "the file is not valid UTF-8", null);
    } catch (IOException e) {
      return failure(Codes.IO, name, "cannot read: " + e.getMessage(), null);
    }
    return read(name, text, syntax.get());
  }

  /** Reads text held in memory; {@code name} is used in spans. */
  public static PolicyResult read(String name, String text, Syntax syntax) {
    if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
      text = text.substring(1); // a UTF-8 byte order mark is not part of the document
    }
    SourceText src = new SourceText(name, text);
    Diagnostics diags = new Diagnostics();
    Optional<SyntaxReader> reader = reader(syntax);
    if (reader.isEmpty()) {
      diags.error(
          Codes.UNSUPPORTED_SYNTAX,
          "no reader for " + syntax + " is installed",
          SourceSpan.point(name, 1, 1, 0));
      return new PolicyResult(null, diags.sorted(), src);
    }
    SyntaxReader.Outcome out = reader.get().readFull(src, diags);
    Policy partial = out.policy();
    if (partial != null) {
      SemanticValidator.validate(
          partial, out.droppedAcls(), out.droppedGrants(), out.droppedSsh(), diags);
    }
    return new PolicyResult(partial, diags.sorted(), src);
  }

  /** Semantic checks on an AST from anywhere (e.g. built in code); sorted diagnostics. */
  public static List<Diagnostic> validate(Policy policy) {
    Diagnostics diags = new Diagnostics();
    SemanticValidator.validate(policy, diags);
    return diags.sorted();
  }

  /** The reader for a syntax: HuJSON and YAML built in, others via {@link ServiceLoader}. */
  public static Optional<SyntaxReader> reader(Syntax syntax) {
    return switch (syntax) {
      case HUJSON -> Optional.of(JsonFamilyReader.HUJSON);
      case YAML -> Optional.of(JsonFamilyReader.YAML);
      case TPOL ->
          ServiceLoader.load(SyntaxReader.class, Policies.class.getClassLoader()).stream()
              .map(ServiceLoader.Provider::get)
              .filter(r -> r.syntax() == syntax)
              .findFirst();
    };
  }

  private static PolicyResult failure(String code, String file, String message, String help) {
    return new PolicyResult(
        null,
        List.of(Diagnostic.error(code, message, SourceSpan.point(file, 0, 0, -1), help)),
        null);
  }
}
