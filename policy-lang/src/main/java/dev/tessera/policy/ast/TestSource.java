package dev.tessera.policy.ast;

import java.util.Optional;

/**
 * A {@code tests[].src}: the raw text as written plus its parse, if it parsed. Per Tailscale an
 * unusual or unknown test source makes the <em>test</em> fail rather than the policy invalid, so
 * the reader keeps what it cannot parse and leaves the verdict to the test runner.
 */
public record TestSource(String raw, Optional<Selector> selector, SourceSpan span)
    implements Located {}
