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

  @Option(
      names = {"-o", "--out"},
      required = true,
      paramLabel = "FILE",
      description = "Private key file to create (never overwritten).")
  Path out;

  @Option(
      names = "--tls",
      paramLabel = "NAME",
      split = ",",
      description =
          "Also create a self-signed TLS certificate for these DNS names and IP addresses"
              + " (FILE.crt, FILE.tls-key) for `serve --tls-cert/--tls-key`; agents pin it with ServerCert.")
  java.util.List<String> tlsNames;

  @Override
  public Integer call() {
    try {
      Path parent = out.toAbsolutePath().getParent();
      if (parent != null) {
        dev.tessera.bundle.PrivateFiles.createDirectories(parent);
      }
      if (tlsNames != null && Files.exists(out.resolveSibling(out.getFileName() + ".crt"))) {
        throw new FileAlreadyExistsException(
            out.resolveSibling(out.getFileName() + ".crt").toString());
      }
      if (tlsNames != null && Files.exists(out)) {
        // An existing key gets its certificate added; the key itself is never touched.
        spec.commandLine().getOut().println(SigningKey.read(out).publicKeyBase64());
      } else {
        String pub = SigningKey.generate().write(out);
        Files.writeString(out.resolveSibling(out.getFileName() + ".pub"), pub + "\n");
        spec.commandLine().getOut().println(pub);
      }
      if (tlsNames != null) {
        Path crt = out.resolveSibling(out.getFileName() + ".crt");
        Path tlsKey = out.resolveSibling(out.getFileName() + ".tls-key");
        dev.tessera.bundle.TlsIdentity.generate(
            crt, tlsKey, tlsNames, java.time.Duration.ofDays(825));
        spec.commandLine()
            .getErr()
            .println("TLS certificate " + crt + " and key " + tlsKey + " for " + tlsNames);
      }
      return PolicyC.OK;
    } catch (FileAlreadyExistsException e) {
      throw new UserError(e.getFile() + " already exists; keygen never overwrites a key");
    } catch (IOException e) {
      throw new UserError("cannot write " + out + ": " + e.getMessage());
    }
  }
}
