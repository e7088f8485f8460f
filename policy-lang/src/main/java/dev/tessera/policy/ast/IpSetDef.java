package dev.tessera.policy.ast;

import java.util.List;

/**
 * {@code "ipset:NAME": ["add T", "remove T", ...]}, operations applied in order. A bare {@code T}
 * means {@code add T} (Tailscale allows it when a set only adds). Name excludes the prefix.
 */
public record IpSetDef(String name, List<Op> ops, SourceSpan span) implements Located {
  public IpSetDef {
    ops = List.copyOf(ops);
  }

  public enum Kind {
    ADD,
    REMOVE;

    public String text() {
      return this == ADD ? "add" : "remove";
    }
  }

  /** One operation; target is an IP, CIDR, range, host, ipset or autogroup:internet. */
  public record Op(Kind kind, Selector target, SourceSpan span) implements Located {
    public String text() {
      return kind.text() + " " + target.text();
    }
  }
}
