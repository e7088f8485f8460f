package dev.tessera.policy.ast;

/** A reference {@code posture:NAME} in srcPosture/defaultSrcPosture; name excludes the prefix. */
public record PostureRef(String name, SourceSpan span) implements Located {
  public String text() {
    return "posture:" + name;
  }
}
