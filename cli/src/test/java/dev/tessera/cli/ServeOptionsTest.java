package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code policyc serve} refuses connection caps that would refuse every connection. */
class ServeOptionsTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "--max-connections,            0",
    "--max-connections,            -5",
    "--max-connections-per-source, 0",
    "--max-connections-per-source, -1",
  })
  void aConnectionCapBelowOneIsAUsageError(String option, String value) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        PolicyC.run(
            new PrintWriter(out),
            new PrintWriter(err),
            "serve",
            "--key",
            dir.resolve("missing.key").toString(),
            "--policy",
            dir.resolve("policy.hujson").toString(),
            "--state",
            dir.resolve("state").toString(),
            option,
            value);
    assertThat(code).isEqualTo(PolicyC.USAGE);
    assertThat(err.toString()).contains(option + " must be at least 1, got " + value);
    assertThat(dir.resolve("state")).doesNotExist();
  }
}
