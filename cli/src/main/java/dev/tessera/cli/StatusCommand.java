package dev.tessera.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code policyc status}: what a running policy server serves and what each node acknowledged. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description =
        "Show a policy server's revision, last compile error, and each node's served and acknowledged versions.")
final class StatusCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--server",
      defaultValue = "127.0.0.1:8411",
      paramLabel = "HOST:PORT",
      description = "Policy server (default ${DEFAULT-VALUE}).")
  String server;

  @Option(names = "--json", description = "Print the server's JSON as is.")
  boolean json;

  @Option(
      names = "--server-cert",
      paramLabel = "FILE",
      description = "For an https server: the certificate to trust (from keygen --tls).")
  java.nio.file.Path serverCert;

  @Option(
      names = "--admin-token-file",
      defaultValue = "/var/lib/tessera/server/admin.token",
      paramLabel = "FILE",
      description =
          "The server's admin token (serve's --admin-token-file; default ${DEFAULT-VALUE}).")
  java.nio.file.Path adminTokenFile;

  /** A status answer is a few hundred bytes per node; far more than any inventory needs. */
  static final int MAX_STATUS_BYTES = 64 << 20;

  @Override
  public Integer call() throws Exception {
    String scheme = serverCert != null ? "https://" : "http://";
    URI uri = URI.create((server.startsWith("http") ? server : scheme + server) + "/v1/status");
    String body;
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3));
    if (serverCert != null) {
      try {
        builder.sslContext(dev.tessera.bundle.TlsIdentity.trusting(serverCert));
      } catch (IOException e) {
        throw new UserError(e.getMessage());
      }
    }
    String token;
    try {
      token = java.nio.file.Files.readString(adminTokenFile).strip();
    } catch (IOException e) {
      throw new UserError(
          "status needs the server's admin token: cannot read "
              + adminTokenFile
              + " (--admin-token-file)");
    }
    try (HttpClient http = builder.build()) {
      HttpResponse<java.io.InputStream> resp =
          http.send(
              HttpRequest.newBuilder(uri)
                  .timeout(Duration.ofSeconds(10))
                  .header("Authorization", "Bearer " + token)
                  .build(),
              HttpResponse.BodyHandlers.ofInputStream());
      byte[] bytes;
      try (java.io.InputStream in = resp.body()) {
        bytes = in.readNBytes(MAX_STATUS_BYTES + 1);
      }
      if (bytes.length > MAX_STATUS_BYTES) {
        throw new UserError(
            "the server's status answer is larger than " + MAX_STATUS_BYTES + " bytes");
      }
      if (resp.statusCode() == 401) {
        throw new UserError(
            "server answered 401: the admin token in " + adminTokenFile + " is not the server's");
      }
      if (resp.statusCode() != 200) {
        throw new UserError("server answered " + resp.statusCode());
      }
      body = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UserError("cannot reach the policy server at " + uri + ": " + e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(body);
      return PolicyC.OK;
    }
    JsonNode s = new ObjectMapper().readTree(body);
    out.printf(
        "revision  %s (%d nodes, compiled in %d ms at %s)%n",
        s.path("revision").asText(),
        s.path("nodes").asInt(),
        s.path("lastCompileMillis").asLong(),
        Instant.ofEpochMilli(s.path("compiledAt").asLong()));
    if (s.has("lastError")) {
      JsonNode e = s.path("lastError");
      out.printf(
          "REFUSED   %s at %s; still serving the revision above:%n%s%n",
          e.path("revision").asText(),
          Instant.ofEpochMilli(e.path("at").asLong()),
          e.path("message").asText().indent(2));
    }
    out.printf("%-28s %20s %20s %20s  %s%n", "node", "current", "served", "acked", "last check-in");
    for (Map.Entry<String, JsonNode> n : s.path("nodeStates").properties()) {
      JsonNode v = n.getValue();
      long checkIn = v.path("lastCheckIn").asLong();
      out.printf(
          "%-28s %20d %20d %20d  %s%s%n",
          n.getKey(),
          v.path("currentVersion").asLong(),
          v.path("servedVersion").asLong(),
          v.path("ackedVersion").asLong(),
          checkIn == 0 ? "never" : Instant.ofEpochMilli(checkIn).toString(),
          v.path("ackedVersion").asLong() < v.path("currentVersion").asLong() ? "  (behind)" : "");
    }
    return PolicyC.OK;
  }
}
