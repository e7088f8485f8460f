package dev.tessera.compiler.pass;

import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.policy.ast.PostureCondition;
import dev.tessera.policy.ast.PostureDef;
import dev.tessera.policy.ast.PostureValue;
import java.util.List;
import java.util.Map;

/**
 * Evaluates posture conditions against a node's attributes (Tailscale KB 1288).
 *
 * <p>Rules: all conditions of a posture must hold. A missing attribute fails every operator except
 * {@code NOT SET} (so {@code !=} and {@code NOT IN} fail on a device that does not report the
 * attribute: fail closed). {@code ==}/{@code !=}/{@code IN}/{@code NOT IN} compare the text
 * (case-sensitive, booleans as {@code true}/{@code false}). {@code < <= > >=} compare numbers
 * numerically and versions component-wise ({@link #compareVersions}: 1.100.0 &gt; 1.60); a value
 * that is neither fails the condition.
 */
public final class PostureEvaluator {
  private PostureEvaluator() {}

  public static boolean passes(PostureDef def, InventoryNode node) {
    for (PostureCondition c : def.conditions()) {
      if (!holds(c, node.posture())) {
        return false;
      }
    }
    return true;
  }

  public static boolean holds(PostureCondition c, Map<String, PostureValue> attrs) {
    PostureValue v = attrs.get(c.attribute());
    return switch (c.operator()) {
      case IS_SET -> v != null;
      case NOT_SET -> v == null;
      case EQ -> v != null && v.text().equals(c.values().getFirst().text());
      case NE -> v != null && !v.text().equals(c.values().getFirst().text());
      case IN -> v != null && anyEquals(v, c.values());
      case NOT_IN -> v != null && !anyEquals(v, c.values());
      case LT ->
          v != null
              && compare(v.text(), c.values().getFirst().text()) instanceof Integer r
              && r < 0;
      case LE ->
          v != null
              && compare(v.text(), c.values().getFirst().text()) instanceof Integer r
              && r <= 0;
      case GT ->
          v != null
              && compare(v.text(), c.values().getFirst().text()) instanceof Integer r
              && r > 0;
      case GE ->
          v != null
              && compare(v.text(), c.values().getFirst().text()) instanceof Integer r
              && r >= 0;
    };
  }

  private static boolean anyEquals(PostureValue v, List<PostureValue> values) {
    for (PostureValue x : values) {
      if (x.text().equals(v.text())) {
        return true;
      }
    }
    return false;
  }

  /** Version-aware comparison, or null when either side is not a number or version. */
  static Integer compare(String a, String b) {
    return compareVersions(a, b);
  }

  /**
   * Compares dotted versions or numbers: optional leading {@code v}, numeric components separated
   * by dots, an optional {@code -suffix} (a pre-release sorts before the release, suffixes compare
   * as text). Missing components count as 0 ({@code 1.60} == {@code 1.60.0}). Returns null when
   * either string is not of that form. Decimal numbers ({@code 3.5}) compare like versions with
   * their fraction as one component, which agrees with numeric order only for equal-length
   * fractions; Tailscale's numeric attributes are integers in practice.
   */
  public static Integer compareVersions(String a, String b) {
    long[] pa = parts(a);
    long[] pb = parts(b);
    if (pa == null || pb == null) {
      return null;
    }
    int n = Math.max(pa.length, pb.length);
    for (int i = 0; i < n; i++) {
      long x = i < pa.length ? pa[i] : 0;
      long y = i < pb.length ? pb[i] : 0;
      if (x != y) {
        return Long.compare(x, y);
      }
    }
    String sa = suffix(a);
    String sb = suffix(b);
    if (sa.equals(sb)) {
      return 0;
    }
    if (sa.isEmpty()) {
      return 1;
    }
    if (sb.isEmpty()) {
      return -1;
    }
    return Integer.signum(sa.compareTo(sb));
  }

  private static String core(String s) {
    String t = s.startsWith("v") || s.startsWith("V") ? s.substring(1) : s;
    int dash = t.indexOf('-');
    return dash < 0 ? t : t.substring(0, dash);
  }

  private static String suffix(String s) {
    int dash = s.indexOf('-');
    return dash < 0 ? "" : s.substring(dash + 1);
  }

  private static long[] parts(String s) {
    String c = core(s);
    if (c.isEmpty()) {
      return null;
    }
    String[] ps = c.split("\\.", -1);
    long[] out = new long[ps.length];
    for (int i = 0; i < ps.length; i++) {
      String p = ps[i];
      if (p.isEmpty() || p.length() > 18) {
        return null;
      }
      for (int k = 0; k < p.length(); k++) {
        if (p.charAt(k) < '0' || p.charAt(k) > '9') {
          return null;
        }
      }
      out[i] = Long.parseLong(p);
    }
    return out;
  }
}
