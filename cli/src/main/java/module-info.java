/**
 * The {@code policyc} and {@code tessera-agent} commands (picocli): {@link dev.tessera.cli.PolicyC}
 * and {@link dev.tessera.cli.TesseraAgent} are the entry points. Picocli builds the command tree by
 * reflection, and Jackson writes the commands' JSON output, so both get reflective access.
 */
module dev.tessera.cli {
  requires dev.tessera.agent;
  requires dev.tessera.policytests;
  requires dev.tessera.server;
  requires com.fasterxml.jackson.databind;
  requires transitive info.picocli;
  requires java.net.http;
  requires org.eclipse.jgit;

  exports dev.tessera.cli;

  opens dev.tessera.cli to
      info.picocli,
      com.fasterxml.jackson.databind;
}
