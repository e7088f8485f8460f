package dev.tessera.policy.ast;

/** {@code "name": "IP or CIDR"}: the alias means exactly that prefix. Span is the key's. */
public record HostDef(String name, IpPrefix prefix, SourceSpan span) implements Located {}
