package dev.tessera.policytests;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.diag.Codes;
import dev.tessera.policy.diag.Diagnostic;
import java.io.IOException;
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
 * <p>Design note: Jackson's streaming parsers (JSON with comments and trailing commas, which is
 * HuJSON; and YAML) are used token by token rather than through databind, because every value must
 * keep its line and column for the report ("file:line: expected ALLOWED"). Anything not shaped like
 * a test list is a located {@link Diagnostic}, never an exception; unknown keys in an entry are
 * rejected, as Tailscale rejects unknown fields.
 */
public final class TestFileReader {

  /** What the file held: the entries read, and the problems found (empty when well-formed). */
  public record Result(List<TestSpec> tests, List<Diagnostic> problems) {
    public Result {
      tests = List.copyOf(tests);
      problems = List.copyOf(problems);
    }
  }

  private static final JsonFactory HUJSON =
      JsonFactory.builder()
          .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
          .enable(JsonReadFeature.ALLOW_TRAILING_COMMA)
          .build();
  private static final YAMLFactory YAML =
      YAMLFactory.builder()
          .loaderOptions(dev.tessera.policy.syntax.TreeReader.largeDocuments())
          .build();

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
    List<Diagnostic> problems = new ArrayList<>();
    Node root;
    try (JsonParser p = isYaml(fileName) ? YAML.createParser(text) : HUJSON.createParser(text)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        problems.add(
            Diagnostic.error(
                Codes.SCHEMA, "the test file is empty", SourceSpan.point(fileName, 1, 1, 0)));
        return new Result(List.of(), problems);
      }
      root = readValue(p, fileName);
      if (p.nextToken() != null) {
        problems.add(
            Diagnostic.error(
                Codes.SYNTAX,
                "unexpected content after the end of the document",
                here(p, fileName)));
      }
    } catch (JsonProcessingException e) {
      JsonLocation loc = e.getLocation();
      SourceSpan span =
          loc == null
              ? SourceSpan.point(fileName, 1, 1, 0)
              : SourceSpan.point(
                  fileName,
                  Math.max(1, loc.getLineNr()),
                  Math.max(1, loc.getColumnNr()),
                  (int) loc.getCharOffset());
      problems.add(Diagnostic.error(Codes.SYNTAX, e.getOriginalMessage(), span));
      return new Result(List.of(), problems);
    } catch (IOException e) {
      // Reading from a String cannot fail with anything but a syntax error; keep the message.
      problems.add(
          Diagnostic.error(
              Codes.SYNTAX, String.valueOf(e.getMessage()), SourceSpan.point(fileName, 1, 1, 0)));
      return new Result(List.of(), problems);
    }
    List<TestSpec> tests = new ArrayList<>();
    Node list = root;
    if (root instanceof Node.Obj obj) {
      Node found = null;
      for (Node.Field f : obj.fields()) {
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
    if (!(list instanceof Node.Arr arr)) {
      problems.add(Diagnostic.error(Codes.SCHEMA, "expected a list of tests", list.span()));
      return new Result(List.of(), problems);
    }
    for (Node item : arr.items()) {
      toSpec(item, problems).ifPresent(tests::add);
    }
    return new Result(tests, problems);
  }

  private static Optional<TestSpec> toSpec(Node item, List<Diagnostic> problems) {
    if (!(item instanceof Node.Obj obj)) {
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
    for (Node.Field f : obj.fields()) {
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

  private static Optional<TestSpec.Text> scalar(Node.Field f, List<Diagnostic> problems) {
    if (f.value() instanceof Node.Scalar s) {
      return Optional.of(new TestSpec.Text(s.text(), s.span()));
    }
    problems.add(
        Diagnostic.error(Codes.SCHEMA, "\"" + f.key() + "\" must be a string", f.value().span()));
    return Optional.empty();
  }

  private static List<TestSpec.Text> strings(Node.Field f, List<Diagnostic> problems) {
    if (!(f.value() instanceof Node.Arr arr)) {
      problems.add(
          Diagnostic.error(
              Codes.SCHEMA,
              "\"" + f.key() + "\" must be a list of \"host:port\" strings",
              f.value().span()));
      return List.of();
    }
    List<TestSpec.Text> out = new ArrayList<>();
    for (Node n : arr.items()) {
      if (n instanceof Node.Scalar s) {
        out.add(new TestSpec.Text(s.text(), s.span()));
      } else {
        problems.add(Diagnostic.error(Codes.SCHEMA, "expected a \"host:port\" string", n.span()));
      }
    }
    return out;
  }

  // -- a small located tree --------------------------------------------------------------------

  private sealed interface Node {
    SourceSpan span();

    record Scalar(String text, SourceSpan span) implements Node {}

    record Arr(List<Node> items, SourceSpan span) implements Node {}

    record Field(String key, SourceSpan keySpan, Node value) {}

    record Obj(List<Field> fields, SourceSpan span) implements Node {}
  }

  private static SourceSpan here(JsonParser p, String file) {
    JsonLocation l = p.currentTokenLocation();
    return SourceSpan.point(
        file, Math.max(1, l.getLineNr()), Math.max(1, l.getColumnNr()), (int) l.getCharOffset());
  }

  private static SourceSpan span(JsonLocation start, JsonLocation end, String file) {
    return new SourceSpan(
        file,
        Math.max(1, start.getLineNr()),
        Math.max(1, start.getColumnNr()),
        Math.max(1, end.getLineNr()),
        Math.max(1, end.getColumnNr()),
        (int) start.getCharOffset(),
        (int) end.getCharOffset());
  }

  /** Reads the value at the current token (the parser stands on its first token). */
  private static Node readValue(JsonParser p, String file) throws IOException {
    JsonToken t = p.currentToken();
    JsonLocation start = p.currentTokenLocation();
    return switch (t) {
      case START_OBJECT -> {
        List<Node.Field> fields = new ArrayList<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          JsonLocation ks = p.currentTokenLocation();
          SourceSpan keySpan = span(ks, p.currentLocation(), file);
          p.nextToken();
          fields.add(new Node.Field(key, keySpan, readValue(p, file)));
        }
        yield new Node.Obj(fields, span(start, p.currentLocation(), file));
      }
      case START_ARRAY -> {
        List<Node> items = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          items.add(readValue(p, file));
        }
        yield new Node.Arr(items, span(start, p.currentLocation(), file));
      }
      // Scalars keep their text: a YAML "proto: 6" is the same test as "proto": "6".
      case VALUE_STRING, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT, VALUE_TRUE, VALUE_FALSE ->
          new Node.Scalar(p.getText(), span(start, p.currentLocation(), file));
      case VALUE_NULL -> new Node.Scalar("", span(start, p.currentLocation(), file));
      default ->
          throw new JsonProcessingException("unexpected " + t, start) {
            private static final long serialVersionUID = 1L;
          };
    };
  }
}
