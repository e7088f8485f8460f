package dev.tessera.policy.ast;

import java.util.List;
import java.util.Optional;

/**
 * An {@code ssh} entry. Not part of the packet filter. {@code users} are SSH user names as text
 * ({@code root}, {@code autogroup:nonroot}, {@code localpart:*@acme.com}). {@code recorder} holds
 * the tags of the session recorders (Tailscale KB 1246) and {@code enforceRecorder} whether a
 * session that cannot be recorded is refused; empty when the rule does not say.
 */
public record SshRule(
    Action action,
    List<Selector> src,
    List<Selector> dst,
    List<String> users,
    Optional<String> checkPeriod,
    List<String> acceptEnv,
    List<PostureRef> srcPosture,
    List<Selector> recorder,
    Optional<Boolean> enforceRecorder,
    SourceSpan span)
    implements Located {
  public SshRule {
    src = List.copyOf(src);
    dst = List.copyOf(dst);
    users = List.copyOf(users);
    acceptEnv = List.copyOf(acceptEnv);
    srcPosture = List.copyOf(srcPosture);
    recorder = List.copyOf(recorder);
    java.util.Objects.requireNonNull(enforceRecorder, "enforceRecorder");
  }

  /** A rule without session recording. */
  public SshRule(
      Action action,
      List<Selector> src,
      List<Selector> dst,
      List<String> users,
      Optional<String> checkPeriod,
      List<String> acceptEnv,
      List<PostureRef> srcPosture,
      SourceSpan span) {
    this(
        action,
        src,
        dst,
        users,
        checkPeriod,
        acceptEnv,
        srcPosture,
        List.of(),
        Optional.empty(),
        span);
  }

  /** True when sessions must be recorded: {@code enforceRecorder} is true. */
  public boolean recordingEnforced() {
    return enforceRecorder.orElse(false);
  }

  public enum Action {
    ACCEPT,
    CHECK;

    public String text() {
      return this == ACCEPT ? "accept" : "check";
    }
  }
}
