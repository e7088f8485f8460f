package dev.tessera.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Database#transaction}: whatever ends the work early (an exception or an {@link Error})
 * leaves nothing of it written, and the connection goes back to the pool in autocommit mode.
 */
class DatabaseTransactionTest {
  @TempDir Path dir;

  static void insert(Connection c, int x) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.executeUpdate("INSERT INTO t (x) VALUES (" + x + ")");
    }
  }

  static int rows(Database db) throws Exception {
    return db.transaction(
        c -> {
          try (Statement s = c.createStatement();
              ResultSet rs = s.executeQuery("SELECT count(*) FROM t")) {
            rs.next();
            return rs.getInt(1);
          }
        });
  }

  @Test
  void workEndedByAnErrorOrAnExceptionWritesNothing() throws Exception {
    try (Database db = Database.open(dir.resolve("r.db").toString())) {
      db.transaction(
          c -> {
            try (Statement s = c.createStatement()) {
              s.executeUpdate("CREATE TABLE t (x INTEGER)");
            }
            insert(c, 1);
            return null;
          });
      assertThatThrownBy(
              () ->
                  db.transaction(
                      c -> {
                        insert(c, 2);
                        throw new StackOverflowError("deep");
                      }))
          .isInstanceOf(StackOverflowError.class);
      assertThatThrownBy(
              () ->
                  db.transaction(
                      c -> {
                        insert(c, 3);
                        throw new IllegalStateException("bad");
                      }))
          .isInstanceOf(IllegalStateException.class);
      assertThat(rows(db)).as("only the committed row").isEqualTo(1);
      db.transaction(
          c -> {
            assertThat(c.getAutoCommit()).isFalse();
            return null;
          });
    }
  }
}
