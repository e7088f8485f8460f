package dev.tessera.policy.ast;

/** Every AST node knows where it came from. */
public interface Located {
  SourceSpan span();
}
