package dev.tessera.policy.ast;

import java.util.List;
import java.util.Optional;

/**
 * An {@code ssh} entry. Not part of the packet filter. {@code users} are SSH user names as text
 * ({@code root}, {@code autogroup:nonroot}, {@code localpart:*@acme.com}).
 */
public record SshRule(
    Action action,
    List<Selector> src,
    List<Selector> dst,
    List<String> users,
    Optional<String> checkPeriod,
    List<String> acceptEnv,
    List<PostureRef> srcPosture,
    SourceSpan span)
    implements Located {
  public SshRule {
    src = List.copyOf(src);
    dst = List.copyOf(dst);
    users = List.copyOf(users);
    acceptEnv = List.copyOf(acceptEnv);
    srcPosture = List.copyOf(srcPosture);
  }

  public enum Action {
    ACCEPT,
    CHECK;

    public String text() {
      return this == ACCEPT ? "accept" : "check";
    }
  }
}
