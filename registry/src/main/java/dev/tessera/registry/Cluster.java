package dev.tessera.registry;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Several servers on one PostgreSQL database: which of them compiles, and the signed bundles it
 * stores for the others to serve.
 *
 * <p><b>Who compiles.</b> A server compiles while it holds a session-level advisory lock ({@link
 * #tryLead}) on a connection of its own, the <em>session</em>, which also {@code LISTEN}s on the
 * registry's channel and on {@value #BUNDLES}. When the process dies, its session ends and the
 * database releases the lock, so another server's next {@link #tryLead} takes over. Taking the lock
 * raises the <em>term</em> in {@code cluster_state}; every store ({@link #reserve}, {@link #store})
 * checks, under a row lock, that the term is still the one this server took, so a server that lost
 * its session (and the lock) without noticing yet cannot overwrite what the next one stores.
 *
 * <p><b>What is stored.</b> {@code cluster_versions}: each node's highest version given out,
 * written before any server serves it (what {@code versions.json} is for one server): the next
 * compiling server continues above it, so no agent is ever offered a version it holds with other
 * content, nor a lower one. {@code cluster_bundles}: the signed bundle each node is served, each
 * row stamped with the generation that wrote it; a store raises the generation and notifies {@value
 * #BUNDLES} with it at commit; servers read the rows above the generation they have ({@link
 * #since}). {@code cluster_policy}: the policy the compiling server compiled ({@link Policy}),
 * written by the store that publishes the first bundles compiled from it, in the same fenced
 * transaction, so the others decide enrollments and route approvals with exactly the policy whose
 * bundles they serve, never with their own file.
 *
 * <p>One thread uses the session ({@link #await}, {@link #tryLead}); the other calls use pooled
 * connections and may come from any thread.
 */
public final class Cluster implements AutoCloseable {
  /** The channel a store notifies, with the new generation as payload. */
  public static final String BUNDLES = "tessera_bundles";

  /** Session advisory lock key held by the compiling server (next to the registry's write lock). */
  static final long COMPILE_LOCK = Registry.WRITE_LOCK + 1;

  /** A node's served bundle as stored: {@code signed} is null when the node is no longer served. */
  public record Stored(
      String node,
      long version,
      String hash,
      String revision,
      byte[] signed,
      long expiresAtMillis) {}

  /** A version given out for a node, and the content hash it was given for. */
  public record Version(long version, String hash) {}

  /**
   * The policy a compiling server compiled: its name as that server read it (the syntax follows
   * from it: {@code policy.hujson}, {@code path@commit} for a git source), its text, and the
   * SHA-256 of the text's UTF-8 bytes in hex (what {@code sha256sum} prints for the file).
   */
  public record Policy(String name, String text, String sha256) {
    /** The policy {@code text} read as {@code name}, with its hash. */
    public static Policy of(String name, String text) {
      try {
        return new Policy(
            name,
            text,
            HexFormat.of()
                .formatHex(
                    MessageDigest.getInstance("SHA-256")
                        .digest(text.getBytes(StandardCharsets.UTF_8))));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /**
   * The rows written after some generation, the generation they bring the reader to, and the policy
   * if a store after that generation wrote it.
   */
  public record Changes(long generation, List<Stored> bundles, Optional<Policy> policy) {}

  private final Database db;
  private Connection session;
  private volatile long term = -1;

  public Cluster(Database db) {
    if (db.kind() != Database.Kind.POSTGRESQL) {
      throw new IllegalArgumentException("servers share bundles through PostgreSQL only");
    }
    this.db = db;
  }

  /**
   * Waits up to {@code timeoutMillis} for notifications on the registry's channel and {@value
   * #BUNDLES}; returns the channels notified (empty after a quiet wait). Opens the session first if
   * there is none; a session that fails is closed, and with it this server's lock: it no longer
   * compiles ({@link #leading} is false) until a later {@link #tryLead}.
   */
  public Set<String> await(int timeoutMillis) throws RegistryException {
    try {
      Connection c = session();
      PGNotification[] got = c.unwrap(PGConnection.class).getNotifications(timeoutMillis);
      Set<String> channels = new LinkedHashSet<>();
      if (got != null) {
        for (PGNotification n : got) {
          channels.add(n.getName());
        }
      }
      return channels;
    } catch (SQLException e) {
      dropSession();
      throw error("listening", e);
    }
  }

  /**
   * Takes the compile lock if no other server holds it, raising the term; returns whether this
   * server compiles now (true at once if it already did).
   */
  public boolean tryLead() throws RegistryException {
    if (term >= 0) {
      return true;
    }
    try {
      Connection c = session();
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT pg_try_advisory_lock(" + COMPILE_LOCK + ")")) {
        rs.next();
        if (!rs.getBoolean(1)) {
          return false;
        }
      }
      try (Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "UPDATE cluster_state SET term = term + 1 WHERE id = 1 RETURNING term")) {
        rs.next();
        term = rs.getLong(1);
      }
      return true;
    } catch (SQLException e) {
      dropSession();
      throw error("taking the compile lock", e);
    }
  }

  /** Whether this server holds the compile lock (as far as it knows: stores are fenced anyway). */
  public boolean leading() {
    return term >= 0;
  }

  /** The term this server took the lock in; -1 when it does not hold it. */
  public long term() {
    return term;
  }

  /**
   * Records versions given out, each raised only (a lower version than the one recorded is kept as
   * it is). Refused unless this server still holds the term it took.
   */
  public void reserve(Map<String, Version> versions) throws RegistryException {
    fenced(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO cluster_versions (node, version, hash) VALUES (?,?,?)"
                      + " ON CONFLICT (node) DO UPDATE SET version = EXCLUDED.version,"
                      + " hash = EXCLUDED.hash WHERE cluster_versions.version < EXCLUDED.version")) {
            for (Map.Entry<String, Version> e : versions.entrySet()) {
              ps.setString(1, e.getKey());
              ps.setLong(2, e.getValue().version());
              ps.setString(3, e.getValue().hash());
              ps.addBatch();
            }
            ps.executeBatch();
          }
          return null;
        });
  }

  /**
   * Stores what is served now (rows with a null {@code signed}: no longer served), raises the
   * generation and notifies {@value #BUNDLES} at commit. Returns the new generation. Refused unless
   * this server still holds the term it took.
   */
  public long store(List<Stored> bundles) throws RegistryException {
    return store(bundles, null);
  }

  /**
   * {@link #store(List)}, recording {@code policy} (null: the one stored stays) as the policy these
   * bundles were compiled from, in the same transaction: both are stored, or neither.
   */
  public long store(List<Stored> bundles, Policy policy) throws RegistryException {
    return fenced(
        c -> {
          long generation;
          try (Statement s = c.createStatement();
              ResultSet rs =
                  s.executeQuery(
                      "UPDATE cluster_state SET generation = generation + 1 WHERE id = 1"
                          + " RETURNING generation")) {
            rs.next();
            generation = rs.getLong(1);
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO cluster_bundles"
                      + " (node, version, hash, revision, signed, expires_ms, generation)"
                      + " VALUES (?,?,?,?,?,?,?) ON CONFLICT (node) DO UPDATE SET"
                      + " version = EXCLUDED.version, hash = EXCLUDED.hash,"
                      + " revision = EXCLUDED.revision, signed = EXCLUDED.signed,"
                      + " expires_ms = EXCLUDED.expires_ms, generation = EXCLUDED.generation")) {
            for (Stored b : bundles) {
              ps.setString(1, b.node());
              ps.setLong(2, b.version());
              ps.setString(3, b.hash());
              ps.setString(4, b.revision());
              ps.setBytes(5, b.signed());
              ps.setLong(6, b.expiresAtMillis());
              ps.setLong(7, generation);
              ps.addBatch();
            }
            ps.executeBatch();
          }
          if (policy != null) {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO cluster_policy (id, name, text, sha256, term, generation)"
                        + " VALUES (1,?,?,?,(SELECT term FROM cluster_state WHERE id = 1),?)"
                        + " ON CONFLICT (id) DO UPDATE SET"
                        + " name = EXCLUDED.name, text = EXCLUDED.text, sha256 = EXCLUDED.sha256,"
                        + " term = EXCLUDED.term, generation = EXCLUDED.generation")) {
              ps.setString(1, policy.name());
              ps.setString(2, policy.text());
              ps.setString(3, policy.sha256());
              ps.setLong(4, generation);
              ps.executeUpdate();
            }
          }
          try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_notify('" + BUNDLES + "', '" + generation + "')");
          }
          return generation;
        });
  }

  /**
   * The rows stored after {@code generation}, the generation they were read at, and the policy if
   * it was stored after {@code generation}.
   */
  public Changes since(long generation) throws RegistryException {
    try {
      return db.transaction(
          Connection.TRANSACTION_REPEATABLE_READ,
          c -> {
            long now;
            try (Statement s = c.createStatement();
                ResultSet rs =
                    s.executeQuery("SELECT generation FROM cluster_state WHERE id = 1")) {
              rs.next();
              now = rs.getLong(1);
            }
            List<Stored> out = new ArrayList<>();
            Optional<Policy> policy = Optional.empty();
            if (now > generation) {
              policy = policy(c, generation);
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT node, version, hash, revision, signed, expires_ms FROM cluster_bundles"
                          + " WHERE generation > ? ORDER BY node")) {
                ps.setLong(1, generation);
                try (ResultSet rs = ps.executeQuery()) {
                  while (rs.next()) {
                    out.add(
                        new Stored(
                            rs.getString(1),
                            rs.getLong(2),
                            rs.getString(3),
                            rs.getString(4),
                            rs.getBytes(5),
                            rs.getLong(6)));
                  }
                }
              }
            }
            return new Changes(Math.max(now, generation), out, policy);
          });
    } catch (SQLException e) {
      throw error("reading the stored bundles", e);
    }
  }

  /** The policy the compiling server last stored; empty before any server stored one. */
  public Optional<Policy> policy() throws RegistryException {
    try (Connection c = db.dataSource().getConnection()) {
      return policy(c, -1);
    } catch (SQLException e) {
      throw error("reading the stored policy", e);
    }
  }

  private static Optional<Policy> policy(Connection c, long after) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT name, text, sha256 FROM cluster_policy WHERE id = 1 AND generation > ?")) {
      ps.setLong(1, after);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? Optional.of(new Policy(rs.getString(1), rs.getString(2), rs.getString(3)))
            : Optional.empty();
      }
    }
  }

  /** Every node's highest version given out. */
  public Map<String, Version> versions() throws RegistryException {
    try (Connection c = db.dataSource().getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT node, version, hash FROM cluster_versions")) {
      Map<String, Version> out = new HashMap<>();
      while (rs.next()) {
        out.put(rs.getString(1), new Version(rs.getLong(2), rs.getString(3)));
      }
      return out;
    } catch (SQLException e) {
      throw error("reading the versions given out", e);
    }
  }

  /** Ends the session: the lock is released and another server may compile. */
  @Override
  public synchronized void close() {
    dropSession();
  }

  /**
   * Runs {@code work} in one transaction that first checks, under a row lock on {@code
   * cluster_state}, that the term is still the one this server took: a server that lost the lock
   * stores nothing.
   */
  private <T> T fenced(Database.Transaction<T> work) throws RegistryException {
    long mine = term;
    if (mine < 0) {
      throw notCompiling();
    }
    try {
      return db.transaction(
          c -> {
            try (Statement s = c.createStatement();
                ResultSet rs =
                    s.executeQuery("SELECT term FROM cluster_state WHERE id = 1 FOR UPDATE")) {
              rs.next();
              if (rs.getLong(1) != mine) {
                term = -1;
                throw notCompiling();
              }
            }
            return work.run(c);
          });
    } catch (SQLException e) {
      throw error("storing bundles", e);
    }
  }

  private static RegistryException notCompiling() {
    return new RegistryException(
        RegistryException.Code.DATABASE,
        "this server no longer holds the compile lock: another server compiles now");
  }

  private synchronized Connection session() throws SQLException {
    if (session == null) {
      Connection c = db.openUnpooled();
      try (Statement s = c.createStatement()) {
        s.execute("LISTEN " + Registry.CHANNEL);
        s.execute("LISTEN " + BUNDLES);
      } catch (SQLException e) {
        c.close();
        throw e;
      }
      session = c;
    }
    return session;
  }

  private synchronized void dropSession() {
    term = -1;
    if (session != null) {
      try {
        session.close(); // ends the session, and with it the lock
      } catch (SQLException ignored) {
        // already broken
      }
      session = null;
    }
  }

  private RegistryException error(String what, SQLException e) {
    return new RegistryException(
        RegistryException.Code.DATABASE,
        what + " in " + db.display() + " failed: " + Database.rootMessage(e),
        e);
  }
}
