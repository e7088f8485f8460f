package dev.tessera.server;

import dev.tessera.registry.Database;
import dev.tessera.testsupport.Once;
import dev.tessera.testsupport.PostgresCluster;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;

/**
 * {@link RegistryServerTest} on a real PostgreSQL: a throwaway cluster made with initdb, on a Unix
 * socket, one fresh database per test.
 */
class PostgresRegistryServerTest extends RegistryServerTest {
  private static final Once START = new Once();
  private static PostgresCluster cluster;
  private static final AtomicInteger DATABASES = new AtomicInteger();

  @Override
  String databaseUrl() throws Exception {
    PostgresCluster.requireInstalled();
    START.run(() -> cluster = PostgresCluster.start());
    String name = "serve_" + DATABASES.incrementAndGet();
    try (Database admin = Database.open(cluster.url("postgres"));
        Connection c = admin.dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    return cluster.url(name);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }
}
