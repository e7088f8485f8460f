/**
 * JMH benchmarks, the synthetic workloads they measure and the load drivers. The jar runs from the
 * class path ({@code org.openjdk.jmh.Main} or a benchmark's own main). Some benchmarks measure
 * internals of the agent and the enforcer that are no module's API; the build exports those
 * packages to this module alone with {@code --add-exports} (see the pom), so the modules' own
 * descriptors stay as they are.
 */
module dev.tessera.bench {
  requires dev.tessera.agent;
  requires dev.tessera.bundle;
  requires dev.tessera.cli;
  requires dev.tessera.compiler;
  requires dev.tessera.enforcer;
  requires dev.tessera.policy;
  requires dev.tessera.policytests;
  requires dev.tessera.registry;
  requires dev.tessera.server;
  requires dev.tessera.testsupport;
  requires com.fasterxml.jackson.databind;
  requires io.netty.buffer;
  requires io.netty.codec.http;
  requires io.netty.common;
  requires io.netty.transport;
  requires io.netty.transport.classes.epoll;
  requires java.management;
  requires java.net.http;
  requires jdk.management;
  requires jmh.core;
  requires org.bouncycastle.provider;
}
