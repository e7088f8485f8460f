package dev.tessera.policy.ast;

import java.util.Optional;

/**
 * A {@code tests[].accept/deny} entry, {@code host:port}. Kept as raw text with its best-effort
 * parse (target and ports, both empty when unparseable). A valid test destination is one host and
 * one port; anything else ({@code *}, lists, ranges, CIDRs, unknown names) makes the test fail at
 * run time (semantics reference, section 8), it is not a policy error.
 */
public record TestDestination(
    String raw, Optional<Selector> target, Optional<PortSpec> ports, SourceSpan span)
    implements Located {}
