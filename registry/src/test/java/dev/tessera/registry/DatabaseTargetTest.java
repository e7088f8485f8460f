package dev.tessera.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How the one {@code --db} string names a database. */
class DatabaseTargetTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "postgresql://alice:s3cret@db.example:5433/tessera?sslmode=require | jdbc:postgresql://db.example:5433/tessera | alice | s3cret | | postgresql://alice@db.example:5433/tessera",
        "postgres://db.example/tessera | jdbc:postgresql://db.example:5432/tessera | | | | postgresql://db.example:5432/tessera",
        "postgresql://tessera@/reg?host=/run/postgresql&port=6000 | jdbc:postgresql://localhost:6000/reg | tessera | | /run/postgresql/.s.PGSQL.6000 | postgresql://tessera@/reg?host=/run/postgresql&port=6000",
        "postgresql:///reg?host=/tmp/pg | jdbc:postgresql://localhost:5432/reg | | | /tmp/pg/.s.PGSQL.5432 | postgresql:///reg?host=/tmp/pg&port=5432",
        "postgresql://[2001:db8::1]:5432/x | jdbc:postgresql://[2001:db8::1]:5432/x | | | | postgresql://[2001:db8::1]:5432/x",
      })
  void postgresUrls(
      String url, String jdbc, String user, String password, String socket, String display)
      throws Exception {
    Database.Target t = Database.target(url);
    assertThat(t.kind()).isEqualTo(Database.Kind.POSTGRESQL);
    assertThat(t.jdbcUrl()).isEqualTo(jdbc);
    assertThat(t.properties().getProperty("user")).isEqualTo(user);
    assertThat(t.properties().getProperty("password")).isEqualTo(password);
    assertThat(t.properties().getProperty("socketFactoryArg")).isEqualTo(socket);
    assertThat(t.display()).isEqualTo(display).doesNotContain("s3cret");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "/var/lib/tessera/registry.db",
        "sqlite:/var/lib/tessera/registry.db",
        "jdbc:sqlite:/var/lib/tessera/registry.db"
      })
  void sqlitePaths(String url) throws Exception {
    Database.Target t =
        Database.target(
            url.replace("/var/lib/tessera", System.getProperty("java.io.tmpdir") + "/tessera-dbt"));
    assertThat(t.kind()).isEqualTo(Database.Kind.SQLITE);
    assertThat(t.jdbcUrl()).startsWith("jdbc:sqlite:/").endsWith("/tessera-dbt/registry.db");
    assertThat(t.properties().getProperty("transaction_mode")).isEqualTo("IMMEDIATE");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "mysql://x/y | unknown database",
        "postgresql://h:port/x | malformed port",
        "' ' | no database"
      })
  void refused(String url, String message) {
    assertThatThrownBy(() -> Database.target(url))
        .isInstanceOf(RegistryException.class)
        .hasMessageContaining(message);
  }
}
