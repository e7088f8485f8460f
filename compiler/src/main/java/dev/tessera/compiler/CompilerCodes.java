package dev.tessera.compiler;

/**
 * Stable diagnostic codes of the compiler and the inventory reader (policy-lang's are in {@link
 * dev.tessera.policy.diag.Codes}). Tools and tests match on them.
 */
public final class CompilerCodes {
  private CompilerCodes() {}

  public static final String INVENTORY_SYNTAX = "inventory-syntax";
  public static final String INVENTORY_UNKNOWN_KEY = "inventory-unknown-key";
  public static final String INVENTORY_TYPE = "inventory-type";
  public static final String INVENTORY_MISSING = "inventory-missing-field";
  public static final String INVENTORY_UNKNOWN_USER = "inventory-unknown-user";
  public static final String INVENTORY_DUPLICATE_USER = "inventory-duplicate-user";
  public static final String INVENTORY_DUPLICATE_NAME = "inventory-duplicate-name";
  public static final String INVENTORY_DUPLICATE_IP = "inventory-duplicate-ip";
  public static final String INVENTORY_BAD_IP = "inventory-bad-ip";
  public static final String INVENTORY_BAD_ROUTE = "inventory-bad-route";
  public static final String INVENTORY_BAD_ROLE = "inventory-bad-role";
  public static final String INVENTORY_BAD_TAG = "inventory-bad-tag";
  public static final String INVENTORY_UNDEFINED_TAG = "inventory-undefined-tag";
  public static final String INVENTORY_TAG_NOT_OWNED = "inventory-tag-not-owned";
  public static final String INVENTORY_BAD_POSTURE = "inventory-bad-posture";
  public static final String INVENTORY_NO_OWNER = "inventory-untagged-without-user";
  public static final String SERVICE_NOT_APPROVED = "service-not-approved";
  public static final String UNKNOWN_SERVICE = "unknown-service";

  /** A policy reference the compiler cannot resolve (validation normally catches it first). */
  public static final String UNRESOLVED = "compile-unresolved";
}
