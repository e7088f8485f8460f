package dev.tessera.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.cli.PolicyC;
import dev.tessera.cli.TesseraAgent;
import dev.tessera.testsupport.Requirements;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The release archive as a user gets it: unpacked, run, completed, read, and installed as units.
 */
class ArchiveTest {
  static final Duration RUN = Duration.ofMinutes(2);

  @TempDir Path tmp;

  static Exec.Result sh(Path dir, Map<String, String> env, String... cmd)
      throws IOException, InterruptedException {
    return Exec.run(List.of(cmd), env, dir, RUN);
  }

  @Test
  void holdsLaunchersJarsCompletionManPagesUnitsAndContainerfile() throws Exception {
    Path home = Archive.home();
    for (String launcher : List.of("bin/policyc", "bin/tessera-agent")) {
      assertThat(home.resolve(launcher)).isExecutable();
    }
    assertThat(home.resolve("lib/tessera/java.sh")).isRegularFile();
    assertThat(home.resolve("lib/tessera/tessera-cli.jar")).isRegularFile();
    assertThat(home.resolve("share/bash-completion/completions/policyc")).isRegularFile();
    assertThat(home.resolve("share/bash-completion/completions/tessera-agent")).isRegularFile();
    assertThat(home.resolve("lib/systemd/system/tessera-agent@.service")).isRegularFile();
    assertThat(home.resolve("lib/systemd/system/policyc-serve.service")).isRegularFile();
    assertThat(home.resolve("share/tessera/policyc-serve.env")).isRegularFile();
    assertThat(home.resolve("Containerfile")).isRegularFile();
  }

  /**
   * The CLI jar's manifest names its libraries; exactly those are in the archive, none of the
   * build's tools.
   */
  @Test
  void theJarsLibrariesAreExactlyThoseItsManifestNames() throws Exception {
    Path tessera = Archive.home().resolve("lib/tessera");
    List<String> classPath;
    try (JarFile jar = new JarFile(tessera.resolve("tessera-cli.jar").toFile())) {
      classPath =
          List.of(jar.getManifest().getMainAttributes().getValue("Class-Path").trim().split(" +"));
    }
    List<String> present;
    try (Stream<Path> s = Files.list(tessera.resolve("lib"))) {
      present = s.map(p -> "lib/" + p.getFileName()).sorted().toList();
    }
    assertThat(present).containsExactlyInAnyOrderElementsOf(classPath);
    assertThat(present)
        .noneMatch(j -> j.contains("jruby") || j.contains("asciidoctor") || j.contains("codegen"));
  }

  @Test
  void bothProgramsPrintTheBuildVersionAndFindJava25Themselves() throws Exception {
    if (!Archive.JDK.startsWith("/usr/lib/jvm")) {
      Exec.unavailable(
          "the Java 25 these tests run on is not under /usr/lib/jvm, where the launchers look without JAVA_HOME");
    }
    Path home = Archive.home();
    Map<String, String> env = Archive.plainEnv(tmp);
    Exec.Result policyc = sh(tmp, env, "bash", home.resolve("bin/policyc").toString(), "--version");
    Exec.Result agent =
        sh(tmp, env, "bash", home.resolve("bin/tessera-agent").toString(), "--version");
    assertThat(policyc.code()).as(policyc.toString()).isZero();
    assertThat(agent.code()).as(agent.toString()).isZero();
    assertThat(policyc.out()).startsWith("policyc " + Archive.VERSION + "\nJava 25");
    assertThat(agent.out()).startsWith("tessera-agent " + Archive.VERSION + "\nJava 25");
    assertThat(Files.list(tmp.resolve(".cache/tessera")).toList())
        .as("class-data archive in the user's cache")
        .anyMatch(p -> p.toString().endsWith(".jsa"));
  }

  @Test
  void anUpgradedCliJarGetsANewClassDataArchive() throws Exception {
    if (!Archive.JDK.startsWith("/usr/lib/jvm")) {
      Exec.unavailable(
          "the Java 25 these tests run on is not under /usr/lib/jvm, where the launchers look without JAVA_HOME");
    }
    Path home = Archive.home();
    Map<String, String> env = Archive.plainEnv(tmp);
    Path cache = tmp.resolve(".cache/tessera");
    Path jar = home.resolve("lib/tessera/tessera-cli.jar");
    Exec.Result first = sh(tmp, env, "bash", home.resolve("bin/policyc").toString(), "--version");
    assertThat(first.code()).as(first.toString()).isZero();
    List<Path> before = jsas(cache);
    assertThat(before).hasSize(1);
    java.nio.file.attribute.FileTime was = Files.getLastModifiedTime(jar);
    try {
      // An upgrade unpacks a jar with another time: the old archive no longer fits it.
      Files.setLastModifiedTime(
          jar, java.nio.file.attribute.FileTime.fromMillis(was.toMillis() + 86_400_000L));
      Exec.Result second =
          sh(tmp, env, "bash", home.resolve("bin/policyc").toString(), "--version");
      assertThat(second.code()).as(second.toString()).isZero();
      assertThat(jsas(cache)).hasSize(2).containsAll(before);
    } finally {
      Files.setLastModifiedTime(jar, was);
    }
  }

  private static List<Path> jsas(Path dir) throws java.io.IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".jsa")).sorted().toList();
    }
  }

  /**
   * With JAVA_HOME at a runtime without javac (as in the container image), through a symlink on
   * PATH.
   */
  @Test
  void runsOnAJreThroughASymlink() throws Exception {
    Path home = Archive.home();
    Path jre = Archive.jre();
    Path bin = Files.createDirectories(tmp.resolve("usr-local-bin"));
    Files.createSymbolicLink(bin.resolve("policyc"), home.resolve("bin/policyc"));
    Path policy = tmp.resolve("policy.hujson");
    Files.copy(ArchiveTest.class.getResourceAsStream("/recipe/good.hujson"), policy);
    Map<String, String> env = new HashMap<>(Archive.plainEnv(tmp));
    env.put("JAVA_HOME", jre.toString());
    env.put("PATH", bin + ":/usr/bin:/bin");
    Exec.Result version = sh(tmp, env, "/bin/sh", "-c", "policyc --version");
    assertThat(version.code()).as(version.toString()).isZero();
    assertThat(version.out()).contains("at " + jre);
    Exec.Result test =
        sh(tmp, env, "/bin/sh", "-c", "policyc test policy.hujson --junit out/junit.xml");
    assertThat(test.code()).as(test.toString()).isZero();
    assertThat(test.lastLine()).startsWith("PASS 1 test, 2 assertions");
    assertThat(tmp.resolve("out/junit.xml")).isRegularFile();
  }

  /**
   * Without any Java 25 (the JDKs hidden in a private mount namespace) the launcher says what is
   * missing.
   */
  @Test
  void withoutJava25TheLauncherSaysSoAndExitsTwo() throws Exception {
    if (!Requirements.isRoot()) {
      Exec.unavailable("hiding /usr/lib/jvm in a mount namespace needs root");
    }
    Path unshare = Exec.require("unshare");
    Exec.require("mount");
    Path home = Archive.home();
    Map<String, String> env = Archive.plainEnv(tmp);
    Exec.Result r =
        sh(
            tmp,
            env,
            unshare.toString(),
            "--mount",
            "--propagation",
            "private",
            "/bin/bash",
            "-c",
            "mount -t tmpfs none /usr/lib/jvm && exec \"$0\" --version",
            home.resolve("bin/policyc").toString());
    assertThat(r.code()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains("tessera: no Java 25 or newer found: set JAVA_HOME");
  }

  @Test
  void bashCompletesCommandsAndOptions() throws Exception {
    Path bash = Exec.require("bash");
    Path completions = Archive.home().resolve("share/bash-completion/completions");
    String script =
        """
        source "$1/policyc"; source "$1/tessera-agent"
        complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
          "_complete_$1"; echo "$* => ${COMPREPLY[*]}"; }
        complete_words policyc te
        complete_words policyc test --min
        complete_words tessera-agent sh
        complete_words policyc diff --format
        """;
    Exec.Result r =
        sh(
            tmp,
            Map.of("PATH", "/usr/bin:/bin"),
            bash.toString(),
            "-c",
            script,
            "complete",
            completions.toString());
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains("policyc te => test\n")
        .contains("policyc test --min => --min-coverage\n")
        .contains("tessera-agent sh => show\n");
  }

  /**
   * A man page for every command of both programs, each rendering with its options and the exit
   * codes.
   */
  @Test
  void everyCommandHasAManPageThatManRenders() throws Exception {
    Path man = Exec.require("man");
    Path man1 = Archive.home().resolve("share/man/man1");
    List<String> commands = new ArrayList<>();
    collect(PolicyC.commandLine(), "policyc", commands);
    collect(TesseraAgent.commandLine(), "tessera-agent", commands);
    List<String> pages = commands.stream().map(c -> c.replace(' ', '-')).toList();
    assertThat(pages)
        .contains("policyc-test", "policyc-build", "tessera-agent-show")
        .doesNotContain("policyc-generate-completion");
    try (Stream<Path> s = Files.list(man1)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList())
          .containsExactlyInAnyOrderElementsOf(pages.stream().map(p -> p + ".1").toList());
    }
    for (String command : commands) {
      String page = command.replace(' ', '-');
      Exec.Result r =
          sh(
              tmp,
              Map.of("PATH", "/usr/bin:/bin", "MANWIDTH", "100", "LANG", "C.UTF-8"),
              man.toString(),
              "-l",
              man1.resolve(page + ".1").toString());
      assertThat(r.code()).as(page + "\n" + r).isZero();
      assertThat(r.err()).as(page).isEmpty();
      assertThat(r.out()).as(page).contains("NAME", "SYNOPSIS", command + " [", "-h, --help");
      if (!page.endsWith("-help")) {
        assertThat(r.out()).as(page).contains("EXIT CODES");
      }
    }
  }

  /** A copy, not a link: systemd-analyze resolves links inside --root. */
  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }

  private static void collect(CommandLine cl, String name, List<String> into) {
    if (cl.getCommandSpec().usageMessage().hidden()) {
      return;
    }
    into.add(name);
    for (var e : cl.getSubcommands().entrySet()) {
      collect(e.getValue(), name + " " + e.getKey(), into);
    }
  }

  /**
   * Both units pass {@code systemd-analyze verify} (unknown keys, bad values, missing executables)
   * in a root where the archive is unpacked at /opt/tessera, where the units say it is.
   */
  @Test
  void systemdUnitsVerify() throws Exception {
    Path analyze = Exec.require("systemd-analyze");
    Path systemUnits = Path.of("/usr/lib/systemd/system");
    if (!Files.isDirectory(systemUnits)) {
      Exec.unavailable("no systemd units under " + systemUnits + " to verify against");
    }
    Path root = tmp.resolve("root");
    Path units = Files.createDirectories(root.resolve("etc/systemd/system"));
    Path lib = Files.createDirectories(root.resolve("usr/lib/systemd/system"));
    try (Stream<Path> s = Files.list(systemUnits)) {
      for (Path p :
          s.filter(p -> p.toString().endsWith(".target") || p.toString().endsWith(".slice"))
              .toList()) {
        Files.copy(p, lib.resolve(p.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
    copyTree(Archive.home(), root.resolve("opt/tessera"));
    Path dist = Archive.home().resolve("lib/systemd/system");
    for (String unit : List.of("policyc-serve.service", "tessera-agent@.service")) {
      Files.copy(dist.resolve(unit), units.resolve(unit));
      for (String name : List.of(unit, unit.replace("@.", "@wg0."))) {
        if (!name.equals(unit)) {
          Files.copy(dist.resolve(unit), units.resolve(name));
        }
        Exec.Result r =
            sh(
                tmp,
                Map.of("PATH", "/usr/bin:/bin"),
                analyze.toString(),
                "verify",
                "--man=no",
                "--root=" + root,
                units.resolve(name).toString());
        assertThat(r.code()).as(name + "\n" + r).isZero();
        assertThat(r.out() + r.err()).as(name).isEmpty();
      }
    }
    String serve = Files.readString(dist.resolve("policyc-serve.service"));
    assertThat(serve)
        .contains("ExecStart=/opt/tessera/bin/policyc serve ")
        .contains("RestartPreventExitStatus=2");
    assertThat(Files.readString(dist.resolve("tessera-agent@.service")))
        .contains("ExecStart=/opt/tessera/bin/tessera-agent up --config /etc/wireguard/%i.conf");
  }
}
