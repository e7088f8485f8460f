package dev.tessera.policy.ast;

/**
 * An opaque JSON value carried through unchanged (grant {@code app} capabilities, node attribute
 * {@code app}, {@code derpMap}): compact JSON text with object keys in source order. Opaque because
 * Tessera does not interpret it; the printers re-emit it in their own syntax.
 */
public record JsonText(String json, SourceSpan span) implements Located {}
