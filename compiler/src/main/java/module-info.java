/**
 * The policy compiler: {@link dev.tessera.compiler.Compiler} turns a policy and an inventory into
 * one compiled filter per node; {@code ir} is its resolved-rule form (over {@code ipset}'s address
 * and port sets), {@code inventory} the node model, {@code emit} the output writers, and {@code
 * matrix}, {@code diff} and {@code lint} the audit models. The passes are shared only with the
 * policy tests and the policy server.
 */
// The modules the passes are shared with are built after this one: "not found" here is expected.
@SuppressWarnings("module")
module dev.tessera.compiler {
  requires transitive dev.tessera.policy;
  requires transitive dev.tessera.enforcer;
  requires com.fasterxml.jackson.databind;
  requires com.fasterxml.jackson.dataformat.yaml;

  exports dev.tessera.compiler;
  exports dev.tessera.compiler.diff;
  exports dev.tessera.compiler.emit;
  exports dev.tessera.compiler.inventory;
  exports dev.tessera.compiler.ipset;
  exports dev.tessera.compiler.ir;
  exports dev.tessera.compiler.lint;
  exports dev.tessera.compiler.matrix;
  exports dev.tessera.compiler.pass to
      dev.tessera.policytests,
      dev.tessera.server;
}
