package dev.tessera.policy.ast;

import java.util.Optional;

/** The ten posture operators Tailscale defines (KB 1288). */
public enum PostureOperator {
  EQ("=="),
  NE("!="),
  IN("IN"),
  NOT_IN("NOT IN"),
  IS_SET("IS SET"),
  NOT_SET("NOT SET"),
  LT("<"),
  LE("<="),
  GT(">"),
  GE(">=");

  private final String text;

  PostureOperator(String text) {
    this.text = text;
  }

  public String text() {
    return text;
  }

  /** How many values the operator takes. */
  public Arity arity() {
    return switch (this) {
      case IS_SET, NOT_SET -> Arity.NONE;
      case IN, NOT_IN -> Arity.LIST;
      case EQ, NE, LT, LE, GT, GE -> Arity.ONE;
    };
  }

  public enum Arity {
    NONE,
    ONE,
    LIST
  }

  public static Optional<PostureOperator> byText(String text) {
    for (PostureOperator op : values()) {
      if (op.text.equals(text)) {
        return Optional.of(op);
      }
    }
    return Optional.empty();
  }
}
