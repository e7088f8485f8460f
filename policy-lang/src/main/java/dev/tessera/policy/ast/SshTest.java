package dev.tessera.policy.ast;

import java.util.List;

/** An {@code sshTests} entry, kept as text (evaluated by SSH tooling, not the packet filter). */
public record SshTest(
    String src,
    List<String> dst,
    List<String> accept,
    List<String> check,
    List<String> deny,
    SourceSpan span)
    implements Located {
  public SshTest {
    dst = List.copyOf(dst);
    accept = List.copyOf(accept);
    check = List.copyOf(check);
    deny = List.copyOf(deny);
  }
}
