/**
 * The userspace WireGuard agent: Noise IKpsk2 handshakes, ChaCha20-Poly1305 transport, TUN via FFM,
 * UDP via Netty, running the enforcer on every decrypted packet, and the client side of enrollment
 * and filter distribution. Its only client is the command line: it starts the agent ({@code
 * dev.tessera.agent}) and also reaches the configuration parser, keys, enrollment, distribution
 * settings, metrics and the UAPI server, so every package is exported to it alone.
 */
// The command line is built after this module: "not found" for it here is expected.
@SuppressWarnings("module")
module dev.tessera.agent {
  requires transitive dev.tessera.enforcer;
  requires transitive dev.tessera.bundle;
  requires ch.qos.logback.classic;
  requires ch.qos.logback.core;
  requires com.fasterxml.jackson.databind;
  requires io.netty.buffer;
  requires io.netty.common;
  requires io.netty.transport;
  requires io.netty.transport.classes.epoll;
  requires io.netty.transport.unix.common;
  requires io.prometheus.metrics.core;
  requires io.prometheus.metrics.exporter.httpserver;
  requires io.prometheus.metrics.model;
  requires java.net.http;
  requires jdk.unsupported;
  requires org.bouncycastle.provider;
  requires org.slf4j;

  exports dev.tessera.agent to
      dev.tessera.cli;
  exports dev.tessera.agent.config to
      dev.tessera.cli;
  exports dev.tessera.agent.crypto to
      dev.tessera.cli;
  exports dev.tessera.agent.distribution to
      dev.tessera.cli;
  exports dev.tessera.agent.enroll to
      dev.tessera.cli;
  exports dev.tessera.agent.metrics to
      dev.tessera.cli;
  exports dev.tessera.agent.uapi to
      dev.tessera.cli;

  opens dev.tessera.agent to
      com.fasterxml.jackson.databind;
}
