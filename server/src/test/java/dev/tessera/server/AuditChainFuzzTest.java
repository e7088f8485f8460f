package dev.tessera.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * Jazzer fuzz target for {@code policyc audit verify}: an audit log is read from disk and may be
 * anything. Under plain {@code mvn test} it replays its seeds plus an empty input; {@code bin/fuzz
 * AuditChainFuzzTest#verify} fuzzes with coverage. Properties: a result or an IOException, never
 * another exception; a reported break lies within the lines read; the lines counted never exceed
 * the newlines plus one.
 */
class AuditChainFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void verify(FuzzedDataProvider data) throws IOException {
    byte[] bytes = data.consumeRemainingAsBytes();
    AuditChain.Result r = AuditChain.verify(new ByteArrayInputStream(bytes));
    long newlines = 0;
    for (byte b : bytes) {
      newlines += b == '\n' ? 1 : 0;
    }
    assertThat(r.lines()).isLessThanOrEqualTo(newlines + 1);
    assertThat(r.chained()).isLessThanOrEqualTo(r.lines());
    r.broken().ifPresent(b -> assertThat(b.line()).isBetween(1L, r.lines()));
  }
}
