package dev.tessera.enforcer;

import dev.tessera.enforcer.format.RuleOrigin;
import java.util.List;

/**
 * The query path's answer: whether a new flow is allowed and every rule that allows it ({@code
 * ruleIndices} index {@code CompiledFilter.rules()}, ascending; {@code origins} are those rules'
 * origins in the same order). {@code allowed == !ruleIndices.isEmpty()}.
 */
public record MatchResult(boolean allowed, List<Integer> ruleIndices, List<RuleOrigin> origins) {
  public MatchResult {
    ruleIndices = List.copyOf(ruleIndices);
    origins = List.copyOf(origins);
    if (allowed == ruleIndices.isEmpty() || ruleIndices.size() != origins.size()) {
      throw new IllegalArgumentException("inconsistent match result");
    }
  }
}
