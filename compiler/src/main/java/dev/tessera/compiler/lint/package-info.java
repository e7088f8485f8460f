/**
 * Auditor views, part 3: {@code policyc lint}. {@link dev.tessera.compiler.lint.Linter} reports
 * shadowed rules and rules granting nothing (read off the compiled filters) and unused tags, groups
 * and hosts (read off the policy), as warnings with locations and suggestions; codes in {@link
 * dev.tessera.compiler.lint.LintCodes}.
 */
package dev.tessera.compiler.lint;
