package dev.tessera.policy.diag;

/** How bad a diagnostic is. Only errors make a policy invalid (exit 1 from {@code check}). */
public enum Severity {
  ERROR,
  WARNING,
  NOTE;

  /** Lower-case label used in rendered output ({@code error}, {@code warning}, {@code note}). */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
