package dev.tessera.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The README's CI recipes, run as written by {@code src/test/sh/ci-recipe.sh} in a throwaway
 * repository that holds only a policy file, with Tessera installed from the built archive: a good
 * policy passes, a broken one fails with an {@code <error>} in the JUnit report, an under-tested
 * one with a {@code <failure>}, and a pull request shows its access change.
 */
class RecipeTest {
  static final Path SCRIPT = Path.of("src/test/sh/ci-recipe.sh").toAbsolutePath();
  static final Path README = Path.of("..", "README.md").toAbsolutePath().normalize();

  @TempDir static Path policies;
  @TempDir Path work;

  @BeforeAll
  static void policies() throws Exception {
    for (String p : List.of("good", "changed", "broken", "undertested")) {
      Files.copy(
          RecipeTest.class.getResourceAsStream("/recipe/" + p + ".hujson"),
          policies.resolve(p + ".hujson"));
    }
  }

  Exec.Result recipe(Path readme, String recipe, String event, String base, String head)
      throws Exception {
    for (String tool : List.of("bash", "git", "tar", "curl", "sha256sum", "awk", "sed", "grep")) {
      Exec.require(tool);
    }
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "bash",
                SCRIPT.toString(),
                "--readme",
                readme.toString(),
                "--archive",
                Archive.FILE.toString(),
                "--java-home",
                Archive.JDK.toString(),
                "--work",
                work.toString(),
                "--recipe",
                recipe,
                "--event",
                event,
                "--base",
                policies.resolve(base + ".hujson").toString()));
    if (head != null) {
      cmd.addAll(List.of("--head", policies.resolve(head + ".hujson").toString()));
    }
    return Exec.run(
        cmd,
        Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "HOME", work.toString()),
        work,
        Duration.ofMinutes(5));
  }

  static Element junit(Path file) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    Document d = f.newDocumentBuilder().parse(file.toFile());
    return d.getDocumentElement();
  }

  @Test
  void githubPassesOnAGoodPolicy() throws Exception {
    Exec.Result r = recipe(README, "github", "push", "good", null);
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains(
            "step: Install policyc: ok",
            "step: Policy tests: ok",
            "step: Access changes: skipped",
            "PASS 1 test, 2 assertions: 2 passed, 0 failed; rule coverage 100.0% meets --min-coverage 80%");
    Element report = junit(work.resolve("workspace/build/policy-tests.xml"));
    assertThat(report.getAttribute("failures")).isEqualTo("0");
    assertThat(report.getAttribute("errors")).isEqualTo("0");
    assertThat(((Element) report.getElementsByTagName("testcase").item(0)).getAttribute("name"))
        .isEqualTo("accept alice@example.com -> tag:web:443");
  }

  @Test
  void githubFailsABrokenPolicyWithAnErrorInJunit() throws Exception {
    Exec.Result r = recipe(README, "github", "push", "broken", null);
    assertThat(r.code()).as(r.toString()).isEqualTo(1);
    assertThat(r.out())
        .contains(
            "FAIL 1 error in policy.hujson, no test was run\nstep: Policy tests: FAILED (exit 1)",
            "step: Test report: ok");
    Element report = junit(work.resolve("workspace/build/policy-tests.xml"));
    assertThat(report.getAttribute("errors")).isEqualTo("1");
    Element error = (Element) report.getElementsByTagName("error").item(0);
    assertThat(error.getAttribute("message"))
        .isEqualTo("group:engineering is not defined in \"groups\"");
    assertThat(((Element) error.getParentNode()).getAttribute("classname"))
        .isEqualTo("policy.hujson");
  }

  @Test
  void githubFailsACoverageShortfallWithAFailureInJunit() throws Exception {
    Exec.Result r = recipe(README, "github", "push", "undertested", null);
    assertThat(r.code()).as(r.toString()).isEqualTo(1);
    assertThat(r.out())
        .contains(
            "FAIL 1 test, 1 assertion: 1 passed, 0 failed; rule coverage 50.0% is below --min-coverage 80%\n"
                + "step: Policy tests: FAILED (exit 1)");
    Element report = junit(work.resolve("workspace/build/policy-tests.xml"));
    assertThat(report.getAttribute("failures")).isEqualTo("1");
    Element failure = (Element) report.getElementsByTagName("failure").item(0);
    assertThat(((Element) failure.getParentNode()).getAttribute("name"))
        .isEqualTo("rule coverage >= 80%");
    assertThat(failure.getTextContent()).contains("acls[1] at policy.hujson:7:");
  }

  @Test
  void githubPullRequestShowsTheAccessChange() throws Exception {
    Exec.Result r = recipe(README, "github", "pull_request", "good", "changed");
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.out()).contains("step: Access changes: ok");
    assertThat(Files.readString(work.resolve("runner/summary")))
        .contains(
            "alice@example.com",
            "tag:web",
            "**group:eng** gained `tcp/udp:22` on **tag:web**",
            "rule added: HEAD:policy.hujson:7 acls[1]");
  }

  /**
   * What the recipe says about fetch-depth: 0 holds: without it, the diff step cannot read
   * origin/main.
   */
  @Test
  void withoutFullHistoryTheDiffStepFails() throws Exception {
    String readme = Files.readString(README);
    String shallow =
        readme.replace(
            """
              - uses: actions/checkout@v4
                with:
                  fetch-depth: 0 # full history: the diff step reads the base branch, origin/main
        """,
            "      - uses: actions/checkout@v4\n");
    assertThat(shallow).as("the recipe's checkout step, as the test knows it").isNotEqualTo(readme);
    Path copy = work.resolve("README-shallow.md");
    Files.writeString(copy, shallow);
    Exec.Result r = recipe(copy, "github", "pull_request", "good", "changed");
    assertThat(r.code()).as(r.toString()).isEqualTo(1);
    assertThat(r.out()).contains("step: Access changes: FAILED");
    assertThat(r.err()).contains("unknown git revision \"origin/main\"");
  }

  @Test
  void gitlabAndPreCommitRunTheInstalledPolicyc() throws Exception {
    Exec.Result gitlab = recipe(README, "gitlab", "push", "broken", null);
    assertThat(gitlab.code()).as(gitlab.toString()).isEqualTo(1);
    assertThat(gitlab.out()).contains("step: install: ok", "step: script: FAILED (exit 1)");
    assertThat(junit(work.resolve("workspace/policy-tests.xml")).getAttribute("errors"))
        .isEqualTo("1");

    Exec.Result good = recipe(README, "gitlab", "push", "good", null);
    assertThat(good.code()).as(good.toString()).isZero();

    Exec.Result hook = recipe(README, "pre-commit", "push", "undertested", null);
    assertThat(hook.code()).as("no --min-coverage in the hook: the tests pass\n" + hook).isZero();
    Exec.Result brokenHook = recipe(README, "pre-commit", "push", "broken", null);
    assertThat(brokenHook.code()).as(brokenHook.toString()).isEqualTo(1);
    assertThat(brokenHook.out()).contains("step: hook: FAILED (exit 1)");
  }
}
