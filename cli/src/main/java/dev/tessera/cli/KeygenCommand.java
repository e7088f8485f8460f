package dev.tessera.cli;

import dev.tessera.bundle.SigningKey;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code policyc keygen}: the policy server's Ed25519 signing key pair. */
@Command(
    name = "keygen",
    mixinStandardHelpOptions = true,
    description = {
      "Create the policy server's Ed25519 signing key.",
      "Writes the private key (mode 0600) to --out and the public key to --out.pub, and prints the",
      "public key: put it in each agent's [Tessera] ServerKey."
    })
final class KeygenCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "Private key file to create (never overwritten).")
  Path out;

  @Override
  public Integer call() {
    try {
      Path parent = out.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      String pub = SigningKey.generate().write(out);
      Files.writeString(out.resolveSibling(out.getFileName() + ".pub"), pub + "\n");
      spec.commandLine().getOut().println(pub);
      return PolicyC.OK;
    } catch (FileAlreadyExistsException e) {
      throw new UserError(out + " already exists; keygen never overwrites a key");
    } catch (IOException e) {
      throw new UserError("cannot write " + out + ": " + e.getMessage());
    }
  }
}
