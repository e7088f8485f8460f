package dev.tessera.compiler.matrix;

import java.util.Comparator;
import java.util.Objects;

/**
 * Where a compiled rule came from: the acl or grant in the policy text, by file and position.
 *
 * <p>Matrix cells, diff entries and lint findings all name rules this way so a reviewer can
 * jump from "who can reach what" straight to the line that allows it. {@code fingerprint} is
 * the rule's canonical content with positions left out: two rules with the same fingerprint
 * say the same thing, which is how the diff tells a moved rule from an edited one. Ordering
 * and equality use file, line, column, section and index (never the summary text).
 *
 * @param file the policy file name as the user gave it (for display, e.g. {@code policy.hujson})
 * @param line 1-based line of the rule's opening brace
 * @param column 1-based column
 * @param section {@code acls} or {@code grants}
 * @param index 0-based index of the rule inside its section
 * @param summary a one-line rendering of the rule, for legends and tooltips
 * @param fingerprint canonical content without positions, for matching rules across versions
 */
public record RuleOrigin(
    String file, int line, int column, String section, int index, String summary, String fingerprint)
    implements Comparable<RuleOrigin> {

  private static final Comparator<RuleOrigin> ORDER =
      Comparator.comparing(RuleOrigin::file)
          .thenComparingInt(RuleOrigin::line)
          .thenComparingInt(RuleOrigin::column)
          .thenComparing(RuleOrigin::section)
          .thenComparingInt(RuleOrigin::index);

  public RuleOrigin {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(section, "section");
    summary = summary == null ? "" : summary;
    fingerprint = fingerprint == null ? "" : fingerprint;
  }

  /** {@code file:line}, the form every renderer prints. */
  public String location() {
    return file + ":" + line;
  }

  /** {@code acls[3]}: the rule's place in the policy, stable under reformatting. */
  public String path() {
    return section + "[" + index + "]";
  }

  @Override
  public int compareTo(RuleOrigin o) {
    return ORDER.compare(this, o);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RuleOrigin r
        && line == r.line
        && column == r.column
        && index == r.index
        && file.equals(r.file)
        && section.equals(r.section);
  }

  @Override
  public int hashCode() {
    return Objects.hash(file, line, column, section, index);
  }
}
