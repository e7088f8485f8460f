package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.bundle.SigningKey;
import dev.tessera.testsupport.ChildJvm;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A {@code policyc serve} process for tests that kill it: its address, admin token and log. */
record ServeProcess(String name, Process process, URI base, String token, Path log) {

  /**
   * Starts {@code policyc serve} with state in {@code home} (and its own copy of {@code key}, as a
   * server on its own machine has), over plain HTTP on a free port; {@code db} null: the default
   * SQLite registry in the state directory. Returns once it listens.
   */
  static ServeProcess start(String name, Path home, Path policy, SigningKey key, String db)
      throws Exception {
    return start(name, home, policy, key, db, "127.0.0.1");
  }

  /** As above, listening on {@code host} (an address of this machine). */
  static ServeProcess start(
      String name, Path home, Path policy, SigningKey key, String db, String host)
      throws Exception {
    Files.createDirectories(home);
    Path keyFile = home.resolve("server.key");
    if (!Files.exists(keyFile)) {
      key.write(keyFile);
    }
    Path log = home.resolve("serve-" + System.nanoTime() + ".log");
    List<String> args =
        new ArrayList<>(
            List.of(
                "serve",
                "--policy",
                policy.toString(),
                "--key",
                keyFile.toString(),
                "--state",
                home.resolve("state").toString(),
                "--plain-http",
                "--listen",
                host + ":0",
                "--poll-ms",
                "100"));
    if (db != null) {
      args.addAll(List.of("--db", db));
    }
    Process p =
        ChildJvm.start(List.of("-Xmx256m"), PolicyC.class, log, args.toArray(String[]::new));
    Pattern listening = Pattern.compile("listening on http://" + Pattern.quote(host) + ":(\\d+)");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      Matcher m = listening.matcher(Files.exists(log) ? Files.readString(log) : "");
      if (m.find()) {
        String token = Files.readString(home.resolve("state").resolve("admin.token")).strip();
        return new ServeProcess(
            name, p, URI.create("http://" + host + ":" + m.group(1)), token, log);
      }
      assertThat(p.isAlive() && System.nanoTime() < deadline)
          .as("server %s did not start:\n%s", name, Files.readString(log))
          .isTrue();
      Thread.sleep(50);
    }
  }

  /** {@code GET /v1/status} with the admin token. */
  com.fasterxml.jackson.databind.JsonNode status() throws Exception {
    try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
      java.net.http.HttpResponse<String> r =
          http.send(
              java.net.http.HttpRequest.newBuilder(base.resolve("/v1/status"))
                  .header("Authorization", "Bearer " + token)
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
    }
  }

  /** SIGKILL, and wait until it is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
  }
}
