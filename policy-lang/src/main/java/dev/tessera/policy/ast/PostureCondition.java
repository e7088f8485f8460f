package dev.tessera.policy.ast;

import java.util.List;
import java.util.stream.Collectors;

/**
 * One assertion, e.g. {@code node:os IN ['macos', 'windows']}. {@code values} is empty for {@code
 * IS SET}/{@code NOT SET}, one element for comparisons, one or more for {@code IN}.
 */
public record PostureCondition(
    String attribute, PostureOperator operator, List<PostureValue> values, SourceSpan span)
    implements Located {
  public PostureCondition {
    values = List.copyOf(values);
  }

  /** Canonical source text of the assertion. */
  public String text() {
    return switch (operator.arity()) {
      case NONE -> attribute + " " + operator.text();
      case ONE -> attribute + " " + operator.text() + " " + values.getFirst().literal();
      case LIST ->
          attribute
              + " "
              + operator.text()
              + " ["
              + values.stream().map(PostureValue::literal).collect(Collectors.joining(", "))
              + "]";
    };
  }
}
