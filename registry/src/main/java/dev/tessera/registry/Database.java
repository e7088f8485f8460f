package dev.tessera.registry;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * Where the registry lives, from the one string {@code policyc serve --db} takes:
 *
 * <ul>
 *   <li>a file path, {@code sqlite:PATH} or {@code jdbc:sqlite:PATH}: embedded SQLite, nothing to
 *       install. WAL journal, foreign keys on, and every transaction takes the write lock when it
 *       begins ({@code BEGIN IMMEDIATE}), so read-then-write transactions (address assignment)
 *       never interleave;
 *   <li>{@code postgresql://USER:PASSWORD@HOST:PORT/DB?...} (also {@code postgres://} and {@code
 *       jdbc:postgresql://}): PostgreSQL, shared by several servers. libpq's {@code host=/dir}
 *       query parameter selects a Unix domain socket in that directory.
 * </ul>
 *
 * The schema is created and upgraded by Flyway from {@code db/migration/{sqlite,postgresql}} on
 * open; connections come from a HikariCP pool.
 */
public final class Database implements AutoCloseable {
  /** Which SQL dialect the database speaks. */
  public enum Kind {
    SQLITE,
    POSTGRESQL
  }

  private final Kind kind;
  private final HikariDataSource pool;
  private final String display;

  private Database(Kind kind, HikariDataSource pool, String display) {
    this.kind = kind;
    this.pool = pool;
    this.display = display;
  }

  /** Opens (creating if needed) and migrates the database {@code url} names. */
  public static Database open(String url) throws RegistryException {
    Target t = target(url);
    if (t.kind == Kind.SQLITE) {
      Path p = Path.of(t.display);
      try {
        if (p.getParent() != null) {
          Files.createDirectories(p.getParent());
        }
      } catch (java.io.IOException e) {
        throw new RegistryException(
            RegistryException.Code.DATABASE,
            "cannot create the directory of " + p + ": " + e.getMessage(),
            e);
      }
    }
    HikariConfig cfg = new HikariConfig();
    cfg.setJdbcUrl(t.jdbcUrl);
    cfg.setDataSourceProperties(t.properties);
    cfg.setPoolName("tessera-registry");
    cfg.setMaximumPoolSize(t.kind == Kind.SQLITE ? 4 : 8);
    cfg.setMinimumIdle(1);
    cfg.setConnectionTimeout(5_000);
    cfg.setInitializationFailTimeout(-1); // fail in migrate() below, with our message
    HikariDataSource ds = new HikariDataSource(cfg);
    try {
      Flyway.configure()
          .dataSource(ds)
          .locations("classpath:db/migration/" + (t.kind == Kind.SQLITE ? "sqlite" : "postgresql"))
          .table("registry_schema_history")
          .load()
          .migrate();
    } catch (RuntimeException e) {
      ds.close();
      throw new RegistryException(
          RegistryException.Code.DATABASE,
          "cannot open the registry database " + t.display + ": " + rootMessage(e),
          e);
    }
    return new Database(t.kind, ds, t.display);
  }

  /**
   * The file {@code url} names when it names a SQLite database; empty for PostgreSQL. Lets a caller
   * that must not create a database (an administration command) check that it exists first.
   */
  public static Optional<Path> sqliteFile(String url) throws RegistryException {
    Target t = target(url);
    return t.kind == Kind.SQLITE ? Optional.of(Path.of(t.display)) : Optional.empty();
  }

  public Kind kind() {
    return kind;
  }

  public DataSource dataSource() {
    return pool;
  }

  /**
   * A connection outside the pool, for a session that must end when it is closed (session-level
   * advisory locks, {@code LISTEN}).
   */
  Connection openUnpooled() throws SQLException {
    return java.sql.DriverManager.getConnection(pool.getJdbcUrl(), pool.getDataSourceProperties());
  }

  /** What one transaction does with its connection. */
  @FunctionalInterface
  interface Transaction<T> {
    T run(Connection c) throws SQLException, RegistryException;
  }

  /**
   * Runs {@code work} as one transaction on a pooled connection, at the connection's isolation
   * level: see {@link #transaction(int, Transaction)}.
   */
  <T> T transaction(Transaction<T> work) throws SQLException, RegistryException {
    return transaction(KEEP_ISOLATION, work);
  }

  /** For {@link #transaction(int, Transaction)}: leave the connection's isolation level as is. */
  private static final int KEEP_ISOLATION = -1;

  /**
   * Runs {@code work} as one transaction on a pooled connection at {@code isolation} (a {@code
   * Connection.TRANSACTION_*} level): what it did is committed when it returns, and rolled back,
   * all of it, when it throws anything, an {@link Error} too (what it threw goes on, with a failed
   * rollback suppressed in it). The connection goes back to the pool in autocommit mode at its
   * former isolation level; one that cannot be reset is broken, and the pool discards it.
   */
  <T> T transaction(int isolation, Transaction<T> work) throws SQLException, RegistryException {
    try (Connection c = pool.getConnection()) {
      int before = c.getTransactionIsolation();
      c.setAutoCommit(false);
      if (isolation != KEEP_ISOLATION && isolation != before) {
        c.setTransactionIsolation(isolation);
      }
      try {
        T out = work.run(c);
        c.commit();
        return out;
      } catch (Throwable e) {
        // An Error too: the reset below turns autocommit back on, which would commit the work.
        try {
          c.rollback();
        } catch (SQLException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      } finally {
        try {
          if (c.getTransactionIsolation() != before) {
            c.setTransactionIsolation(before);
          }
          c.setAutoCommit(true);
        } catch (SQLException ignored) {
          // the connection is broken; the pool discards it
        }
      }
    }
  }

  /** The database named without its password. */
  public String display() {
    return display;
  }

  @Override
  public void close() {
    pool.close();
  }

  record Target(Kind kind, String jdbcUrl, Properties properties, String display) {}

  static Target target(String url) throws RegistryException {
    if (url == null || url.isBlank()) {
      throw new RegistryException(RegistryException.Code.BAD_REQUEST, "no database given");
    }
    if (url.startsWith("postgresql://")
        || url.startsWith("postgres://")
        || url.startsWith("jdbc:postgresql://")) {
      return postgres(url);
    }
    String path = url;
    for (String prefix : new String[] {"jdbc:sqlite:", "sqlite:"}) {
      if (path.startsWith(prefix)) {
        path = path.substring(prefix.length());
      }
    }
    if (path.contains("://")) {
      throw new RegistryException(
          RegistryException.Code.BAD_REQUEST,
          "unknown database '" + url + "': give a file path (SQLite) or a postgresql:// URL");
    }
    Path p = Path.of(path).toAbsolutePath();
    Properties props = new Properties();
    props.setProperty("journal_mode", "WAL");
    props.setProperty("synchronous", "NORMAL");
    props.setProperty("foreign_keys", "true");
    props.setProperty("busy_timeout", "10000");
    props.setProperty("transaction_mode", "IMMEDIATE");
    return new Target(Kind.SQLITE, "jdbc:sqlite:" + p, props, p.toString());
  }

  private static Target postgres(String url) throws RegistryException {
    // Parsed by hand: java.net.URI cannot read libpq's forms with an empty host
    // (postgresql://user@/db?host=/run/postgresql).
    String rest = url.substring(url.indexOf("://") + 3);
    String rawQuery = null;
    int q = rest.indexOf('?');
    if (q >= 0) {
      rawQuery = rest.substring(q + 1);
      rest = rest.substring(0, q);
    }
    int slash = rest.indexOf('/');
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    String path = slash < 0 ? "" : rest.substring(slash + 1);
    String userInfo = null;
    int at = authority.lastIndexOf('@');
    if (at >= 0) {
      userInfo = authority.substring(0, at);
      authority = authority.substring(at + 1);
    }
    String uriHost = null;
    int uriPort = -1;
    if (!authority.isEmpty()) {
      int colon =
          authority.startsWith("[")
              ? authority.indexOf(':', authority.indexOf(']'))
              : authority.lastIndexOf(':');
      uriHost = colon < 0 ? authority : authority.substring(0, colon);
      if (colon >= 0) {
        try {
          uriPort = Integer.parseInt(authority.substring(colon + 1));
        } catch (NumberFormatException e) {
          throw new RegistryException(
              RegistryException.Code.BAD_REQUEST, "malformed port in the PostgreSQL URL");
        }
      }
    }
    Map<String, String> query = new LinkedHashMap<>();
    if (rawQuery != null) {
      for (String kv : rawQuery.split("&")) {
        if (kv.isEmpty()) {
          continue;
        }
        int eq = kv.indexOf('=');
        String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
        String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
        query.put(k, v);
      }
    }
    Properties props = new Properties();
    String user = null;
    if (userInfo != null) {
      String ui = userInfo;
      int colon = ui.indexOf(':');
      user = URLDecoder.decode(colon < 0 ? ui : ui.substring(0, colon), StandardCharsets.UTF_8);
      props.setProperty("user", user);
      if (colon >= 0) {
        props.setProperty(
            "password", URLDecoder.decode(ui.substring(colon + 1), StandardCharsets.UTF_8));
      }
    }
    String db = path.isEmpty() ? "postgres" : URLDecoder.decode(path, StandardCharsets.UTF_8);
    int port;
    try {
      port = uriPort > 0 ? uriPort : Integer.parseInt(query.getOrDefault("port", "5432"));
    } catch (NumberFormatException e) {
      throw new RegistryException(
          RegistryException.Code.BAD_REQUEST, "malformed port in the PostgreSQL URL");
    }
    query.remove("port");
    String host = uriHost != null ? uriHost : "localhost";
    String socketDir = query.remove("host");
    if (query.containsKey("user")) {
      user = query.remove("user");
      props.setProperty("user", user);
    }
    if (query.containsKey("password")) {
      props.setProperty("password", query.remove("password"));
    }
    String display;
    if (socketDir != null && socketDir.startsWith("/")) {
      props.setProperty("socketFactory", UnixSocketFactory.class.getName());
      props.setProperty("socketFactoryArg", socketDir + "/.s.PGSQL." + port);
      props.setProperty("sslmode", "disable");
      display =
          "postgresql://"
              + (user == null ? "" : user + "@")
              + "/"
              + db
              + "?host="
              + socketDir
              + "&port="
              + port;
    } else {
      if (socketDir != null) {
        host = socketDir;
      }
      display = "postgresql://" + (user == null ? "" : user + "@") + host + ":" + port + "/" + db;
    }
    query.forEach(props::setProperty);
    return new Target(
        Kind.POSTGRESQL, "jdbc:postgresql://" + host + ":" + port + "/" + db, props, display);
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m.strip();
  }
}
