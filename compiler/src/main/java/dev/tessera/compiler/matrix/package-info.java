/**
 * Auditor views, part 1: the access matrix ({@code policyc matrix}).
 *
 * <p>Pipeline: {@link dev.tessera.compiler.matrix.AuditLoader} reads the policy and inventory and
 * compiles them (the only call into the compiler is {@code CompilerBridge}); {@link
 * dev.tessera.compiler.matrix.CompiledNetworks} holds the per-node compiled filters (the enforcer's
 * format) and builds each node's {@code Matcher}; {@link dev.tessera.compiler.matrix.MatrixBuilder}
 * asks the enforcer's {@code Reachability} query who reaches each node and turns the answer into
 * cells; {@link dev.tessera.compiler.matrix.Grouping} folds rows and columns by user, group or tag;
 * {@link dev.tessera.compiler.matrix.MatrixFormat} renders HTML, CSV (grid and long), Markdown or
 * JSON, each with its {@link dev.tessera.compiler.matrix.Provenance}. Nothing here evaluates a
 * rule: {@code MatrixConformanceTest} checks every cell of Tailscale's captured policies and of
 * real policy files against {@code Matcher.explain}, so there is one notion of "allowed".
 *
 * <p>{@link dev.tessera.compiler.matrix.PolicyIndex} reads rule provenance (file:line, one-line
 * summaries, content fingerprints) and definition use from the AST, for the legends, the diff and
 * lint; it never decides access.
 */
package dev.tessera.compiler.matrix;
