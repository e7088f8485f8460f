package dev.tessera.policy.syntax;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.SourceText;
import dev.tessera.policy.validate.SchemaValidator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The reader skips the JSON Schema when its own structural checks find nothing (see {@link
 * JsonFamilyReader}); that is only sound if the two agree. This checks it on random structural
 * mutations of a policy touching every section, and that the schema, {@link Shapes} and the
 * published copy at the repository root stay in step.
 */
class SchemaAgreementTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void schemaAndMapperAgreeOnStructuralSoundness() {
    long seed = Long.getLong("seed", System.nanoTime());
    Random rnd = new Random(seed);
    SourceText base = new SourceText("p.hujson", ReadersTest.resource("parity.hujson"));
    Tree.Obj root = (Tree.Obj) TreeReader.read(base, false, new Diagnostics()).orElseThrow();
    int unsound = 0;
    for (int i = 0; i < 400; i++) {
      Tree.Obj mutated = (Tree.Obj) mutate(root, rnd, 1 + rnd.nextInt(2));
      Diagnostics d = new Diagnostics();
      Tree.Obj norm = new KeyNormalizer(d).normalize(mutated);
      boolean schemaOk = SchemaValidator.validate(norm, false).isEmpty();
      PolicyMapper m = new PolicyMapper(d, false);
      m.map(norm, List.of());
      boolean mapperOk = m.typeIssues().isEmpty();
      if (!schemaOk) {
        unsound++;
      }
      assertThat(mapperOk)
          .as(
              "seed %d, iteration %d: schema %s, mapper %s",
              seed, i, SchemaValidator.validate(norm, false), m.typeIssues())
          .isEqualTo(schemaOk);
    }
    assertThat(unsound)
        .as("the mutations must exercise unsound documents (seed %d)", seed)
        .isGreaterThan(100);
  }

  @Test
  void schemaAndMapperWordStructuralProblemsAlike() {
    String text =
        "{\"acls\": [{\"action\": \"accept\", \"src\": \"*\"}], \"disableIPv4\": \"no\", \"hosts\": []}";
    Tree.Obj root =
        (Tree.Obj)
            TreeReader.read(new SourceText("t", text), false, new Diagnostics()).orElseThrow();
    List<String> schema =
        SchemaValidator.validate(root, false).stream()
            .map(f -> f.diagnostic().message())
            .sorted()
            .toList();
    PolicyMapper m = new PolicyMapper(new Diagnostics(), false);
    m.map(root, List.of());
    List<String> mapper =
        m.typeIssues().stream().map(t -> t.diagnostic().message()).sorted().toList();
    assertThat(schema)
        .containsExactly(
            "acls[0] is missing the required key \"dst\"",
            "acls[0].src must be an array, not a string",
            "disableIPv4 must be a boolean, not a string",
            "hosts must be an object, not an array");
    assertThat(mapper).isEqualTo(schema);
  }

  /** Replaces {@code n} random nodes with a value of another type, or deletes a random key. */
  private static Tree mutate(Tree t, Random rnd, int n) {
    Tree out = t;
    for (int k = 0; k < n; k++) {
      List<Tree> all = new ArrayList<>();
      collect(out, all);
      Tree victim = all.get(1 + rnd.nextInt(all.size() - 1));
      out = replace(out, victim, rnd);
    }
    return out;
  }

  private static void collect(Tree t, List<Tree> acc) {
    acc.add(t);
    switch (t) {
      case Tree.Obj o -> o.entries().forEach(e -> collect(e.value(), acc));
      case Tree.Arr a -> a.items().forEach(i -> collect(i, acc));
      default -> {}
    }
  }

  private static Tree replace(Tree t, Tree victim, Random rnd) {
    if (t == victim) {
      SourceSpan s = t.span();
      return switch (rnd.nextInt(5)) {
        case 0 -> new Tree.Str("x", s);
        case 1 -> new Tree.Num("7", true, s);
        case 2 -> new Tree.Bool(true, s);
        case 3 -> new Tree.Arr(List.of(), s);
        default -> new Tree.Obj(List.of(), s);
      };
    }
    return switch (t) {
      case Tree.Obj o -> {
        List<Tree.Entry> es = new ArrayList<>();
        for (Tree.Entry e : o.entries()) {
          if (e.value() == victim && rnd.nextInt(4) == 0) {
            continue; // delete the key instead (exercises "required")
          }
          es.add(new Tree.Entry(e.key(), e.keySpan(), replace(e.value(), victim, rnd)));
        }
        yield new Tree.Obj(es, o.span());
      }
      case Tree.Arr a ->
          new Tree.Arr(a.items().stream().map(i -> replace(i, victim, rnd)).toList(), a.span());
      default -> t;
    };
  }

  @Test
  void shapesMatchTheSchema() throws Exception {
    JsonNode schema = JSON.readTree(SchemaValidator.schemaText());
    assertThat(keys(schema.get("properties"))).isEqualTo(new TreeSet<>(Shapes.POLICY.keys()));
    JsonNode defs = schema.get("$defs");
    assertThat(keys(defs.get("acl").get("properties"))).isEqualTo(new TreeSet<>(Shapes.ACL.keys()));
    assertThat(keys(defs.get("grant").get("properties")))
        .isEqualTo(new TreeSet<>(Shapes.GRANT.keys()));
    assertThat(keys(defs.get("autoApprovers").get("properties")))
        .isEqualTo(new TreeSet<>(Shapes.AUTO_APPROVERS.keys()));
    assertThat(keys(defs.get("sshRule").get("properties")))
        .isEqualTo(new TreeSet<>(Shapes.SSH.keys()));
    assertThat(keys(defs.get("nodeAttr").get("properties")))
        .isEqualTo(new TreeSet<>(Shapes.NODE_ATTR.keys()));
    assertThat(keys(defs.get("test").get("properties")))
        .isEqualTo(new TreeSet<>(Shapes.TEST.keys()));
    assertThat(keys(defs.get("sshTest").get("properties")))
        .isEqualTo(new TreeSet<>(Shapes.SSH_TEST.keys()));
  }

  private static Set<String> keys(JsonNode obj) {
    Set<String> out = new TreeSet<>();
    for (Iterator<String> it = obj.fieldNames(); it.hasNext(); ) {
      out.add(it.next());
    }
    return out;
  }

  /**
   * The canonical schema is the classpath resource; {@code schema/policy.schema.json} at the
   * repository root is its published copy for editors. Refresh with -Dgolden.update=true.
   */
  @Test
  void publishedSchemaIsInSync() throws Exception {
    Path repoCopy = Path.of("").toAbsolutePath().getParent().resolve("schema/policy.schema.json");
    String canonical = SchemaValidator.schemaText();
    if (Boolean.getBoolean("golden.update")) {
      Files.createDirectories(repoCopy.getParent());
      Files.writeString(repoCopy, canonical, StandardCharsets.UTF_8);
    }
    assertThat(Files.readString(repoCopy, StandardCharsets.UTF_8))
        .as(
            "schema/policy.schema.json differs from the packaged schema; run with -Dgolden.update=true")
        .isEqualTo(canonical);
  }
}
