package dev.tessera.policy.syntax;

import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.Comment;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.diag.Codes;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.SourceText;
import dev.tessera.policy.validate.SchemaValidator;
import java.util.List;
import java.util.Optional;

/**
 * The HuJSON and YAML readers: one pipeline for both, since they share the document structure.
 *
 * <pre>
 * text -> TreeReader (located tree, syntax errors, exact duplicate keys)
 *      -> KeyNormalizer (canonical keys, unknown keys with hints, case/legacy warnings)
 *      -> SchemaValidator (structure, located)
 *      -> PolicyMapper (values parsed, AST) + type issues the schema did not cover
 * </pre>
 *
 * <p>Speed decision: the mapper checks types and required keys itself (it must, to build the AST),
 * so on a structurally sound document the schema has nothing to say; building networknt's validator
 * costs a few hundred milliseconds of class loading, which would dominate a {@code policyc check}.
 * So the schema runs only when the mapper found a structural problem (or always, with {@code
 * -Dtessera.schema=always}), and then its findings are what the user sees. {@code
 * SchemaAgreementTest} checks over a corpus that the schema and the mapper agree on which documents
 * are structurally sound.
 */
public final class JsonFamilyReader implements SyntaxReader {
  private static final boolean ALWAYS_SCHEMA =
      "always".equals(System.getProperty("tessera.schema"));

  public static final JsonFamilyReader HUJSON = new JsonFamilyReader(false);
  public static final JsonFamilyReader YAML = new JsonFamilyReader(true);

  private final boolean yaml;

  private JsonFamilyReader(boolean yaml) {
    this.yaml = yaml;
  }

  @Override
  public Syntax syntax() {
    return yaml ? Syntax.YAML : Syntax.HUJSON;
  }

  @Override
  public Policy read(SourceText source, Diagnostics diags) {
    return readFull(source, diags).policy();
  }

  @Override
  public Outcome readFull(SourceText source, Diagnostics diags) {
    Optional<Tree> tree = TreeReader.read(source, yaml, diags);
    if (tree.isEmpty()) {
      return new Outcome(null, List.of(), List.of(), List.of());
    }
    if (!(tree.get() instanceof Tree.Obj rootObj)) {
      diags.error(
          Codes.TYPE,
          "a policy must be an object, not " + article(tree.get().typeName()),
          tree.get().span(),
          yaml ? "start with keys such as acls: or grants:" : "wrap the policy in { ... }");
      return new Outcome(null, List.of(), List.of(), List.of());
    }
    Tree.Obj root = new KeyNormalizer(diags).normalize(rootObj);
    List<Comment> comments = yaml ? CommentScanner.yaml(source) : CommentScanner.hujson(source);
    PolicyMapper mapper = new PolicyMapper(diags, yaml);
    Policy policy = mapper.map(root, comments);
    List<SchemaValidator.Finding> schema = List.of();
    if (!mapper.typeIssues().isEmpty() || ALWAYS_SCHEMA) {
      schema = SchemaValidator.validate(root, yaml);
      for (SchemaValidator.Finding f : schema) {
        diags.add(f.diagnostic());
      }
    }
    for (PolicyMapper.TypeIssue t : mapper.typeIssues()) {
      boolean covered =
          schema.stream()
              .anyMatch(f -> isPrefix(f.path(), t.path()) || isPrefix(t.path(), f.path()));
      if (!covered) {
        diags.add(t.diagnostic());
      }
    }
    return new Outcome(
        policy,
        mapper.droppedAclsForChecking(),
        mapper.droppedGrantsForChecking(),
        mapper.droppedSshForChecking());
  }

  private static boolean isPrefix(List<Object> a, List<Object> b) {
    return a.size() <= b.size() && b.subList(0, a.size()).equals(a);
  }

  private static String article(String type) {
    return switch (type) {
      case "array", "object", "integer" -> "an " + type;
      default -> "a " + type;
    };
  }
}
