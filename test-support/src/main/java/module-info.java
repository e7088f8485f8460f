/**
 * Test-only support: the tool list check, per-method skips with reasons, the conformance data and
 * the seeds of randomized tests. Other modules' tests read it from the class path.
 */
module dev.tessera.testsupport {
  requires transitive org.junit.jupiter.api;

  exports dev.tessera.testsupport;
}
