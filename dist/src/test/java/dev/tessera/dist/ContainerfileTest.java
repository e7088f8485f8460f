package dev.tessera.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive's Containerfile. No container engine runs where these tests do, so the image is not
 * built; instead every instruction is checked against the archive it is built from, and the image's
 * file system is laid out as its COPY lines say (under a temporary directory instead of /) and its
 * RUN, ENTRYPOINT and CMD are run there with its ENV, on a Java 25 runtime without a compiler, as
 * the eclipse-temurin JRE image provides.
 */
class ContainerfileTest {
  @TempDir Path tmp;

  record Instruction(String keyword, String args) {}

  static List<Instruction> instructions(Path containerfile) throws Exception {
    List<Instruction> out = new ArrayList<>();
    StringBuilder pending = new StringBuilder();
    for (String line : Files.readAllLines(containerfile)) {
      if (line.isBlank() || line.stripLeading().startsWith("#")) {
        continue;
      }
      pending.append(line.strip());
      if (line.endsWith("\\")) {
        pending.setLength(pending.length() - 1);
        pending.append(' ');
        continue;
      }
      String[] kw = pending.toString().split("\\s+", 2);
      out.add(new Instruction(kw[0], kw.length > 1 ? kw[1] : ""));
      pending.setLength(0);
    }
    return out;
  }

  @Test
  void everyFileTheContainerfileCopiesIsInTheArchiveAndItsCommandsRun() throws Exception {
    Path home = Archive.home();
    List<Instruction> ins = instructions(home.resolve("Containerfile"));
    assertThat(ins.getFirst()).isEqualTo(new Instruction("FROM", "eclipse-temurin:25-jre"));
    assertThat(ins)
        .extracting(Instruction::keyword)
        .allMatch(k -> List.of("FROM", "COPY", "ENV", "RUN", "ENTRYPOINT", "CMD").contains(k));

    Path image = tmp.resolve("image");
    Map<String, String> env =
        new HashMap<>(
            Map.of(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "JAVA_HOME",
                Archive.jre().toString(),
                "HOME",
                tmp.resolve("root-home").toString(),
                "LANG",
                "en_US.UTF-8"));
    List<String> entrypoint = List.of();
    List<String> cmd = List.of();
    List<String> runs = new ArrayList<>();
    int copies = 0;
    for (Instruction i : ins) {
      switch (i.keyword()) {
        case "COPY" -> {
          String[] srcDst = i.args().split("\\s+");
          assertThat(srcDst).as(i.args()).hasSize(2);
          Path src = home.resolve(srcDst[0]);
          assertThat(src).as("COPY " + srcDst[0] + ": in the archive").exists();
          assertThat(srcDst[1]).startsWith("/opt/tessera/");
          Path dst = image.resolve(srcDst[1].substring(1));
          ArchiveTest.copyTree(src, dst);
          copies++;
        }
        case "ENV" -> {
          Matcher m = Pattern.compile("(\\w+)=(\\S+)").matcher(i.args());
          while (m.find()) {
            List<String> parts = new ArrayList<>();
            for (String part : m.group(2).split(":")) {
              parts.add(
                  part.equals("$PATH")
                      ? env.get("PATH")
                      : part.startsWith("/opt/")
                          ? image + part
                          : part.startsWith("/tmp/") ? tmp + part : part);
            }
            env.put(m.group(1), String.join(":", parts));
          }
        }
        case "RUN" -> runs.add(i.args());
        case "ENTRYPOINT" -> entrypoint = exec(i.args());
        case "CMD" -> cmd = exec(i.args());
        default -> {}
      }
    }
    assertThat(copies).isPositive();
    assertThat(env.get("PATH")).startsWith(image + "/opt/tessera/bin:");
    assertThat(runs).isNotEmpty();
    for (String run : runs) {
      Exec.Result r = Exec.run(List.of("/bin/sh", "-c", run), env, tmp, Duration.ofMinutes(2));
      assertThat(r.code()).as("RUN " + run + "\n" + r).isZero();
    }
    assertThat(Files.list(Path.of(env.get("TESSERA_CACHE_DIR"))).toList())
        .as("the class-data archive RUN leaves in the image")
        .anyMatch(p -> p.toString().endsWith(".jsa"));
    // The exec form, looked up on the image's PATH as the engine does (sh searches the PATH it is
    // given).
    List<String> start = new ArrayList<>(List.of("/bin/sh", "-c", "exec \"$0\" \"$@\""));
    start.addAll(entrypoint);
    start.addAll(cmd);
    Exec.Result help = Exec.run(start, env, tmp, Duration.ofMinutes(2));
    assertThat(help.code()).as(help.toString()).isZero();
    assertThat(help.out()).startsWith("Usage: policyc ");
    Files.copy(
        ContainerfileTest.class.getResourceAsStream("/recipe/broken.hujson"),
        tmp.resolve("policy.hujson"));
    List<String> test = new ArrayList<>(List.of("/bin/sh", "-c", "exec \"$0\" \"$@\""));
    test.addAll(entrypoint);
    test.addAll(List.of("test", "policy.hujson"));
    Exec.Result broken = Exec.run(test, env, tmp, Duration.ofMinutes(2));
    assertThat(broken.code()).as(broken.toString()).isEqualTo(1);
    assertThat(broken.lastLine()).isEqualTo("FAIL 1 error in policy.hujson, no test was run");
  }

  /** {@code ["a", "b"]}, the exec form. */
  static List<String> exec(String json) {
    assertThat(json).as("exec form").startsWith("[").endsWith("]");
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("\"([^\"]*)\"").matcher(json);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }
}
