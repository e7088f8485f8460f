package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.registry.AuthKey;
import dev.tessera.registry.Cluster;
import dev.tessera.registry.Database;
import dev.tessera.registry.Registry;
import dev.tessera.testsupport.PostgresCluster;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code authkey create --tags} and {@code nodes tag} on a registry that holds a policy (a real
 * PostgreSQL cluster made by initdb, with a policy stored as the compiling server stores it): tags
 * are checked against that policy, {@code --policy} is optional, and a file given as well must
 * agree with it.
 */
class StoredPolicyTagCheckTest {
  /** The policy the servers decide with: admin owns tag:server. */
  static final String HELD =
      """
      {
        "tagOwners": {"tag:server": ["admin@example.com"], "tag:other": ["bob@example.com"]},
        "acls": [{"action": "accept", "src": ["admin@example.com"], "dst": ["tag:server:22"]}],
      }
      """;

  /** Another file: admin owns tag:other, not tag:server. */
  static final String FILE =
      """
      {
        "tagOwners": {"tag:server": ["bob@example.com"], "tag:other": ["admin@example.com"]},
        "acls": [{"action": "accept", "src": ["admin@example.com"], "dst": ["tag:other:22"]}],
      }
      """;

  @TempDir Path tmp;
  PostgresCluster pg;
  String url;
  String sha;

  record Result(int code, String out, String err) {}

  Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = PolicyC.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Result(code, out.toString(), err.toString());
  }

  @BeforeEach
  void start() throws Exception {
    PostgresCluster.requireInstalled();
    pg = PostgresCluster.start();
    url = pg.url();
    Files.writeString(tmp.resolve("other.hujson"), FILE);
    try (Database db = Database.open(url);
        Cluster holder = new Cluster(db)) {
      assertThat(holder.tryLead()).isTrue();
      Cluster.Policy p = Cluster.Policy.of("/etc/tessera/policy.hujson", HELD);
      holder.store(List.of(), p);
      sha = p.sha256();
    }
  }

  @AfterEach
  void stop() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  List<AuthKey> keys() throws Exception {
    try (Registry r = Registry.open(url)) {
      return r.authKeys();
    }
  }

  @Test
  void tagsAreCheckedAgainstThePolicyTheRegistryHolds() throws Exception {
    Result ok =
        run("authkey", "create", "--db", url, "--tags", "tag:server", "--as", "admin@example.com");
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(keys())
        .singleElement()
        .satisfies(k -> assertThat(k.tags()).containsExactly("tag:server"));

    // tag:other is admin's only in the file, which is not what the servers decide with.
    Result refused =
        run(
            "authkey",
            "create",
            "--db",
            url,
            "--tags",
            "tag:other",
            "--as",
            "admin@example.com",
            "--policy",
            tmp.resolve("other.hujson").toString());
    assertThat(refused.code()).isEqualTo(PolicyC.FAILED);
    assertThat(refused.err())
        .contains("tag-not-owned: admin@example.com does not own tag:other")
        .contains(
            "checked against the policy the registry holds, /etc/tessera/policy.hujson (sha256 "
                + sha
                + "), and --policy "
                + tmp.resolve("other.hujson"));
    assertThat(refused.out()).doesNotContain("tskey-");

    // tag:server is admin's under the registry's policy, not under the file given: they disagree.
    Result disagree =
        run(
            "authkey",
            "create",
            "--db",
            url,
            "--tags",
            "tag:server",
            "--as",
            "admin@example.com",
            "--policy",
            tmp.resolve("other.hujson").toString());
    assertThat(disagree.code()).isEqualTo(PolicyC.FAILED);
    assertThat(disagree.err())
        .contains("tag-not-owned: admin@example.com does not own tag:server")
        .contains("the two disagree");
    assertThat(keys()).hasSize(1);

    // nodes tag decides the same way (its tags are checked before the node is looked up).
    Result tag =
        run("nodes", "tag", "--db", url, "ghost", "tag:other", "--as", "admin@example.com");
    assertThat(tag.code()).isEqualTo(PolicyC.FAILED);
    assertThat(tag.err())
        .contains("tag-not-owned: admin@example.com does not own tag:other")
        .contains("checked against the policy the registry holds");
  }
}
