package dev.tessera.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry contract on embedded SQLite, the default. */
class SqliteRegistryTest extends RegistryContract {
  @TempDir Path dir;
  private int n;

  @Override
  String freshUrl() {
    return dir.resolve("registry-" + (n++) + ".db").toString();
  }

  @Test
  void theDatabaseFileSurvivesAReopen() throws Exception {
    String url = freshUrl();
    Node n;
    try (Registry r = new Registry(Database.open(url), RegistryConfig.defaults(), clock)) {
      n = r.enroll(enrollment(userKey(r, false), "a"), POLICY);
    }
    assertThat(Files.exists(Path.of(url))).isTrue();
    try (Registry r =
        new Registry(Database.open("sqlite:" + url), RegistryConfig.defaults(), clock)) {
      assertThat(r.nodes()).containsExactly(n);
    }
  }

  @Test
  void anUnopenableDatabaseIsAClearError() throws Exception {
    Path notADb = dir.resolve("garbage.db");
    Files.writeString(notADb, "this is not a database ".repeat(100));
    assertThatThrownBy(() -> Database.open(notADb.toString()))
        .isInstanceOfSatisfying(
            RegistryException.class,
            e -> {
              assertThat(e.code()).isEqualTo(RegistryException.Code.DATABASE);
              assertThat(e.getMessage())
                  .contains("cannot open the registry database")
                  .contains(notADb.toString());
            });
    assertThatThrownBy(() -> Database.open("mysql://x/y")).hasMessageContaining("unknown database");
  }
}
