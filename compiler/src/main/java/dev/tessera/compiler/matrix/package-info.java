/**
 * Auditor views, part 1: the access matrix ({@code policyc matrix}).
 *
 * <p>Pipeline: {@link dev.tessera.compiler.matrix.AuditLoader} reads the policy and inventory and
 * compiles them (the only call into the compiler is {@code CompilerBridge}); {@link
 * dev.tessera.compiler.matrix.CompiledNetworks} adapts the per-node compiled filters (the
 * enforcer's format, the rules the Matcher evaluates) to a {@link
 * dev.tessera.compiler.matrix.CompiledNetwork}; {@link dev.tessera.compiler.matrix.MatrixBuilder}
 * enumerates each node's rule table into cells; {@link dev.tessera.compiler.matrix.Grouping}
 * folds rows and columns by user, group or tag; {@link dev.tessera.compiler.matrix.MatrixFormat}
 * renders HTML, CSV, Markdown or JSON. {@code MatcherAgreementTest} checks cells against the
 * enforcer's Matcher packet by packet, so there is one notion of "allowed".
 *
 * <p>{@link dev.tessera.compiler.matrix.PolicyIndex} reads rule provenance (file:line, one-line
 * summaries, content fingerprints) and definition use from the AST, for the legends, the diff and
 * lint; it never decides access.
 */
package dev.tessera.compiler.matrix;
