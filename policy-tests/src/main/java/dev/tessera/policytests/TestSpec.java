package dev.tessera.policytests;

import dev.tessera.policy.ast.SourceSpan;
import java.util.List;
import java.util.Optional;

/**
 * One entry of a {@code tests} block, exactly as written, before any validation: the policy's own
 * {@code tests} section, an external test file (HuJSON or YAML of the same shape) and the DSL's
 * {@code test ... can reach ...} statements all end up here.
 *
 * <p>Design note: validity (one host and one port per destination, test protocols, known source) is
 * judged later by {@link TestValidator}, because in Tailscale an ill-formed entry is not a policy
 * syntax error but a <em>failing test</em> ({@code test(s) failed}); keeping the raw text and its
 * position lets the report quote the entry as the author wrote it.
 *
 * @param span the whole entry
 * @param src the {@code src} value; empty when the key is missing
 * @param proto the {@code proto} value; empty when absent
 * @param accept destinations that must be reachable; empty list when absent
 * @param deny destinations that must not be reachable
 * @param hasAccept whether the {@code accept} key was present (even as an empty list)
 * @param hasDeny whether the {@code deny} key was present
 */
public record TestSpec(
    SourceSpan span,
    Optional<Text> src,
    Optional<Text> proto,
    List<Text> accept,
    List<Text> deny,
    boolean hasAccept,
    boolean hasDeny) {

  public TestSpec {
    accept = List.copyOf(accept);
    deny = List.copyOf(deny);
  }

  /** A string value and where it was written. */
  public record Text(String value, SourceSpan span) {}
}
