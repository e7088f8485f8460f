package dev.tessera.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.testsupport.Once;
import dev.tessera.testsupport.PostgresCluster;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The registry contract on a real PostgreSQL: a throwaway cluster made with initdb, on a Unix
 * socket, one fresh database per test.
 */
class PostgresRegistryTest extends RegistryContract {
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

  @Override
  String freshUrl() throws Exception {
    String name = "registry_" + DATABASES.incrementAndGet();
    try (Database admin = Database.open(cluster.url("postgres"));
        Connection c = admin.dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    return cluster.url(name);
  }

  @Test
  void everyWriteNotifiesOtherServers() throws Exception {
    String url = freshUrl();
    try (Registry r = new Registry(Database.open(url), RegistryConfig.defaults(), clock);
        Database listener = Database.open(url);
        Connection c = listener.dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute("LISTEN " + Registry.CHANNEL);
      String key = userKey(r, false);
      r.enroll(enrollment(key, "a"), POLICY);
      PGConnection pg = c.unwrap(PGConnection.class);
      List<String> payloads = new java.util.ArrayList<>();
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (payloads.size() < 2 && System.nanoTime() < deadline) {
        PGNotification[] got = pg.getNotifications(500);
        if (got != null) {
          for (PGNotification n : got) {
            payloads.add(n.getParameter());
          }
        }
      }
      assertThat(payloads)
          .containsExactly(Long.toString(r.revision() - 1), Long.toString(r.revision()));
    }
  }
}
