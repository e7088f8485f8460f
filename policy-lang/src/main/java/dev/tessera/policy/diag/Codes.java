package dev.tessera.policy.diag;

/**
 * The stable diagnostic codes. Tools and tests match on these, so they never change meaning; new
 * problems get new codes.
 */
public final class Codes {
  private Codes() {}

  // Reading
  public static final String SYNTAX = "syntax";
  public static final String IO = "io";
  public static final String UNSUPPORTED_SYNTAX = "unsupported-syntax";
  public static final String UNKNOWN_KEY = "unknown-key";
  public static final String DUPLICATE_KEY = "duplicate-key";
  public static final String KEY_CASE = "key-case";
  public static final String LEGACY_KEY = "legacy-key";
  public static final String SCHEMA = "schema";
  public static final String TYPE = "type";
  public static final String WHITESPACE = "whitespace";

  // Values
  public static final String INVALID_SELECTOR = "invalid-selector";
  public static final String INVALID_IP = "invalid-ip";
  public static final String INVALID_PORT = "invalid-port";
  public static final String INVALID_PROTO = "invalid-proto";
  public static final String PORTS_NOT_SUPPORTED = "ports-not-supported";
  public static final String UNKNOWN_AUTOGROUP = "unknown-autogroup";
  public static final String MIXED_MEMBER_NAMES = "mixed-member-names";
  public static final String INVALID_POSTURE = "invalid-posture";
  public static final String UNKNOWN_POSTURE_OPERATOR = "unknown-posture-operator";
  public static final String INVALID_ACTION = "invalid-action";
  public static final String INVALID_NAME = "invalid-name";

  // References and meaning
  public static final String UNDEFINED_GROUP = "undefined-group";
  public static final String UNDEFINED_TAG = "undefined-tag";
  public static final String UNDEFINED_HOST = "undefined-host";
  public static final String UNDEFINED_POSTURE = "undefined-posture";
  public static final String UNDEFINED_IPSET = "undefined-ipset";
  public static final String RECURSIVE_GROUP = "recursive-group";
  public static final String RECURSIVE_IPSET = "recursive-ipset";
  public static final String SELF_AS_SOURCE = "self-as-source";
  public static final String SELF_WITH_NON_USER_SOURCE = "self-with-non-user-source";
  public static final String DANGER_ALL_AS_DESTINATION = "danger-all-as-destination";
  public static final String INVALID_SOURCE = "invalid-source";
  public static final String INVALID_DESTINATION = "invalid-destination";
  public static final String GRANT_EMPTY_IP_APP = "grant-empty-ip-app";
  public static final String GRANT_DEFAULT_ROUTE_DESTINATION = "grant-default-route-dst";
  public static final String INVALID_VIA = "invalid-via";
  public static final String INVALID_MEMBER = "invalid-member";
  public static final String INVALID_OWNER = "invalid-owner";
  public static final String INVALID_APPROVER = "invalid-approver";
  public static final String INVALID_IPSET_ELEMENT = "invalid-ipset-element";
  public static final String INVALID_TEST = "invalid-test";
  public static final String INVALID_SSH = "invalid-ssh";
  public static final String INVALID_SSH_TEST = "invalid-ssh-test";
  public static final String INVALID_CAPABILITY = "invalid-capability";
}
