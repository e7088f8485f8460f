/**
 * Auditor views, part 2: the semantic diff ({@code policyc diff}). {@link
 * dev.tessera.compiler.diff.Differ} compares two policies' compiled filters over one inventory and
 * reports access gained and lost, each with the rule change behind it; {@link
 * dev.tessera.compiler.diff.DiffFormat} renders text, Markdown or JSON. A policy rewritten without
 * changing what it allows diffs as unchanged.
 */
package dev.tessera.compiler.diff;
