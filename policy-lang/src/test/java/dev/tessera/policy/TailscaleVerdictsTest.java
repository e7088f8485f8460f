package dev.tessera.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.tessera.testsupport.Conformance;
import dev.tessera.testsupport.RequiresConformance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Conformance with Tailscale's own verdicts: every policy Tailscale accepted must read without
 * errors here, and every policy it rejected must get at least one error. Prints the agreement rate.
 * The only deviations allowed are listed in {@link #NEEDS_TAILNET}: checks that depend on the
 * tailnet's verified domains, which a policy file alone cannot tell.
 *
 * <p>The data are headscale's captures of Tailscale's control plane ({@code
 * hscontrol/policy/v2/testdata/*_results/*.hujson} of github.com/juanfont/headscale, BSD 3-Clause):
 * each holds {@code input.full_policy}, {@code input.api_response_code} and {@code
 * input.api_response_body.message}. They come from the project's conformance data ({@link
 * Conformance#headscale}; without it the test skips, and fails under {@code
 * TESSERA_REQUIRE_ALL=1}). Verdicts: HTTP 200 is accepted; a 400 whose message says the tests
 * failed is a valid policy whose tests fail ({@code policyc test}'s concern, so the reader must
 * accept it); any other 400 is rejected.
 */
class TailscaleVerdictsTest {
  /**
   * Rejected because a domain in user:*@domain / localpart is not the tailnet's (not knowable
   * offline).
   */
  private static final Set<String> NEEDS_TAILNET =
      Set.of(
          "ssh_results/ssh-b4.hujson",
          "ssh_results/ssh-d1.hujson",
          "ssh_results/ssh-e1.hujson",
          "ssh_results/ssh-e2.hujson",
          "ssh_results/ssh-malformed-user-localpart-multi-glob.hujson");

  private static final JsonMapper HUJSON =
      JsonMapper.builder()
          .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS, JsonReadFeature.ALLOW_TRAILING_COMMA)
          .build();

  @Test
  @RequiresConformance
  void readerAgreesWithTailscale() throws IOException {
    Optional<Path> dir = Optional.of(Conformance.headscale());
    List<Path> files;
    try (Stream<Path> s = Files.walk(dir.get(), 2)) {
      files = s.filter(p -> p.toString().endsWith(".hujson")).sorted().toList();
    }
    List<String> disagreements = new ArrayList<>();
    int total = 0;
    int agree = 0;
    for (Path file : files) {
      JsonNode input = HUJSON.readTree(Files.readString(file)).path("input");
      JsonNode fullPolicy = input.path("full_policy");
      if (fullPolicy.isMissingNode() || fullPolicy.isNull()) {
        continue;
      }
      String source = dir.get().relativize(file).toString();
      String policy = fullPolicy.isTextual() ? fullPolicy.asText() : fullPolicy.toString();
      int code = input.path("api_response_code").asInt(200);
      String message = input.path("api_response_body").path("message").asText("");
      boolean rejected = code != 200 && !(message.contains("test") && message.contains("failed"));
      PolicyResult r = Policies.read(source, policy, Syntax.HUJSON);
      total++;
      if (r.ok() != rejected) {
        agree++;
      } else if (!NEEDS_TAILNET.contains(source)) {
        disagreements.add(
            source
                + ": Tailscale "
                + (rejected ? "rejected: " + message : "accepted")
                + ", Tessera "
                + (r.ok() ? "accepted" : r.errors()));
      }
    }
    System.out.printf(
        "Tailscale verdict agreement: %d/%d (%.1f%%), %d known deviations (tailnet domains)%n",
        agree, total, 100.0 * agree / total, total - agree - disagreements.size());
    Conformance.recordRate("verdicts", agree, total);
    assertThat(total).isGreaterThan(800);
    assertThat(disagreements).isEmpty();
    assertThat(total - agree).isEqualTo(NEEDS_TAILNET.size());
  }
}
