package dev.tessera.compiler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.emit.OutputFormat;
import dev.tessera.compiler.emit.OutputWriter;
import dev.tessera.compiler.emit.TailscaleJson;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryReader;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterJson;
import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.Diagnostics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Golden output for examples/acme in both formats: the Tailscale FilterRule JSON of every node, and
 * the tessera format as the enforcer's JSON view of every filter plus index.json (whose SHA-256s
 * pin the binary encoding). Refresh with {@code -Dgolden.update=true} and review the diff.
 */
class AcmeGoldenTest {
  static final Path ACME =
      Path.of("..", "examples", "acme"); // relative: origins in the golden file name it so
  static final Path GOLDEN = Path.of("src", "test", "resources", "golden");

  @ParameterizedTest
  @EnumSource(OutputFormat.class)
  void acmeCompilesToTheGoldenOutput(OutputFormat format) throws IOException {
    PolicyResult pr = Policies.read(ACME.resolve("policy.hujson"));
    assertThat(pr.errors()).isEmpty();
    Diagnostics d = new Diagnostics();
    Path invFile = ACME.resolve("inventory.yaml");
    Inventory inv = InventoryReader.read(invFile.toString(), Files.readString(invFile), d);
    assertThat(d.sorted()).filteredOn(Diagnostic::isError).isEmpty();
    Compilation c = Compiler.compile(pr.policy().orElseThrow(), inv);
    assertThat(c.diagnostics()).filteredOn(Diagnostic::isError).isEmpty();

    StringBuilder sb = new StringBuilder();
    Map<String, byte[]> files = OutputWriter.render(c, format);
    for (Map.Entry<String, CompiledFilter> e : c.filters().entrySet()) {
      sb.append("== ").append(e.getKey()).append(" ==\n");
      sb.append(
          switch (format) {
            case TAILSCALE -> TailscaleJson.write(e.getValue());
            case TESSERA -> FilterJson.write(e.getValue()) + "\n";
          });
    }
    sb.append("== index.json ==\n")
        .append(new String(files.get("index.json"), StandardCharsets.UTF_8));
    Path golden =
        GOLDEN.resolve("acme." + format.name().toLowerCase(java.util.Locale.ROOT) + ".txt");
    if (Boolean.getBoolean("golden.update")) {
      Files.createDirectories(golden.getParent());
      Files.writeString(golden, sb.toString());
    }
    assertThat(golden)
        .as("golden file missing: create it with -Dgolden.update=true and review it")
        .exists();
    assertThat(sb.toString())
        .as(
            "%s differs from the golden file (refresh with -Dgolden.update=true and review)",
            golden)
        .isEqualTo(Files.readString(golden));
  }
}
