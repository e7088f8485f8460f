package dev.tessera.policy.ast;

import java.util.List;
import java.util.Optional;

/** A {@code tests} entry: from {@code src} (optionally with {@code proto}) accept/deny lists. */
public record PolicyTest(
    TestSource src,
    Optional<Protocol> proto,
    List<TestDestination> accept,
    List<TestDestination> deny,
    SourceSpan span)
    implements Located {
  public PolicyTest {
    accept = List.copyOf(accept);
    deny = List.copyOf(deny);
  }
}
