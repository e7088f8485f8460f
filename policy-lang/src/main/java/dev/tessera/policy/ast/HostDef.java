package dev.tessera.policy.ast;

import dev.tessera.net.IpCidr;

/** {@code "name": "IP or CIDR"}: the alias means exactly that prefix. Span is the key's. */
public record HostDef(String name, IpCidr prefix, SourceSpan span) implements Located {}
