package dev.tessera.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.testsupport.Once;
import dev.tessera.testsupport.PostgresCluster;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two servers' {@link Cluster}s on one real PostgreSQL database (a throwaway initdb cluster, one
 * fresh database per test): a store is one transaction, fenced by the term.
 */
class ClusterTest {
  private static final Once START = new Once();
  private static PostgresCluster cluster;
  private static final AtomicInteger DATABASES = new AtomicInteger();

  @BeforeEach
  void startCluster() throws Exception {
    PostgresCluster.requireInstalled();
    START.run(() -> cluster = PostgresCluster.start());
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  static String freshUrl() throws Exception {
    String name = "cluster_" + DATABASES.incrementAndGet();
    try (Database admin = Database.open(cluster.url("postgres"));
        Connection c = admin.dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    return cluster.url(name);
  }

  static Cluster.Stored served(String node, long version) {
    return new Cluster.Stored(
        node, version, "h" + version, "r1", "bundle".getBytes(StandardCharsets.UTF_8), 1_000L);
  }

  @Test
  void aServerThatLostTheLockWithoutNoticingStoresNothing() throws Exception {
    String url = freshUrl();
    try (Database da = Database.open(url);
        Database db = Database.open(url);
        Cluster a = new Cluster(da);
        Cluster b = new Cluster(db)) {
      assertThat(a.tryLead()).isTrue();
      assertThat(b.tryLead()).isFalse();
      assertThat(a.store(List.of(served("n1", 1)))).isEqualTo(1);

      // a's session ends on the database's side (a network cut, say): the lock is released, and a
      // has not noticed yet. (The timeout makes the call wait until the backend is gone, and with
      // it the lock; without one it only signals, and the lock may still be held just after.)
      try (Connection c = db.dataSource().getConnection();
          Statement s = c.createStatement()) {
        s.execute(
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_locks"
                + " WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()");
      }
      assertThat(b.tryLead()).isTrue();
      assertThat(b.term()).isGreaterThan(a.term());
      assertThat(a.leading()).isTrue();

      assertThatThrownBy(() -> a.store(List.of(served("n1", 2), served("n2", 1))))
          .isInstanceOf(RegistryException.class)
          .hasMessageContaining("no longer holds the compile lock");
      assertThat(a.leading()).isFalse();
      assertThatThrownBy(() -> a.reserve(Map.of("n1", new Cluster.Version(9, "h9"))))
          .hasMessageContaining("no longer holds the compile lock");

      Cluster.Changes seen = b.since(0);
      assertThat(seen.generation()).isEqualTo(1);
      assertThat(seen.bundles()).extracting(Cluster.Stored::node).containsExactly("n1");
      assertThat(seen.bundles().getFirst().version()).isEqualTo(1);
      assertThat(b.versions()).isEmpty();
    }
  }

  @Test
  void aStoreThatFailsPartWayWritesNothingAndTheNextOneSucceeds() throws Exception {
    String url = freshUrl();
    try (Database d = Database.open(url);
        Cluster a = new Cluster(d)) {
      assertThat(a.tryLead()).isTrue();
      assertThat(a.store(List.of(served("n1", 1)))).isEqualTo(1);

      // The generation is raised first; the second row breaks a NOT NULL column.
      Cluster.Stored broken = new Cluster.Stored("n3", 1, null, "r1", null, 0);
      assertThatThrownBy(() -> a.store(List.of(served("n2", 1), broken)))
          .isInstanceOf(RegistryException.class)
          .hasMessageContaining("storing bundles");
      Cluster.Changes seen = a.since(0);
      assertThat(seen.generation()).isEqualTo(1);
      assertThat(seen.bundles()).extracting(Cluster.Stored::node).containsExactly("n1");

      assertThat(a.leading()).isTrue();
      assertThat(a.store(List.of(served("n2", 1)))).isEqualTo(2);
      assertThat(a.since(1).bundles()).extracting(Cluster.Stored::node).containsExactly("n2");
      try (Connection c = d.dataSource().getConnection()) {
        assertThat(c.getAutoCommit()).isTrue();
      }
    }
  }

  @Test
  void thePolicyIsStoredWithTheBundlesInTheSameFencedTransaction() throws Exception {
    String url = freshUrl();
    try (Database da = Database.open(url);
        Database db = Database.open(url);
        Cluster a = new Cluster(da);
        Cluster b = new Cluster(db)) {
      assertThat(a.policy()).as("nothing stored yet").isEmpty();
      assertThat(a.tryLead()).isTrue();
      long termOfA = a.term();
      Cluster.Policy first = Cluster.Policy.of("policy.hujson", "{\"acls\": []}");
      assertThat(first.sha256())
          .as("SHA-256 of the text, as sha256sum prints it")
          .isEqualTo("1b8c553ce101d752c20b3b3ae6e74a3fd56276c663be94385c671c86185ac3bb");
      assertThat(a.store(List.of(served("n1", 1)), first)).isEqualTo(1);
      Cluster.Changes seen = b.since(0);
      assertThat(seen.policy()).contains(first);
      assertThat(seen.bundles()).extracting(Cluster.Stored::node).containsExactly("n1");

      // Bundles stored without a policy leave it as it was; a reader past its generation is not
      // given it again.
      assertThat(a.store(List.of(served("n1", 2)))).isEqualTo(2);
      assertThat(b.since(1).policy()).isEmpty();
      assertThat(b.policy()).contains(first);

      // A policy edit that changed no bundle: stored alone.
      Cluster.Policy second = Cluster.Policy.of("policy.hujson", "{\"acls\": [], \"hosts\": {}}");
      assertThat(a.store(List.of(), second)).isEqualTo(3);
      seen = b.since(2);
      assertThat(seen.bundles()).isEmpty();
      assertThat(seen.policy()).contains(second);

      // A store whose policy cannot be written (PostgreSQL refuses a NUL in text) writes none of
      // its bundles either.
      assertThatThrownBy(
              () -> a.store(List.of(served("n2", 1)), Cluster.Policy.of("policy.hujson", "{\0}")))
          .isInstanceOf(RegistryException.class)
          .hasMessageContaining("storing bundles");
      seen = b.since(0);
      assertThat(seen.generation()).isEqualTo(3);
      assertThat(seen.bundles()).extracting(Cluster.Stored::node).containsExactly("n1");
      assertThat(b.policy()).contains(second);

      // A server that lost the lock stores no policy.
      try (Connection c = db.dataSource().getConnection();
          Statement s = c.createStatement()) {
        s.execute(
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_locks"
                + " WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()");
      }
      assertThat(b.tryLead()).isTrue();
      assertThatThrownBy(() -> a.store(List.of(), Cluster.Policy.of("mine.hujson", "{}")))
          .hasMessageContaining("no longer holds the compile lock");
      assertThat(b.policy()).contains(second);
      try (Connection c = db.dataSource().getConnection();
          Statement s = c.createStatement();
          java.sql.ResultSet rs = s.executeQuery("SELECT term FROM cluster_policy")) {
        rs.next();
        assertThat(rs.getLong(1)).as("the term of the server that stored it").isEqualTo(termOfA);
      }
    }
  }
}
