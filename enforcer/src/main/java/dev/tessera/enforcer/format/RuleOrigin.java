package dev.tessera.enforcer.format;

import java.util.Comparator;
import java.util.Objects;

/**
 * Where a compiled rule came from: the policy file, the 1-based line and column of the acl or grant
 * entry (0 when unknown), its kind ({@code "acl"} or {@code "grant"}; other short lower-case tokens
 * are accepted for future sections) and its 0-based index within that section. Tests, explain,
 * matrix and diff print it as {@code file:line:col}.
 */
public record RuleOrigin(String file, int line, int col, String kind, int index)
    implements Comparable<RuleOrigin> {

  public static final String ACL = "acl";
  public static final String GRANT = "grant";

  /** The implicit rule that lets an ssh rule's destinations reach its session recorders. */
  public static final String SSH_RECORDER = "ssh-recorder";

  public RuleOrigin {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(kind, "kind");
    if (line < 0 || col < 0 || index < 0) {
      throw new IllegalArgumentException(
          "negative line/col/index in origin " + file + ":" + line + ":" + col);
    }
    if (kind.isEmpty()
        || kind.length() > 32
        || !kind.chars().allMatch(c -> (c >= 'a' && c <= 'z') || c == '-')) {
      throw new IllegalArgumentException(
          "origin kind must be a short lower-case token like \"acl\" or \"grant\", got \""
              + kind
              + "\"");
    }
  }

  /** An origin for rules that come from no file (tests, synthetic filters). */
  public static RuleOrigin synthetic(String kind, int index) {
    return new RuleOrigin("", 0, 0, kind, index);
  }

  private static final Comparator<RuleOrigin> ORDER =
      Comparator.comparing(RuleOrigin::file)
          .thenComparingInt(RuleOrigin::line)
          .thenComparingInt(RuleOrigin::col)
          .thenComparing(RuleOrigin::kind)
          .thenComparingInt(RuleOrigin::index);

  @Override
  public int compareTo(RuleOrigin o) {
    return ORDER.compare(this, o);
  }

  @Override
  public String toString() {
    return (file.isEmpty() ? "<policy>" : file)
        + ":"
        + line
        + ":"
        + col
        + " ("
        + kind
        + "["
        + index
        + "])";
  }
}
