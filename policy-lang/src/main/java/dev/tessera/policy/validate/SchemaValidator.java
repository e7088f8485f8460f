package dev.tessera.policy.validate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.diag.Codes;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.syntax.Tree;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Structural validation of a (key-normalized) policy tree against {@code policy.schema.json}, the
 * same schema published at {@code schema/policy.schema.json} for editors.
 *
 * <p>Design note: the schema is authoritative for structure (types, required keys, unknown keys
 * that escaped normalization). Value-level keywords ({@code enum}, {@code pattern}, {@code
 * propertyNames}) are left to the readers, which give better located messages with hints (e.g.
 * {@code deny} -> Tailscale's wording, a bad group name located at the key), so those schema
 * messages are dropped here. Each remaining message's instance location is followed back into the
 * located tree to find its span. The compiled schema is built once, on first use, so a process that
 * never validates never pays for it.
 *
 * <p>YAML leniency: YAML writers do not quote {@code 443} or {@code 6}; for YAML documents a number
 * where the policy holds strings is taken as its text (except inside opaque values, {@code derpMap}
 * and {@code app}, which keep their types).
 */
public final class SchemaValidator {
  private SchemaValidator() {}

  private static final Set<String> LEFT_TO_READERS = Set.of("enum", "pattern", "propertyNames");

  /** The schema text, as packaged. */
  public static String schemaText() {
    try (InputStream in =
        SchemaValidator.class.getResourceAsStream("/dev/tessera/policy/policy.schema.json")) {
      if (in == null) {
        throw new IllegalStateException("policy.schema.json missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final class Holder {
    static {
      // networknt logs through SLF4J; with no provider bound, SLF4J prints a three-line warning
      // to stderr on first use, which would pollute `policyc check` output. Silence only that
      // internal notice, and only if the application has not chosen otherwise.
      if (System.getProperty("slf4j.internal.verbosity") == null) {
        System.setProperty("slf4j.internal.verbosity", "ERROR");
      }
    }

    static final JsonSchema SCHEMA =
        JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schemaText());
  }

  /** A schema problem and the instance path it is about (keys and indexes). */
  public record Finding(List<Object> path, Diagnostic diagnostic) {}

  /** Validates; returns located diagnostics (code {@code schema}), unsorted, with their paths. */
  public static List<Finding> validate(Tree root, boolean yaml) {
    JsonNode node = toJson(root, yaml, false);
    Set<ValidationMessage> msgs = Holder.SCHEMA.validate(node);
    List<Finding> out = new ArrayList<>();
    for (ValidationMessage m : msgs) {
      if (LEFT_TO_READERS.contains(m.getType())) {
        continue;
      }
      List<Object> path = path(m.getInstanceLocation());
      SourceSpan span = locate(root, path);
      out.add(new Finding(path, Diagnostic.error(Codes.SCHEMA, message(m, path, root), span)));
    }
    return out;
  }

  /** Instance paths of the messages that {@link #validate} reports, for de-duplication. */
  public static List<Object> path(JsonNodePath p) {
    List<Object> out = new ArrayList<>(p.getNameCount());
    for (int i = 0; i < p.getNameCount(); i++) {
      out.add(p.getElement(i));
    }
    return out;
  }

  private static SourceSpan locate(Tree root, List<Object> path) {
    Tree cur = root;
    SourceSpan best = root.span();
    for (Object step : path) {
      if (step instanceof Integer i
          && cur instanceof Tree.Arr a
          && i >= 0
          && i < a.items().size()) {
        cur = a.items().get(i);
        best = cur.span();
      } else if (step instanceof String k && cur instanceof Tree.Obj o && o.get(k).isPresent()) {
        Tree.Entry e = o.get(k).get();
        cur = e.value();
        best = cur.span();
      } else {
        break;
      }
    }
    return best;
  }

  /** A readable path like {@code acls[0].src}. */
  public static String pathText(List<Object> path) {
    StringBuilder sb = new StringBuilder();
    for (Object step : path) {
      if (step instanceof Integer i) {
        sb.append('[').append(i).append(']');
      } else {
        if (!sb.isEmpty()) {
          sb.append('.');
        }
        sb.append(step);
      }
    }
    return sb.isEmpty() ? "the policy" : sb.toString();
  }

  private static String message(ValidationMessage m, List<Object> path, Tree root) {
    String where = pathText(path);
    Object[] args = m.getArguments();
    return switch (m.getType()) {
      case "type" -> {
        String found = args != null && args.length > 0 ? String.valueOf(args[0]) : "value";
        String expected =
            args != null && args.length > 1 ? String.valueOf(args[1]) : "another type";
        yield where + " must be " + article(expected) + ", not " + article(found);
      }
      case "required" -> where + " is missing the required key \"" + m.getProperty() + "\"";
      case "additionalProperties" -> "unknown key \"" + m.getProperty() + "\" in " + where;
      default -> where + ": " + m.getError();
    };
  }

  private static String article(String type) {
    return switch (type) {
      case "array", "object", "integer" -> "an " + type;
      default -> "a " + type;
    };
  }

  /**
   * Converts the located tree to Jackson's tree (numbers as text in YAML, outside opaque values).
   */
  static JsonNode toJson(Tree t, boolean yaml, boolean opaque) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    return switch (t) {
      case Tree.Obj o -> {
        ObjectNode n = f.objectNode();
        for (Tree.Entry e : o.entries()) {
          boolean op = opaque || e.key().equals("derpMap") || e.key().equals("app");
          n.set(e.key(), toJson(e.value(), yaml, op));
        }
        yield n;
      }
      case Tree.Arr a -> {
        ArrayNode n = f.arrayNode(a.items().size());
        for (Tree item : a.items()) {
          n.add(toJson(item, yaml, opaque));
        }
        yield n;
      }
      case Tree.Str s -> f.textNode(s.value());
      case Tree.Num num -> {
        if (yaml && !opaque) {
          yield f.textNode(num.text());
        }
        try {
          yield f.numberNode(new BigDecimal(num.text()));
        } catch (NumberFormatException e) {
          // YAML spellings such as 0x10 or 1_000: the type is what matters to the schema.
          yield f.numberNode(0);
        }
      }
      case Tree.Bool b -> f.booleanNode(b.value());
      case Tree.Null nl -> f.nullNode();
    };
  }
}
