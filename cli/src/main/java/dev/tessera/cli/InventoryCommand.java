package dev.tessera.cli;

import dev.tessera.registry.Registry;
import dev.tessera.registry.RegistryException;
import dev.tessera.server.control.RegistryInventory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code policyc inventory}: the live registry as the compiler's inventory file. */
@Command(
    name = "inventory",
    mixinStandardHelpOptions = true,
    description = {
      "Export the control plane's registry as an inventory file.",
      "test, explain, matrix and diff then run offline against the live tailnet."
    },
    subcommands = {InventoryCommand.Export.class})
final class InventoryCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return PolicyC.USAGE;
  }

  @Command(
      name = "export",
      mixinStandardHelpOptions = true,
      description = {
        "Write the registry's live nodes (keys not expired) in the inventory format.",
        "Only approved routes are routes; each node's key is its WireGuard public key."
      })
  static final class Export extends NodesCommand.DbOption implements Callable<Integer> {
    @Option(
        names = {"-o", "--out"},
        paramLabel = "FILE",
        description = "Write here instead of stdout.")
    Path out;

    @Override
    public Integer call() {
      String text;
      try (Registry r = open()) {
        text = RegistryInventory.exportJson(r.nodes(), Instant.now());
      } catch (RegistryException e) {
        throw NodesCommand.failure(e);
      }
      if (out == null) {
        out().print(text);
        return PolicyC.OK;
      }
      try {
        Files.writeString(out, text);
      } catch (IOException e) {
        throw new UserError("cannot write " + out + ": " + e.getMessage(), PolicyC.USAGE);
      }
      return PolicyC.OK;
    }
  }
}
