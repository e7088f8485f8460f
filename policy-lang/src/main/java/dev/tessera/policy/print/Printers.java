package dev.tessera.policy.print;

import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.Policy;

/**
 * Canonical printers: a policy AST to text in any of the three syntaxes, comments re-attached (see
 * {@link CommentPlan}). For every AST a reader can produce, reading the printed text back gives an
 * equal AST (spans and comments aside); {@code PrintRoundTripPropertyTest} checks this for every
 * pair of syntaxes over generated policies. Printing is deterministic, so {@code fmt} is
 * idempotent.
 */
public final class Printers {
  private Printers() {}

  public static String print(Policy p, Syntax syntax) {
    return print(p, syntax, Written.NONE);
  }

  /** Prints {@code p}, keeping each value's text as {@code written} knows it from the source. */
  static String print(Policy p, Syntax syntax, Written written) {
    return switch (syntax) {
      case HUJSON -> new HujsonPrinter(p).print(TreeEmitter.document(p, written));
      case YAML -> new YamlPrinter(p).print(TreeEmitter.document(p, written));
      case TPOL -> new TpolPrinter(p, written).print();
    };
  }
}
