package dev.tessera.policytests;

import dev.tessera.policy.ast.SourceSpan;
import java.util.OptionalInt;

/**
 * One checkable claim: "from {@code src}, {@code dst}:{@code port} over {@code proto} is allowed"
 * (or denied). One test entry yields one assertion per accept/deny destination.
 *
 * @param testIndex 0-based index of the test entry in the run
 * @param span the destination string's position (what the report points at)
 * @param testSpan the whole test entry
 * @param srcText the source as written
 * @param dstText the destination as written, e.g. {@code tag:web:443}
 * @param proto the protocol; empty means "any of TCP, UDP, ICMP/ICMPv6" (see README, semantics)
 */
public record Assertion(
    int testIndex,
    SourceSpan span,
    SourceSpan testSpan,
    Expect expect,
    TestTarget src,
    String srcText,
    TestTarget dst,
    String dstText,
    int port,
    OptionalInt proto) {

  public enum Expect {
    ALLOW,
    DENY
  }

  /** e.g. {@code alice@acme.com -> tag:web:443 (tcp)}. */
  public String describe() {
    return srcText
        + " -> "
        + dstText
        + (proto.isPresent() ? " (" + ProtoNames.name(proto.getAsInt()) + ")" : "");
  }
}
