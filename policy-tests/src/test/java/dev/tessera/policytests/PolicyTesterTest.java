package dev.tessera.policytests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.Policy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * End to end on the repository's examples, with the real compiler and the enforcer's Matcher:
 * acme's tests pass; the failing example fails with exactly the committed output.
 */
class PolicyTesterTest {

  /** The repository root (tests run in policy-tests/). */
  static Path root() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("examples"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException(
          "cannot find the repository root from " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  static Policy policy(Path file) {
    PolicyResult r = Policies.read(file);
    assertThat(r.errors()).as("policy errors in " + file).isEmpty();
    return r.policy().orElseThrow();
  }

  /**
   * Reads a repository file, naming it by its repository-relative path as the CLI run from the root
   * would.
   */
  static Policy repoPolicy(String relative) throws IOException {
    String text = Files.readString(root().resolve(relative));
    PolicyResult r = Policies.read(relative, text, Syntax.forFileName(relative).orElseThrow());
    assertThat(r.errors()).as("policy errors in " + relative).isEmpty();
    return r.policy().orElseThrow();
  }

  static Inventory inventory(Path file) {
    PolicyTestInputs.Read<Inventory> r = PolicyTestInputs.readInventory(file);
    assertThat(r.diagnostics()).as("inventory diagnostics in " + file).isEmpty();
    return r.value().orElseThrow();
  }

  static TestRun run(Policy p, String name, Optional<Inventory> inv, List<TestSpec> extra) {
    PolicyTester.Result r =
        PolicyTester.run(new PolicyTester.Input(p, name, inv, extra), PolicyTestInputs.compiler());
    assertThat(r).isInstanceOf(PolicyTester.Result.Ran.class);
    return ((PolicyTester.Result.Ran) r).run();
  }

  @Test
  void acmeTestsPassWithItsInventory() {
    Path dir = root().resolve("examples/acme");
    TestRun run =
        run(
            policy(dir.resolve("policy.hujson")),
            "policy.hujson",
            Optional.of(inventory(dir.resolve("inventory.yaml"))),
            List.of());
    assertThat(HumanReport.render(run, false, false)).as("acme report").startsWith("PASS ");
    assertThat(run.outcomes()).hasSizeGreaterThan(10).allMatch(Outcome::passed);
  }

  @Test
  void failingExampleMatchesItsGoldenOutput() throws IOException {
    Path root = root();
    Path dir = root.resolve("examples/failing");
    String policyName = "examples/failing/policy.hujson";
    Policy p = repoPolicy(policyName);
    String extraName = "examples/failing/extra-tests.yaml";
    TestFileReader.Result extra =
        TestFileReader.read(extraName, Files.readString(root.resolve(extraName)));
    assertThat(extra.problems()).isEmpty();
    TestRun run =
        run(p, policyName, Optional.of(inventory(dir.resolve("inventory.yaml"))), extra.tests());
    String actual = HumanReport.render(run, false, true);
    Golden.check(dir.resolve("expected-output.txt"), actual);
    assertThat(run.allPassed()).isFalse();
  }
}
