package dev.tessera.compiler.matrix;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.policy.ast.Policy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Test fixtures: examples/acme compiled, and golden-file comparison. */
public final class Acme {
  /** examples/ from the compiler module's directory (Maven runs tests there). */
  public static final Path EXAMPLES = Path.of("..", "examples").toAbsolutePath().normalize();

  private Acme() {}

  /**
   * A fixed provenance, so golden files show one without depending on the inputs' bytes or the
   * clock.
   */
  public static final Provenance PROVENANCE =
      new Provenance(
          "policyc",
          "test",
          List.of(
              new Provenance.Input(
                  "policy",
                  "policy.hujson",
                  Provenance.sha256("policy"),
                  "3f2a1c09b7e54d6a8f0e1d2c3b4a5968778695a4"),
              new Provenance.Input(
                  "inventory", "inventory.yaml", Provenance.sha256("inventory"), "")),
          java.time.Instant.parse("2026-01-02T03:04:05Z"));

  public static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A compiled policy: its index and network. */
  public record Compiled(PolicyIndex index, Inventory inventory, CompiledNetwork network) {
    public AccessMatrix matrix() {
      return new MatrixBuilder(network).build("policy.hujson on inventory.yaml", List.of());
    }
  }

  private static Compiled acme;

  /** examples/acme, compiled once per test JVM. */
  public static synchronized Compiled acme() {
    if (acme == null) {
      acme = load();
    }
    return acme;
  }

  private static Compiled load() {
    return compile(
        "policy.hujson",
        read(EXAMPLES.resolve("acme/policy.hujson")),
        read(EXAMPLES.resolve("acme/inventory.yaml")));
  }

  /** Compiles policy text on an inventory text (null: synthesized), failing the test on errors. */
  public static Compiled compile(String name, String policyText, String inventoryText) {
    AuditLoader l = new AuditLoader();
    Policy p = l.policy(name, policyText).orElse(null);
    assertThat(p).as("policy %s:%n%s", name, l.renderDiagnostics()).isNotNull();
    Inventory inv =
        inventoryText == null
            ? SyntheticInventory.from(p)
            : l.inventory("inventory.yaml", inventoryText).orElse(null);
    assertThat(inv).as("inventory:%n%s", l.renderDiagnostics()).isNotNull();
    PolicyIndex idx = PolicyIndex.of(p, name);
    CompiledNetwork net = l.compile(idx, inv, inventoryText == null).orElse(null);
    assertThat(net).as("compile %s:%n%s", name, l.renderDiagnostics()).isNotNull();
    return new Compiled(idx, inv, net);
  }

  /**
   * Compares {@code actual} with the golden file {@code src/test/resources/<rel>}; with {@code
   * -Dgolden.update=true} rewrites the file instead.
   */
  public static void golden(String rel, String actual) {
    Path file = Path.of("src", "test", "resources").resolve(rel);
    if (Boolean.getBoolean("golden.update")) {
      try {
        Files.createDirectories(file.getParent());
        Files.writeString(file, actual, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return;
    }
    assertThat(file).as("golden file %s missing: run with -Dgolden.update=true", file).exists();
    assertThat(actual)
        .as(
            "%s differs from the golden file (refresh with -Dgolden.update=true and review the diff)",
            rel)
        .isEqualTo(read(file));
  }
}
