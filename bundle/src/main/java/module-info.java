/** Signed per-node bundles, node authentication and the policy server's transport identity. */
module dev.tessera.bundle {
  requires transitive dev.tessera.enforcer;
  requires java.net.http;
  requires org.bouncycastle.provider;
  requires org.bouncycastle.pkix;

  exports dev.tessera.bundle;
}
