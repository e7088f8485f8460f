package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.it.ControlPlaneIntegrationTest;
import dev.tessera.bundle.SigningKey;
import dev.tessera.registry.PolicyChecks;
import dev.tessera.registry.Registry;
import dev.tessera.server.PolicySource;
import dev.tessera.testsupport.PostgresCluster;
import dev.tessera.testsupport.RequiresRoot;
import dev.tessera.testsupport.RequiresTools;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * {@link ControlPlaneIntegrationTest}'s tailnet and steps against PostgreSQL: two {@code policyc
 * serve} processes on one database (a throwaway {@code initdb} cluster on a Unix socket), each with
 * a copy of the signing key, and four agents given both servers ({@code --server A,B}).
 *
 * <p>Between the exit-node step and the policy change, server A, which compiles and which every
 * agent polls, is killed with SIGKILL: the agents move to B at once, B takes over compiling, and
 * the later steps (a policy change and a node deletion on the live tunnels, a refused tag) go
 * through B alone; a fifth node then enrolls through B while A is still down, and no agent was ever
 * offered a bundle it refused (no rollback across servers).
 */
@RequiresRoot("creates network namespaces, a bridge and TUN devices")
@RequiresTools({"ip", "nc", "ping"})
class ControlPlanePostgresIntegrationTest extends ControlPlaneIntegrationTest {
  final SigningKey key = SigningKey.generate();
  PostgresCluster pg;
  ServeProcess first;
  ServeProcess second;
  final List<ServeProcess> servers = new ArrayList<>();

  @Override
  protected void requireInstalled() {
    PostgresCluster.requireInstalled();
  }

  @Override
  protected void startControlPlane() throws Exception {
    pg = PostgresCluster.start();
    registry = Registry.open(pg.url());
    // A first, alone, so that it is the one that compiles.
    first = serve("a");
    eventually("server a to compile", () -> role(first).equals("compiling"));
    second = serve("b");
    eventually("server b to serve", () -> role(second).equals("serving stored bundles"));
    url = first.base() + "," + second.base();
  }

  ServeProcess serve(String name) throws Exception {
    ServeProcess s =
        ServeProcess.start(
            name, lab.dir.resolve("serve-" + name), policyFile, key, pg.url(), under + "1");
    servers.add(s);
    lab.dumpOnClose("policyc serve " + name, s.log());
    return s;
  }

  static String role(ServeProcess s) throws Exception {
    return s.status().path("cluster").asText();
  }

  @Override
  protected void stopControlPlane() throws Exception {
    for (ServeProcess s : servers) {
      s.kill();
    }
    if (registry != null) {
      registry.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  /** Tag ownership as {@code policyc authkey create --policy} checks it, on the shared database. */
  @Override
  protected PolicyChecks.TagOwnership tagOwners() {
    return NodesCommand.tagOwners(policyFile, registry, new PrintWriter(System.err, true));
  }

  /**
   * Whether every live server that compiles has compiled the policy file as it is (the others take
   * their enrollment checks from the same poll of the file and show no revision of their own).
   */
  @Override
  protected boolean policyFileInForce() throws IOException {
    String revision = PolicySource.file(policyFile).read().revision() + "+";
    int compiling = 0;
    for (ServeProcess s : servers) {
      if (!s.process().isAlive()) {
        continue;
      }
      try {
        var st = s.status();
        if (st.path("cluster").asText().equals("compiling")) {
          compiling++;
          if (!st.path("revision").asText().startsWith(revision)) {
            return false;
          }
        }
      } catch (Exception e) {
        return false;
      }
    }
    return compiling > 0;
  }

  /** The server an agent polls, as its status says. */
  static String polledBy(Peer p) throws IOException {
    return p.agent().status().getOrDefault("bundle_server", "");
  }

  @Test
  @Order(35)
  void theServerEveryAgentPollsIsKilledAndTheAgentsContinueThroughTheOther() throws Exception {
    assertThat(role(first)).isEqualTo("compiling");
    List<Peer> all = List.of(laptop, web, db, exit);
    for (Peer p : all) {
      assertThat(polledBy(p)).as(p.name()).isEqualTo(first.base() + "/");
      assertThat(p.agent().status()).containsEntry("bundle_servers", url.replace(",", "/, ") + "/");
    }

    first.kill();

    for (Peer p : all) {
      eventually(p.name() + " to poll b", () -> polledBy(p).equals(second.base() + "/"));
      assertThat(p.agent().logText())
          .contains("policy server " + first.base() + "/: ")
          .contains("; trying " + second.base() + "/");
    }
    eventually("server b to compile", () -> role(second).equals("compiling"));
    // The tunnels never depended on the server: traffic flows as before.
    assertThat(tcp(laptop, web, 80)).isTrue();
    assertThat(tcp(web, db, 5432)).isTrue();
    assertThat(tcp(web, db, 80)).as("web -> db:80").isFalse();
  }

  @Test
  @Order(70)
  void aNodeEnrollsThroughTheSurvivorAndJoinsTheLiveTailnet() throws Exception {
    assertThat(first.process().isAlive()).isFalse();
    Peer db2 = join("n", onBridge("db2", 14), "db2", List.of("tag:server"));
    assertThat(db2.agent().logText())
        .contains("cannot reach " + first.base() + "/")
        .contains("enrolled at " + second.base() + "/ as db2");
    lab.spawn(db2.ns(), lab.dir.resolve("db2-5432.log"), "nc", "-lk", "5432");
    // The policy in force lets the servers reach each other on every port.
    eventually("web reaches db2", () -> tcp(web, db2, 5432));
    assertThat(tcp(db2, web, 22)).isTrue();
    assertThat(tcp(laptop, db2, 5432)).as("laptop -> db2:5432").isFalse();
    for (Peer p : List.of(laptop, web, exit, db2)) {
      assertThat(polledBy(p)).as(p.name()).isEqualTo(second.base() + "/");
      assertThat(p.agent().status())
          .as("%s was offered no bundle it refused (a rollback would be)", p.name())
          .containsEntry("bundle_refused", "0");
    }
  }
}
