package dev.tessera.policy.ast;

import dev.tessera.net.IpAddress;
import dev.tessera.net.IpCidr;

/**
 * A target in a src/dst list, a group member, a tag owner, an auto-approver, an ipset element.
 * Parsed once by the readers (see {@code dev.tessera.policy.syntax.Selectors}); {@link #text()}
 * prints the canonical form that parses back to an equal selector.
 */
public sealed interface Selector extends Located
    permits Selector.Wildcard,
        Selector.User,
        Selector.UserDomain,
        Selector.Group,
        Selector.Tag,
        Selector.Auto,
        Selector.Host,
        Selector.IpSet,
        Selector.Ip,
        Selector.Range,
        Selector.Service {

  /** Canonical text, e.g. {@code group:eng}, {@code 10.0.0.0/8}. */
  String text();

  /** {@code *}: everything (see the semantics reference, section 3). */
  record Wildcard(SourceSpan span) implements Selector {
    @Override
    public String text() {
      return "*";
    }
  }

  /** A user login, e.g. {@code alice@acme.com} (also {@code alice@} or {@code alice@github}). */
  record User(String login, SourceSpan span) implements Selector {
    @Override
    public String text() {
      return login;
    }
  }

  /** Every user of a domain: {@code user:*@acme.com}. */
  record UserDomain(String domain, SourceSpan span) implements Selector {
    @Override
    public String text() {
      return "user:*@" + domain;
    }
  }

  /** {@code group:NAME}; {@link #name()} excludes the prefix. */
  record Group(String name, SourceSpan span) implements Selector {
    @Override
    public String text() {
      return "group:" + name;
    }
  }

  /** {@code tag:NAME}; {@link #name()} excludes the prefix. */
  record Tag(String name, SourceSpan span) implements Selector {
    @Override
    public String text() {
      return "tag:" + name;
    }
  }

  /**
   * {@code autogroup:NAME}, only known autogroups (unknown ones are a diagnostic). {@code
   * legacyName} marks {@code autogroup:members}, the old name of {@code autogroup:member} that
   * Tailscale still accepts: it means {@link AutoGroup#MEMBER} and prints as written.
   */
  record Auto(AutoGroup group, boolean legacyName, SourceSpan span) implements Selector {
    public Auto {
      if (legacyName && group != AutoGroup.MEMBER) {
        throw new IllegalArgumentException("only autogroup:member has a legacy name");
      }
    }

    public Auto(AutoGroup group, SourceSpan span) {
      this(group, false, span);
    }

    @Override
    public String text() {
      return legacyName ? AutoGroup.LEGACY_MEMBERS : group.text();
    }
  }

  /** A host alias defined in {@code hosts}. */
  record Host(String name, SourceSpan span) implements Selector {
    @Override
    public String text() {
      return name;
    }
  }

  /** {@code ipset:NAME}; {@link #name()} excludes the prefix. */
  record IpSet(String name, SourceSpan span) implements Selector {
    @Override
    public String text() {
      return "ipset:" + name;
    }
  }

  /**
   * An IP address or CIDR literal, host bits kept as written ({@code 10.1.2.3/8} prints back
   * unchanged; {@link IpCidr#masked()} gives the network).
   */
  record Ip(IpCidr cidr, SourceSpan span) implements Selector {
    @Override
    public String text() {
      return cidr.toCompactString();
    }
  }

  /**
   * An inclusive address range {@code first-last} (same family, first &lt;= last), allowed by
   * Tailscale in ipsets and IP targets.
   */
  record Range(IpAddress first, IpAddress last, SourceSpan span) implements Selector {
    @Override
    public String text() {
      return first + "-" + last;
    }
  }

  /**
   * {@code svc:NAME}: a Tailscale Service (KB 1552), a virtual address hosted by the devices that
   * advertise it and are approved to; valid as a grant or ACL destination and in tests. {@link
   * #name()} excludes the prefix.
   */
  record Service(String name, SourceSpan span) implements Selector {
    @Override
    public String text() {
      return "svc:" + name;
    }
  }
}
