package dev.tessera.policy.ast;

/**
 * A literal in a posture condition. Strings are stored unquoted; numbers as their decimal text;
 * booleans as {@code true}/{@code false}. Versions are strings ({@code '1.60'}) and are compared
 * version-aware by the compiler for {@code < <= > >=}.
 */
public record PostureValue(Kind kind, String text) {
  public enum Kind {
    STRING,
    NUMBER,
    BOOLEAN
  }

  public static PostureValue string(String s) {
    return new PostureValue(Kind.STRING, s);
  }

  /** Source form: strings in single quotes (backslash-escaping quote and backslash). */
  public String literal() {
    return switch (kind) {
      case STRING -> "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'";
      case NUMBER, BOOLEAN -> text;
    };
  }
}
