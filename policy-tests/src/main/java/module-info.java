/**
 * {@code policyc test} and {@code policyc explain}: a policy's tests and single flows, evaluated by
 * the enforcer's {@code Matcher} on the compiled filters, with JUnit XML, JSON and coverage
 * reports.
 */
module dev.tessera.policytests {
  requires transitive dev.tessera.compiler;
  requires com.fasterxml.jackson.databind;
  requires com.fasterxml.jackson.dataformat.yaml;
  requires java.xml;

  exports dev.tessera.policytests;
}
