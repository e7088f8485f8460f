package dev.tessera.policy.ast;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The top-level keys of a Tailscale policy file, in the canonical order printers use. A policy
 * records which sections were present, because absent and explicitly empty differ ({@code "acls":
 * []} denies everything; no acls and no grants at all is a different case).
 */
public enum Section {
  GROUPS("groups"),
  TAG_OWNERS("tagOwners"),
  HOSTS("hosts"),
  IPSETS("ipsets"),
  POSTURES("postures"),
  DEFAULT_SRC_POSTURE("defaultSrcPosture"),
  ACLS("acls"),
  GRANTS("grants"),
  AUTO_APPROVERS("autoApprovers"),
  SSH("ssh"),
  NODE_ATTRS("nodeAttrs"),
  TESTS("tests"),
  SSH_TESTS("sshTests"),
  DERP_MAP("derpMap"),
  DISABLE_IPV4("disableIPv4"),
  RANDOMIZE_CLIENT_PORT("randomizeClientPort");

  private static final Map<String, Section> BY_LOWER =
      Stream.of(values())
          .collect(
              Collectors.toUnmodifiableMap(
                  s -> s.key.toLowerCase(Locale.ROOT), Function.identity()));

  private final String key;

  Section(String key) {
    this.key = key;
  }

  /** The canonical key as Tailscale documents it, e.g. {@code tagOwners}. */
  public String key() {
    return key;
  }

  /** Case-insensitive lookup (Go's encoding/json matches field names case-insensitively). */
  public static Optional<Section> byKey(String key) {
    return Optional.ofNullable(BY_LOWER.get(key.toLowerCase(Locale.ROOT)));
  }
}
