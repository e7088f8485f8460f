package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.server.AuditLog;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code policyc audit verify FILE}: exit 0 on an intact chain, 1 naming the first broken line. */
class AuditVerifyCommandTest {
  @TempDir Path dir;

  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl = PolicyC.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void intactBrokenAndMissingLogs() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    try (AuditLog log = new AuditLog(file)) {
      log.compiled("rev1", 2, 2, 5);
      log.served("web-1", 1, "h1");
      log.acknowledged("web-1", 1, "h1");
    }
    Run ok = run("audit", "verify", file.toString());
    assertThat(ok.exit()).isEqualTo(PolicyC.OK);
    assertThat(ok.out()).startsWith("ok").contains("3 lines, 3 chained");

    List<String> lines = new ArrayList<>(Files.readAllLines(file));
    lines.set(1, lines.get(1).replace("web-1", "web-2"));
    Files.write(file, lines);
    Run broken = run("audit", "verify", file.toString());
    assertThat(broken.exit()).isEqualTo(PolicyC.FAILED);
    assertThat(broken.out())
        .contains("BROKEN", "audit.jsonl:3:", "does not match the SHA-256 of line 2");

    Run missing = run("audit", "verify", dir.resolve("nope.jsonl").toString());
    assertThat(missing.exit()).isEqualTo(PolicyC.USAGE);
    assertThat(missing.err()).contains("no audit log");
  }
}
