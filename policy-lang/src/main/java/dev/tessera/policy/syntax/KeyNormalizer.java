package dev.tessera.policy.syntax;

import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.diag.Codes;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.Suggest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rewrites the keys of the policy's own objects to their canonical spelling and drops unknown ones,
 * reporting each. After this pass, later passes (schema, mapping) match keys exactly.
 *
 * <p>Key matching decision: Tailscale decodes the policy with Go's encoding/json, which matches
 * struct field names case-insensitively, so {@code "ACLs"} or {@code "Action"} are accepted by
 * Tailscale; we accept them too (a policy that works there must work here) but warn ({@code
 * key-case}) because printers will write the canonical spelling. The legacy ACL keys {@code users}
 * and {@code ports} mean {@code src} and {@code dst} (KB 1337) and get a {@code legacy-key}
 * warning. Two spellings of one key in the same object are a duplicate-key error. Unknown keys are
 * errors with a "did you mean" hint. Keys of user-named maps (groups, hosts, ...) are left alone:
 * {@code group:Eng} and {@code group:eng} are different names. A {@code null} value means the key
 * is absent (Go's zero value), as in Tailscale.
 */
final class KeyNormalizer {
  private final Diagnostics d;

  KeyNormalizer(Diagnostics d) {
    this.d = d;
  }

  Tree.Obj normalize(Tree.Obj root) {
    return object(root, Shapes.POLICY);
  }

  private Tree.Obj object(Tree.Obj obj, Shapes.Shape shape) {
    List<Tree.Entry> out = new ArrayList<>();
    Map<String, SourceSpan> seen = new HashMap<>();
    for (Tree.Entry e : obj.entries()) {
      String key = e.key();
      Shapes.Field f = shape.byLower(key);
      String legacyOf = shape.legacy().get(key.toLowerCase(java.util.Locale.ROOT));
      if (f == null && legacyOf != null) {
        f = shape.byLower(legacyOf);
        d.warning(
            Codes.LEGACY_KEY,
            "legacy key \"" + key + "\" in " + shape.what() + " means \"" + f.key() + "\"",
            e.keySpan(),
            "write \"" + f.key() + "\"");
      } else if (f == null) {
        String help =
            Suggest.closest(key, shape.keys())
                .map(k -> "did you mean \"" + k + "\"?")
                .orElse("known keys: " + String.join(", ", shape.keys()));
        d.error(
            Codes.UNKNOWN_KEY, "unknown key \"" + key + "\" in " + shape.what(), e.keySpan(), help);
        continue;
      } else if (!f.key().equals(key)) {
        d.warning(
            Codes.KEY_CASE,
            "key \"" + key + "\" is spelled \"" + f.key() + "\" in Tailscale's documentation",
            e.keySpan(),
            "write \"" + f.key() + "\"");
      }
      SourceSpan first = seen.putIfAbsent(f.key(), e.keySpan());
      if (first != null) {
        d.error(
            Codes.DUPLICATE_KEY,
            "duplicate key \""
                + key
                + "\": \""
                + f.key()
                + "\" is already set at line "
                + first.startLine(),
            e.keySpan(),
            "remove one of them");
        continue;
      }
      Tree v = e.value();
      if (v instanceof Tree.Null) {
        // Go's decoder treats null as the zero value, i.e. as if the key were absent; Tailscale
        // accepts "acceptEnv": null and the like. Same here.
        continue;
      }
      if (f.holds() == Shapes.Holds.OBJECT && v instanceof Tree.Obj o) {
        v = object(o, f.shape());
      } else if (f.holds() == Shapes.Holds.LIST_OF && v instanceof Tree.Arr a) {
        List<Tree> items = new ArrayList<>(a.items().size());
        for (Tree item : a.items()) {
          items.add(item instanceof Tree.Obj io ? object(io, f.shape()) : item);
        }
        v = new Tree.Arr(items, a.span());
      }
      out.add(new Tree.Entry(f.key(), e.keySpan(), v));
    }
    return new Tree.Obj(out, obj.span());
  }
}
