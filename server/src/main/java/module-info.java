/**
 * The policy server: compiles on change and serves each node its own signed bundle by long-poll,
 * with the control plane's enrollment API over the registry. {@code control} and {@code metrics}
 * are shared with the command line only.
 */
// The command line is built after this module: "not found" for it here is expected.
@SuppressWarnings("module")
module dev.tessera.server {
  requires transitive dev.tessera.compiler;
  requires transitive dev.tessera.bundle;
  requires transitive dev.tessera.registry;
  requires com.fasterxml.jackson.databind;
  requires io.netty.buffer;
  requires io.netty.codec;
  requires io.netty.codec.http;
  requires io.netty.common;
  requires io.netty.handler;
  requires io.netty.transport;
  requires io.netty.transport.classes.epoll;
  requires io.prometheus.metrics.core;
  requires io.prometheus.metrics.exporter.httpserver;
  requires io.prometheus.metrics.model;
  requires java.management;
  requires org.eclipse.jgit;
  requires org.slf4j;

  exports dev.tessera.server;
  exports dev.tessera.server.control to
      dev.tessera.cli;
  exports dev.tessera.server.metrics to
      dev.tessera.cli;

  opens dev.tessera.server to
      com.fasterxml.jackson.databind;
}
