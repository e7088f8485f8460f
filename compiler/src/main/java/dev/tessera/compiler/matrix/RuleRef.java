package dev.tessera.compiler.matrix;

import dev.tessera.enforcer.format.RuleOrigin;
import java.util.Objects;

/**
 * A compiled rule as matrix cells, diff entries and lint findings name it: its {@link RuleOrigin}
 * (the enforcer's, the one origin type: file, position, kind, index; it gives the order and
 * equality) plus text for readers.
 *
 * <p>{@code fingerprint} is the rule's canonical content with positions left out: two rules with
 * the same fingerprint say the same thing, which is how the diff tells a moved rule from an edited
 * one. Neither text takes part in ordering or equality.
 *
 * @param origin where the rule is in the policy
 * @param summary a one-line rendering of the rule, for legends and tooltips
 * @param fingerprint canonical content without positions, for matching rules across versions
 */
public record RuleRef(RuleOrigin origin, String summary, String fingerprint)
    implements Comparable<RuleRef> {

  public RuleRef {
    Objects.requireNonNull(origin, "origin");
    summary = summary == null ? "" : summary;
    fingerprint = fingerprint == null ? "" : fingerprint;
  }

  /**
   * A rule at {@code file:line:column}, the {@code index}-th of {@code section} ({@code acls},
   * {@code grants}, or another origin kind as it is).
   */
  public RuleRef(
      String file,
      int line,
      int column,
      String section,
      int index,
      String summary,
      String fingerprint) {
    this(new RuleOrigin(file, line, column, kindOf(section), index), summary, fingerprint);
  }

  private static String kindOf(String section) {
    return switch (section) {
      case "acls" -> RuleOrigin.ACL;
      case "grants" -> RuleOrigin.GRANT;
      default -> section;
    };
  }

  /** The policy file name as the user gave it (for display, e.g. {@code policy.hujson}). */
  public String file() {
    return origin.file();
  }

  /** 1-based line of the rule's opening brace. */
  public int line() {
    return origin.line();
  }

  /** 1-based column. */
  public int column() {
    return origin.col();
  }

  /** {@code acls} or {@code grants} (another origin kind as it is). */
  public String section() {
    return switch (origin.kind()) {
      case RuleOrigin.ACL -> "acls";
      case RuleOrigin.GRANT -> "grants";
      default -> origin.kind();
    };
  }

  /** 0-based index of the rule inside its section. */
  public int index() {
    return origin.index();
  }

  /** {@code file:line}, the form every renderer prints. */
  public String location() {
    return origin.file() + ":" + origin.line();
  }

  /** {@code acls[3]}: the rule's place in the policy, stable under reformatting. */
  public String path() {
    return section() + "[" + origin.index() + "]";
  }

  @Override
  public int compareTo(RuleRef o) {
    return origin.compareTo(o.origin);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RuleRef r && origin.equals(r.origin);
  }

  @Override
  public int hashCode() {
    return origin.hashCode();
  }
}
