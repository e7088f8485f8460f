package dev.tessera.policytests;

import dev.tessera.policy.diag.Codes;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.SourceText;
import dev.tessera.policy.syntax.Tree;
import dev.tessera.policy.syntax.TreeReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads an external test file: HuJSON ({@code .hujson}, {@code .json}) or YAML ({@code .yaml},
 * {@code .yml}) holding either a bare list of test entries or an object with a {@code tests} list,
 * each entry shaped like the policy's own {@code tests} section ({@code src}, {@code proto}, {@code
 * accept}, {@code deny}).
 *
 * <p>Design note: the text is read by policy-lang's {@link TreeReader}, the one located reader (the
 * policy's and the inventory's too), so every value keeps its line and column for the report
 * ("file:line: expected ALLOWED") and syntax errors and duplicate keys read as they do in a policy.
 * Anything not shaped like a test list is a located {@link Diagnostic}, never an exception; unknown
 * keys in an entry are rejected, as Tailscale rejects unknown fields.
 */
final class TestFileReader {

  /** What the file held: the entries read, and the problems found (empty when well-formed). */
  public record Result(List<TestSpec> tests, List<Diagnostic> problems) {
    public Result {
      tests = List.copyOf(tests);
      problems = List.copyOf(problems);
    }
  }

  private TestFileReader() {}

  /** Whether {@code name} is read as YAML (else HuJSON). */
  static boolean isYaml(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".yaml") || n.endsWith(".yml");
  }

  /**
   * Reads {@code text}, naming positions after {@code fileName}. The syntax follows the file
   * extension.
   */
  public static Result read(String fileName, String text) {
    Diagnostics syntax = new Diagnostics();
    Optional<Tree> read =
        TreeReader.read(
            new SourceText(fileName, text),
            isYaml(fileName),
            syntax,
            "test file",
            "the test file is empty");
    List<Diagnostic> problems = new ArrayList<>(syntax.sorted());
    if (read.isEmpty()) {
      return new Result(List.of(), problems);
    }
    Tree root = read.get();
    List<TestSpec> tests = new ArrayList<>();
    Tree list = root;
    if (root instanceof Tree.Obj obj) {
      Tree found = null;
      for (Tree.Entry f : obj.entries()) {
        if (f.key().equalsIgnoreCase("tests")) {
          found = f.value();
        } else {
          problems.add(
              Diagnostic.error(
                  Codes.UNKNOWN_KEY,
                  "unknown key \"" + f.key() + "\" (a test file holds a \"tests\" list)",
                  f.keySpan()));
        }
      }
      if (found == null) {
        problems.add(Diagnostic.error(Codes.SCHEMA, "missing \"tests\" list", obj.span()));
        return new Result(List.of(), problems);
      }
      list = found;
    }
    if (!(list instanceof Tree.Arr arr)) {
      problems.add(Diagnostic.error(Codes.SCHEMA, "expected a list of tests", list.span()));
      return new Result(List.of(), problems);
    }
    for (Tree item : arr.items()) {
      toSpec(item, problems).ifPresent(tests::add);
    }
    return new Result(tests, problems);
  }

  private static Optional<TestSpec> toSpec(Tree item, List<Diagnostic> problems) {
    if (!(item instanceof Tree.Obj obj)) {
      problems.add(
          Diagnostic.error(
              Codes.SCHEMA, "a test must be an object with src, accept and/or deny", item.span()));
      return Optional.empty();
    }
    Optional<TestSpec.Text> src = Optional.empty();
    Optional<TestSpec.Text> proto = Optional.empty();
    List<TestSpec.Text> accept = List.of();
    List<TestSpec.Text> deny = List.of();
    boolean hasAccept = false;
    boolean hasDeny = false;
    int before = problems.size();
    for (Tree.Entry f : obj.entries()) {
      switch (f.key().toLowerCase(Locale.ROOT)) {
        case "src" -> src = scalar(f, problems);
        case "proto" -> proto = scalar(f, problems);
        case "accept" -> {
          hasAccept = true;
          accept = strings(f, problems);
        }
        case "deny" -> {
          hasDeny = true;
          deny = strings(f, problems);
        }
        default ->
            problems.add(
                Diagnostic.error(
                    Codes.UNKNOWN_KEY,
                    "unknown key \"" + f.key() + "\" in a test (expected src, proto, accept, deny)",
                    f.keySpan()));
      }
    }
    if (problems.size() > before) {
      return Optional.empty();
    }
    return Optional.of(new TestSpec(obj.span(), src, proto, accept, deny, hasAccept, hasDeny));
  }

  private static Optional<TestSpec.Text> scalar(Tree.Entry f, List<Diagnostic> problems) {
    Optional<String> text = text(f.value());
    if (text.isPresent()) {
      return Optional.of(new TestSpec.Text(text.get(), f.value().span()));
    }
    problems.add(
        Diagnostic.error(Codes.SCHEMA, "\"" + f.key() + "\" must be a string", f.value().span()));
    return Optional.empty();
  }

  private static List<TestSpec.Text> strings(Tree.Entry f, List<Diagnostic> problems) {
    if (!(f.value() instanceof Tree.Arr arr)) {
      problems.add(
          Diagnostic.error(
              Codes.SCHEMA,
              "\"" + f.key() + "\" must be a list of \"host:port\" strings",
              f.value().span()));
      return List.of();
    }
    List<TestSpec.Text> out = new ArrayList<>();
    for (Tree n : arr.items()) {
      Optional<String> text = text(n);
      if (text.isPresent()) {
        out.add(new TestSpec.Text(text.get(), n.span()));
      } else {
        problems.add(Diagnostic.error(Codes.SCHEMA, "expected a \"host:port\" string", n.span()));
      }
    }
    return out;
  }

  /** A scalar's text: a YAML "proto: 6" is the same test as "proto": "6"; null reads as "". */
  private static Optional<String> text(Tree t) {
    return switch (t) {
      case Tree.Str s -> Optional.of(s.value());
      case Tree.Num n -> Optional.of(n.text());
      case Tree.Bool b -> Optional.of(String.valueOf(b.value()));
      case Tree.Null n -> Optional.of("");
      case Tree.Obj o -> Optional.empty();
      case Tree.Arr a -> Optional.empty();
    };
  }
}
