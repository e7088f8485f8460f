package dev.tessera.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.testsupport.PostgresCluster;
import dev.tessera.testsupport.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive's launchers run the programs on the module path: the programs are the module {@code
 * dev.tessera.cli}, every jar of {@code lib/tessera} is a module of the boot layer, and the
 * registry finds Flyway's database plugins, its migrations and the JDBC drivers there (SQLite and
 * PostgreSQL), with native access granted to the modules that need it and no one else.
 */
class ModulePathTest {
  static final Duration RUN = Duration.ofMinutes(2);

  /**
   * A line of {@code --show-module-resolution} naming a module found on the module path: {@code
   * root M URI}, {@code M1 requires M URI} or {@code M1 binds M URI}, then {@code automatic} for a
   * jar without a module descriptor.
   */
  static final Pattern RESOLVED =
      Pattern.compile(
          "(?m)^(root )?(\\S+)(?: (?:requires|binds) (\\S+))? (file:\\S+)(?: automatic)?$");

  /** What the JVM prints when a module without native access loads or binds native code. */
  static final String NATIVE_ACCESS_WARNING = "--enable-native-access";

  @TempDir Path tmp;

  Map<String, String> env() {
    Map<String, String> env = new HashMap<>(Archive.plainEnv(tmp));
    env.put("JAVA_HOME", Archive.JDK.toString());
    return env;
  }

  Exec.Result policyc(Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", policycPath().toString()));
    cmd.addAll(List.of(args));
    return Exec.run(cmd, env, tmp, RUN);
  }

  static Path policycPath() throws Exception {
    return Archive.home().resolve("bin/policyc");
  }

  @Test
  void bothProgramsAreTheModuleDevTesseraCli() throws Exception {
    Exec.require("bash");
    for (String program : List.of("policyc", "tessera-agent")) {
      Exec.Result r =
          Exec.run(
              List.of("bash", Archive.home().resolve("bin/" + program).toString(), "--version"),
              env(),
              tmp,
              RUN);
      assertThat(r.code()).as(r.toString()).isZero();
      assertThat(r.out().lines().toList())
          .as(r.toString())
          .hasSize(3)
          .last()
          .isEqualTo("Module dev.tessera.cli (module path)");
    }
  }

  /**
   * Every jar of the archive is resolved as a module from its place in the archive, the CLI jar as
   * the root the program starts from: a jar the launcher left off, or a return to the class path,
   * fails here.
   */
  @Test
  void everyJarOfTheArchiveIsAModuleOfTheBootLayer() throws Exception {
    Exec.require("bash");
    Path tessera = Archive.home().resolve("lib/tessera").toRealPath();
    Map<String, String> env = env();
    env.put("TESSERA_JAVA_OPTS", "--show-module-resolution");
    Exec.Result r = policyc(env, "--version");
    assertThat(r.code()).as(r.toString()).isZero();
    String shown = r.out() + r.err();
    Map<Path, String> moduleOfJar = new HashMap<>();
    Matcher m = RESOLVED.matcher(shown);
    while (m.find()) {
      String module = m.group(3) != null ? m.group(3) : m.group(2);
      moduleOfJar.put(Path.of(java.net.URI.create(m.group(4))), module);
    }
    Set<Path> jars;
    try (Stream<Path> s = Files.list(tessera.resolve("lib"))) {
      jars = s.collect(Collectors.toSet());
    }
    assertThat(jars).hasSizeGreaterThan(20);
    assertThat(moduleOfJar.keySet())
        .as(shown)
        .containsAll(jars)
        .contains(tessera.resolve("tessera-cli.jar"));
    assertThat(shown)
        .containsPattern(
            "(?m)^root dev\\.tessera\\.cli "
                + Pattern.quote(tessera.resolve("tessera-cli.jar").toUri().toString())
                + "$");
    assertThat(moduleOfJar)
        .containsValues(
            "dev.tessera.registry",
            "flyway.core",
            "flyway.database.postgresql",
            "org.postgresql.jdbc",
            "org.xerial.sqlitejdbc");
  }

  /**
   * {@code policyc serve} on a SQLite registry in its state directory: Flyway migrates it from the
   * registry module's jar, and an administration command then writes to it.
   */
  @Test
  void serveMigratesASqliteRegistry() throws Exception {
    serveAndEnroll(null);
  }

  /** The same on PostgreSQL: Flyway's PostgreSQL plugin and the PostgreSQL driver as modules. */
  @Test
  void serveMigratesAPostgresqlRegistry() throws Exception {
    PostgresCluster.requireInstalled();
    try (PostgresCluster pg = PostgresCluster.start()) {
      serveAndEnroll(pg.url());
    }
  }

  private void serveAndEnroll(String db) throws Exception {
    Exec.require("bash");
    Map<String, String> env = env();
    Path policy = tmp.resolve("policy.hujson");
    Files.writeString(
        policy,
        "{\"acls\": [{\"action\": \"accept\", \"src\": [\"alice@example.com\"],"
            + " \"dst\": [\"alice@example.com:*\"]}]}\n");
    Exec.Result keygen = policyc(env, "keygen", "--out", tmp.resolve("server.key").toString());
    assertThat(keygen.code()).as(keygen.toString()).isZero();
    Path state = tmp.resolve("state");
    List<String> serve =
        new ArrayList<>(
            List.of(
                "bash",
                policycPath().toString(),
                "serve",
                "--policy",
                policy.toString(),
                "--key",
                tmp.resolve("server.key").toString(),
                "--state",
                state.toString(),
                "--plain-http",
                "--listen",
                "127.0.0.1:0"));
    List<String> where = new ArrayList<>(List.of("--state", state.toString()));
    if (db != null) {
      serve.addAll(List.of("--db", db));
      where = List.of("--db", db);
    }
    Path log = tmp.resolve("serve.log");
    ProcessBuilder pb =
        Tools.process(serve)
            .directory(tmp.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    pb.environment().clear();
    pb.environment().putAll(env);
    Process server = pb.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.readString(log, StandardCharsets.UTF_8).contains("listening on http://")) {
        assertThat(server.isAlive() && System.nanoTime() < deadline)
            .as("policyc serve did not start:\n%s", Files.readString(log))
            .isTrue();
        Thread.sleep(100);
      }
      List<String> create =
          new ArrayList<>(List.of("authkey", "create", "--user", "alice@example.com"));
      create.addAll(where);
      Exec.Result key = policyc(env, create.toArray(String[]::new));
      assertThat(key.code()).as(key.toString()).isZero();
      List<String> list = new ArrayList<>(List.of("authkey", "list"));
      list.addAll(where);
      Exec.Result keys = policyc(env, list.toArray(String[]::new));
      assertThat(keys.code()).as(keys.toString()).isZero();
      assertThat(keys.out()).contains("alice@example.com");
      assertThat(key.err() + keys.err()).doesNotContain(NATIVE_ACCESS_WARNING);
    } finally {
      server.destroy();
      if (!server.waitFor(20, TimeUnit.SECONDS)) {
        server.destroyForcibly().waitFor();
      }
    }
    assertThat(Files.readString(log)).doesNotContain(NATIVE_ACCESS_WARNING);
  }
}
