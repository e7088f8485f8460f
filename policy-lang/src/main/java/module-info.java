/**
 * Policy readers (HuJSON, YAML, {@code .tpol}) into one located AST, validation, diagnostics and
 * printers. The API is {@link dev.tessera.policy.Policies} with the AST, diagnostics and printers;
 * {@code syntax} holds the located JSON/YAML reader that the compiler and the policy tests share
 * and the {@code SyntaxReader} service that other syntaxes implement.
 */
module dev.tessera.policy {
  requires transitive dev.tessera.net;
  requires transitive com.fasterxml.jackson.core;
  requires transitive org.yaml.snakeyaml;
  requires com.fasterxml.jackson.databind;
  requires com.fasterxml.jackson.dataformat.yaml;
  requires org.antlr.antlr4.runtime;
  requires com.networknt.schema;

  exports dev.tessera.policy;
  exports dev.tessera.policy.ast;
  exports dev.tessera.policy.diag;
  exports dev.tessera.policy.print;
  exports dev.tessera.policy.syntax;

  uses dev.tessera.policy.syntax.SyntaxReader;

  provides dev.tessera.policy.syntax.SyntaxReader with
      dev.tessera.policy.syntax.tpol.TpolReader;
}
