package dev.tessera.policytests;

import dev.tessera.net.IpAddress;
import dev.tessera.policy.ast.AutoGroup;

/**
 * The source or the host part of a destination of a test, once validated: something that resolves
 * to devices (user, group, tag, autogroup) or to exactly one address (host alias, IP).
 */
public sealed interface TestTarget {

  /** As the author wrote it, for messages. */
  String text();

  /** {@code svc:NAME}: a Tailscale Service, reached at its addresses through its approved hosts. */
  record Service(String name) implements TestTarget {
    @Override
    public String text() {
      return "svc:" + name;
    }
  }

  record User(String login) implements TestTarget {
    @Override
    public String text() {
      return login;
    }
  }

  record Group(String name) implements TestTarget {
    @Override
    public String text() {
      return "group:" + name;
    }
  }

  record Tag(String name) implements TestTarget {
    @Override
    public String text() {
      return "tag:" + name;
    }
  }

  record Auto(AutoGroup group) implements TestTarget {
    @Override
    public String text() {
      return group.text();
    }
  }

  /** One inventory node by name (explain only; tests have no node-name syntax). */
  record Node(String name) implements TestTarget {
    @Override
    public String text() {
      return name;
    }
  }

  /** A {@code hosts} alias naming a single address. */
  record Host(String alias, IpAddress address) implements TestTarget {
    @Override
    public String text() {
      return alias;
    }
  }

  /** An IP literal (always a single address: CIDRs are not test targets). */
  record Address(IpAddress address) implements TestTarget {
    @Override
    public String text() {
      return address.toString();
    }
  }
}
