package dev.tessera.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.testsupport.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "A tailnet from scratch" block, run as written: its lines are taken from README.md
 * and run by bash in a fresh network namespace, with {@code bin/} the built archive's. Both agents
 * must enroll, take each other from their bundles and complete a WireGuard handshake, and no
 * program may warn about native access (the agent's TUN through FFM, Netty's epoll transport, the
 * SQLite driver on the module path).
 */
@Tag("root")
@RequiresRoot("the agents make TUN devices; the commands run in their own network namespace")
class ReadmeTailnetTest {
  static final Path README = Path.of("..", "README.md").toAbsolutePath().normalize();

  @TempDir Path work;

  /** The first sh block after the section's heading. */
  static String block() throws Exception {
    String text = Files.readString(README);
    int at = text.indexOf("## A tailnet from scratch");
    assertThat(at).as("README section").isNotNegative();
    int start = text.indexOf("```sh\n", at) + 6;
    int end = text.indexOf("```", start);
    return text.substring(start, end);
  }

  @Test
  void theThreeCommandsMakeATwoNodeTailnet() throws Exception {
    for (String tool : List.of("bash", "ip", "curl", "grep")) {
      Exec.require(tool);
    }
    Path home = Archive.home();
    Files.createSymbolicLink(work.resolve("bin"), home.resolve("bin"));
    Files.writeString(
        work.resolve("run.sh"),
        block()
            + """
            ok=0
            for i in $(seq 1 90); do
              if bin/tessera-agent show tessera1 2>/dev/null | grep -q 'latest handshake' \\
                && bin/tessera-agent show tessera2 2>/dev/null | grep -q 'latest handshake'; then
                ok=1; break
              fi
              sleep 1
            done
            bin/tessera-agent show tessera1; bin/tessera-agent show tessera2
            kill %2 %3; sleep 2; kill %1; wait
            [ "$ok" = 1 ]
            """);
    String ns = "tsr-readme-" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
    assertThat(
            Exec.run(List.of("ip", "netns", "add", ns), Map.of(), work, Duration.ofSeconds(10))
                .code())
        .isZero();
    try {
      Exec.run(
          List.of("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"),
          Map.of(),
          work,
          Duration.ofSeconds(10));
      Exec.Result r =
          Exec.run(
              List.of("ip", "netns", "exec", ns, "bash", "run.sh"),
              Map.of(
                  "PATH",
                  "/usr/sbin:/usr/bin:/sbin:/bin",
                  "JAVA_HOME",
                  Archive.JDK.toString(),
                  "HOME",
                  work.toString(),
                  "LANG",
                  "C.UTF-8"),
              work,
              Duration.ofMinutes(4));
      assertThat(r.code()).as(r.toString()).isZero();
      assertThat(r.out()).contains("peer: ").contains("latest handshake");
      assertThat(r.err())
          .as("native code only from the modules the launchers grant native access")
          .doesNotContain(ModulePathTest.NATIVE_ACCESS_WARNING);
      assertThat(work.resolve("tailnet/one/node.json")).exists();
    } finally {
      Exec.run(List.of("ip", "netns", "del", ns), Map.of(), work, Duration.ofSeconds(10));
    }
  }
}
