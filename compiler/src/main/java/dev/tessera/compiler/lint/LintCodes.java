package dev.tessera.compiler.lint;

/** Stable codes of lint findings (CI may filter on them). */
final class LintCodes {
  /** A rule whose every allowed packet is also allowed by other rules. */
  public static final String SHADOWED_RULE = "shadowed-rule";

  /** A rule that allows nothing on the given inventory. */
  public static final String RULE_GRANTS_NOTHING = "rule-grants-nothing";

  /** A tag defined in tagOwners that nothing else in the policy mentions. */
  public static final String UNUSED_TAG = "unused-tag";

  /** A group that nothing mentions. */
  public static final String UNUSED_GROUP = "unused-group";

  /** A host alias that nothing mentions. */
  public static final String UNUSED_HOST = "unused-host";

  private LintCodes() {}
}
