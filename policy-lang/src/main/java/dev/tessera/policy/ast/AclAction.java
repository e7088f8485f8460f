package dev.tessera.policy.ast;

/** ACL actions. Tailscale supports only {@code accept}; {@code deny} is an error (SaaS). */
public enum AclAction {
  ACCEPT;

  public String text() {
    return "accept";
  }
}
