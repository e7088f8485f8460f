/**
 * The compiled-filter format and the one packet evaluator: {@code dev.tessera.enforcer} (Matcher,
 * Enforcer, Reachability, verdicts) and {@code dev.tessera.enforcer.format} (the compiled-filter
 * records and codecs). Packet parsing, rule tables and connection tracking stay inside.
 */
module dev.tessera.enforcer {
  requires transitive dev.tessera.net;
  requires com.fasterxml.jackson.core;

  exports dev.tessera.enforcer;
  exports dev.tessera.enforcer.format;
}
