package dev.tessera.policy.syntax;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The object shapes of a policy document: for each kind of object, its keys in canonical spelling
 * and what each key holds. Used to normalize keys (case, legacy names) and report unknown ones with
 * a suggestion; the JSON Schema describes the same shapes (a test keeps them in step).
 */
final class Shapes {
  private Shapes() {}

  enum Holds {
    /** A leaf or a value whose inside keys are not ours (derpMap, app, user-named maps). */
    OTHER,
    /** A list of objects of {@link Field#shape()}. */
    LIST_OF,
    /** An object of {@link Field#shape()}. */
    OBJECT
  }

  record Field(String key, Holds holds, Shape shape) {}

  /** Keys by lower case; {@code legacy} maps old names (acls users/ports) to current keys. */
  record Shape(String what, Map<String, Field> fields, Map<String, String> legacy) {
    Field byLower(String key) {
      return fields.get(key.toLowerCase(Locale.ROOT));
    }

    List<String> keys() {
      return fields.values().stream().map(Field::key).toList();
    }
  }

  private static Shape shape(String what, Map<String, String> legacy, Field... fields) {
    Map<String, Field> m = new LinkedHashMap<>();
    for (Field f : fields) {
      m.put(f.key().toLowerCase(Locale.ROOT), f);
    }
    return new Shape(what, Map.copyOf(m), legacy);
  }

  private static Field leaf(String key) {
    return new Field(key, Holds.OTHER, null);
  }

  static final Shape ACL =
      shape(
          "acl",
          Map.of("users", "src", "ports", "dst"),
          leaf("action"),
          leaf("src"),
          leaf("dst"),
          leaf("proto"),
          leaf("srcPosture"));

  static final Shape GRANT =
      shape(
          "grant",
          Map.of(),
          leaf("src"),
          leaf("dst"),
          leaf("ip"),
          leaf("app"),
          leaf("srcPosture"),
          leaf("via"));

  static final Shape AUTO_APPROVERS =
      shape("autoApprovers", Map.of(), leaf("routes"), leaf("exitNode"), leaf("services"));

  static final Shape SSH =
      shape(
          "ssh rule",
          Map.of(),
          leaf("action"),
          leaf("src"),
          leaf("dst"),
          leaf("users"),
          leaf("checkPeriod"),
          leaf("acceptEnv"),
          leaf("srcPosture"),
          leaf("recorder"),
          leaf("enforceRecorder"));

  static final Shape NODE_ATTR =
      shape("nodeAttrs entry", Map.of(), leaf("target"), leaf("attr"), leaf("app"), leaf("ipPool"));

  static final Shape TEST =
      shape("test", Map.of(), leaf("src"), leaf("proto"), leaf("accept"), leaf("deny"));

  static final Shape SSH_TEST =
      shape(
          "sshTests entry",
          Map.of(),
          leaf("src"),
          leaf("dst"),
          leaf("accept"),
          leaf("check"),
          leaf("deny"));

  static final Shape POLICY =
      shape(
          "policy",
          Map.of(),
          leaf("groups"),
          leaf("tagOwners"),
          leaf("hosts"),
          leaf("ipsets"),
          leaf("postures"),
          leaf("defaultSrcPosture"),
          new Field("acls", Holds.LIST_OF, ACL),
          new Field("grants", Holds.LIST_OF, GRANT),
          new Field("autoApprovers", Holds.OBJECT, AUTO_APPROVERS),
          new Field("ssh", Holds.LIST_OF, SSH),
          new Field("nodeAttrs", Holds.LIST_OF, NODE_ATTR),
          new Field("tests", Holds.LIST_OF, TEST),
          new Field("sshTests", Holds.LIST_OF, SSH_TEST),
          leaf("derpMap"),
          leaf("disableIPv4"),
          leaf("randomizeClientPort"));
}
