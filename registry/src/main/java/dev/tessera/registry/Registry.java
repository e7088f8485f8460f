package dev.tessera.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.registry.RegistryException.Code;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The control plane's registry: users, nodes, auth keys and the audit trail, in one database.
 *
 * <p><b>Transactions.</b> Every write is one transaction that also appends its audit entries and
 * raises the registry's revision; a refused request throws {@link RegistryException} and rolls
 * everything back, so nothing of it is written. Writes are serialized: SQLite takes its write lock
 * when a transaction begins ({@code BEGIN IMMEDIATE}); on PostgreSQL each write transaction first
 * takes a transaction-scoped advisory lock, so that address assignment (read the held addresses,
 * insert the lowest free one) is safe across several servers sharing the database, and it sends
 * {@code NOTIFY tessera_registry} with the new revision, delivered when it commits.
 *
 * <p><b>Addresses.</b> A node gets the lowest free address of the IPv4 pool (its first and last
 * addresses and Tailscale's service address 100.100.100.100 are never given), and the IPv6 pool's
 * address at the same offset. Both are unique columns: an address held by a node is never given to
 * another, and a node keeps its addresses for life, across restarts and pool changes.
 *
 * <p><b>Auth keys</b> are {@code tskey-ID-SECRET}: ID (16 hex digits) names the key; SECRET (256
 * random bits) is stored only as its SHA-256, compared in constant time.
 */
public final class Registry implements AutoCloseable {
  /** The PostgreSQL channel every write notifies, with the new revision as payload. */
  public static final String CHANNEL = "tessera_registry";

  /**
   * Advisory lock key serializing registry writes on PostgreSQL ("tessera" in ASCII, truncated).
   */
  static final long WRITE_LOCK = 0x7465737365726100L;

  private static final long SERVICE_ADDRESS = 0x64646464L; // 100.100.100.100
  private static final Duration LAST_SEEN_RESOLUTION = Duration.ofSeconds(60);
  private static final Pattern KEY = Pattern.compile("tskey-([0-9a-f]{16})-([A-Za-z0-9_-]{43})");
  private static final Pattern POSTURE_KEY =
      Pattern.compile("[a-zA-Z][a-zA-Z0-9]*:[A-Za-z0-9_.-]{1,64}");
  private static final TypeReference<List<String>> LIST = new TypeReference<>() {};
  private static final TypeReference<TreeMap<String, String>> MAP = new TypeReference<>() {};
  private static final TypeReference<LinkedHashMap<String, Object>> DETAIL =
      new TypeReference<>() {};

  private final Database db;
  private final RegistryConfig config;
  private final Clock clock;
  private final ObjectMapper json = new ObjectMapper();
  private final SecureRandom random = new SecureRandom();

  public Registry(Database db, RegistryConfig config, Clock clock) {
    this.db = db;
    this.config = config;
    this.clock = clock;
  }

  /** Opens the database {@code url} names (see {@link Database}) with the default pools. */
  public static Registry open(String url) throws RegistryException {
    return new Registry(Database.open(url), RegistryConfig.defaults(), Clock.systemUTC());
  }

  public Database database() {
    return db;
  }

  public RegistryConfig config() {
    return config;
  }

  @Override
  public void close() {
    db.close();
  }

  // ---------------------------------------------------------------- users

  public User createUser(String actor, String name) throws RegistryException {
    String n = Names.user(name);
    return write(
        tx -> {
          if (userId(tx.c, n).isPresent()) {
            throw new RegistryException(Code.NAME_TAKEN, "user '" + n + "' already exists");
          }
          return userById(tx.c, ensureUser(tx, actor, n));
        });
  }

  public List<User> users() throws RegistryException {
    return read(
        c -> {
          List<User> out = new ArrayList<>();
          try (PreparedStatement ps =
                  c.prepareStatement("SELECT id, name, created_ms FROM users ORDER BY name");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(
                  new User(rs.getLong(1), rs.getString(2), Instant.ofEpochMilli(rs.getLong(3))));
            }
          }
          return out;
        });
  }

  // ---------------------------------------------------------------- auth keys

  /**
   * Creates an auth key. A tagged key may only carry tags its creator ({@code spec.user()}) owns;
   * the user is created if the registry does not know it yet. The secret is in the result only.
   */
  public NewAuthKey createAuthKey(String actor, AuthKeySpec spec, PolicyChecks.TagOwnership owners)
      throws RegistryException {
    String user = Names.user(spec.user());
    List<String> tags = Names.tags(spec.tags());
    checkOwned(owners, user, tags, "create a key with");
    if (spec.expiry().isPresent() && !spec.expiry().get().isPositive()) {
      throw new RegistryException(Code.BAD_REQUEST, "expiry must be positive");
    }
    byte[] idBytes = new byte[8];
    byte[] secret = new byte[32];
    random.nextBytes(idBytes);
    random.nextBytes(secret);
    String id = HexFormat.of().formatHex(idBytes);
    String secretText = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    Instant now = clock.instant();
    Optional<Instant> expiry = spec.expiry().map(now::plus);
    AuthKey key =
        write(
            tx -> {
              long userId = ensureUser(tx, actor, user);
              try (PreparedStatement ps =
                  tx.c.prepareStatement(
                      "INSERT INTO auth_keys (key_id, secret_sha256, user_id, tags,"
                          + " reusable, ephemeral, expires_ms, pre_approved_routes, created_ms, uses) VALUES (?,?,?,?,?,?,?,?,?,0)")) {
                ps.setString(1, id);
                ps.setString(2, sha256(secretText));
                ps.setLong(3, userId);
                ps.setString(4, toJson(tags));
                ps.setBoolean(5, spec.reusable());
                ps.setBoolean(6, spec.ephemeral());
                setMillis(ps, 7, expiry);
                ps.setBoolean(8, spec.preApprovedRoutes());
                ps.setLong(9, now.toEpochMilli());
                ps.executeUpdate();
              }
              Map<String, Object> d = new LinkedHashMap<>();
              d.put("user", user);
              d.put("tags", tags);
              d.put("reusable", spec.reusable());
              d.put("ephemeral", spec.ephemeral());
              d.put("expires", expiry.map(Instant::toString).orElse("never"));
              d.put("preApprovedRoutes", spec.preApprovedRoutes());
              tx.audit(actor, "authkey-created", id, d);
              return authKey(tx.c, id).orElseThrow();
            });
    return new NewAuthKey(key, "tskey-" + id + "-" + secretText);
  }

  public List<AuthKey> authKeys() throws RegistryException {
    return read(
        c -> {
          List<AuthKey> out = new ArrayList<>();
          try (PreparedStatement ps =
                  c.prepareStatement(AUTH_KEY_SELECT + " ORDER BY k.created_ms, k.id");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(authKey(rs));
            }
          }
          return out;
        });
  }

  public AuthKey revokeAuthKey(String actor, String keyId) throws RegistryException {
    return write(
        tx -> {
          AuthKey k =
              authKey(tx.c, keyId)
                  .orElseThrow(
                      () ->
                          new RegistryException(
                              Code.UNKNOWN_AUTH_KEY,
                              "no auth key '"
                                  + Names.printable(keyId)
                                  + "' (policyc authkey list shows the keys)"));
          if (k.revoked().isPresent()) {
            return k;
          }
          try (PreparedStatement ps =
              tx.c.prepareStatement("UPDATE auth_keys SET revoked_ms = ? WHERE key_id = ?")) {
            ps.setLong(1, clock.millis());
            ps.setString(2, keyId);
            ps.executeUpdate();
          }
          tx.audit(actor, "authkey-revoked", keyId, Map.of());
          return authKey(tx.c, keyId).orElseThrow();
        });
  }

  // ---------------------------------------------------------------- enrollment

  /**
   * Registers a node: checks the auth key (known, secret matches, not revoked, not expired, not a
   * used one-off key, and its tags still owned by its creator), the public key (well formed, not
   * registered yet) and the hostname, then assigns addresses, approves the routes the key or the
   * policy approves, and records the node. A taken name gets the first free suffix ({@code
   * laptop-1}).
   */
  public Node enroll(Enrollment req, PolicyChecks checks) throws RegistryException {
    Matcher m = parseKey(req.authKey());
    String publicKey = Names.publicKey(req.publicKey());
    String hostname = Names.hostname(req.hostname());
    List<String> advertised = new ArrayList<>(req.advertisedRoutes());
    if (req.exitNode()) {
      advertised.add("0.0.0.0/0");
      advertised.add("::/0");
    }
    List<String> routes = Names.routes(advertised);
    Instant now = clock.instant();
    return write(
        tx -> {
          AuthKey key = authKey(tx.c, m.id).orElseThrow(() -> unknownKey());
          String stored;
          try (PreparedStatement ps =
              tx.c.prepareStatement("SELECT secret_sha256 FROM auth_keys WHERE key_id = ?")) {
            ps.setString(1, m.id);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              stored = rs.getString(1);
            }
          }
          if (!MessageDigest.isEqual(
              stored.getBytes(StandardCharsets.US_ASCII),
              sha256(m.secret).getBytes(StandardCharsets.US_ASCII))) {
            throw unknownKey();
          }
          switch (key.state(now)) {
            case REVOKED ->
                throw new RegistryException(
                    Code.AUTH_KEY_REVOKED, "auth key " + key.id() + " was revoked");
            case EXPIRED ->
                throw new RegistryException(
                    Code.AUTH_KEY_EXPIRED,
                    "auth key "
                        + key.id()
                        + " expired at "
                        + key.expiry().orElseThrow()
                        + ": create a new one");
            case USED ->
                throw new RegistryException(
                    Code.AUTH_KEY_USED,
                    "auth key "
                        + key.id()
                        + " is a one-off key and was already used: create a new one, or a --reusable key");
            case USABLE -> {}
          }
          if (checks.unavailable().isPresent()
              && (!key.tags().isEmpty() || !routes.isEmpty() && !key.preApprovedRoutes())) {
            throw new RegistryException(
                Code.POLICY_UNAVAILABLE,
                "cannot enroll a node "
                    + (key.tags().isEmpty() ? "advertising routes" : "with tags")
                    + " now: "
                    + checks.unavailable().get());
          }
          checkOwned(checks.tags(), key.user(), key.tags(), "enroll a node with");
          Optional<Node> existing = nodeWhere(tx.c, "n.public_key = ?", publicKey);
          if (existing.isPresent()) {
            throw new RegistryException(
                Code.DUPLICATE_PUBLIC_KEY,
                "this public key is already registered as node '"
                    + existing.get().name()
                    + "': a node keeps its identity across restarts and does not enroll again;"
                    + " to start over, log out first (tessera-agent logout) or delete the node");
          }
          String name = freeName(tx.c, hostname);
          long[] address = allocate(tx.c);
          String ipv4 = IpAddress.ofV4((int) address[0]).toString();
          String ipv6 = at(config.ipv6Pool(), address[0] - address[1]).toString();
          long userId = userId(tx.c, key.user()).orElseThrow();
          List<String> approved = new ArrayList<>();
          for (String r : routes) {
            if (key.preApprovedRoutes()
                || checks.routes().approves(r, Optional.of(key.user()), key.tags())) {
              approved.add(r);
            }
          }
          try (PreparedStatement ps =
              tx.c.prepareStatement(
                  "INSERT INTO nodes (name, user_id, tags, public_key, ipv4, ipv4_num,"
                      + " ipv6, endpoints, advertised_routes, approved_routes, posture, last_seen_ms, key_expiry_ms, ephemeral,"
                      + " auth_key_id, created_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                      + "(SELECT id FROM auth_keys WHERE key_id = ?),?)")) {
            ps.setString(1, name);
            ps.setLong(2, userId);
            ps.setString(3, toJson(key.tags()));
            ps.setString(4, publicKey);
            ps.setString(5, ipv4);
            ps.setLong(6, address[0]);
            ps.setString(7, ipv6);
            ps.setString(8, "[]");
            ps.setString(9, toJson(routes));
            ps.setString(10, toJson(approved));
            ps.setString(11, "{}");
            ps.setLong(12, now.toEpochMilli());
            ps.setLong(13, now.plus(config.keyExpiry()).toEpochMilli());
            ps.setBoolean(14, key.ephemeral());
            ps.setString(15, key.id());
            ps.setLong(16, now.toEpochMilli());
            ps.executeUpdate();
          }
          try (PreparedStatement ps =
              tx.c.prepareStatement("UPDATE auth_keys SET uses = uses + 1 WHERE key_id = ?")) {
            ps.setString(1, key.id());
            ps.executeUpdate();
          }
          Map<String, Object> d = new LinkedHashMap<>();
          d.put("authKey", key.id());
          d.put("publicKey", publicKey);
          d.put("user", key.user());
          d.put("tags", key.tags());
          d.put("addresses", List.of(ipv4, ipv6));
          d.put("advertisedRoutes", routes);
          d.put("approvedRoutes", approved);
          d.put("ephemeral", key.ephemeral());
          tx.audit("node:" + name, "node-enrolled", name, d);
          return nodeWhere(tx.c, "n.name = ?", name).orElseThrow();
        });
  }

  private record Matcher(String id, String secret) {}

  private static Matcher parseKey(String text) throws RegistryException {
    java.util.regex.Matcher m = KEY.matcher(text == null ? "" : text.strip());
    if (!m.matches()) {
      throw new RegistryException(
          Code.MALFORMED_AUTH_KEY,
          "not an auth key: keys look like tskey-<16 hex digits>-<43 characters> (policyc authkey create prints one)");
    }
    return new Matcher(m.group(1), m.group(2));
  }

  private static RegistryException unknownKey() {
    return new RegistryException(
        Code.UNKNOWN_AUTH_KEY,
        "unknown auth key: it was never issued by this server or was mistyped");
  }

  private static void checkOwned(
      PolicyChecks.TagOwnership owners, String user, List<String> tags, String what)
      throws RegistryException {
    List<String> unowned = tags.stream().filter(t -> !owners.owns(user, t)).toList();
    if (!unowned.isEmpty()) {
      throw new RegistryException(
          Code.TAG_NOT_OWNED,
          user
              + " does not own "
              + String.join(", ", unowned)
              + " under the policy's tagOwners, so cannot "
              + what
              + " "
              + (unowned.size() == 1 ? "it" : "them"));
    }
  }

  /** The lowest free IPv4 address of the pool as {address, pool base}. */
  private long[] allocate(Connection c) throws SQLException, RegistryException {
    IpPrefix pool = config.ipv4Pool();
    long base = pool.lo();
    long size = 1L << (32 - pool.bits());
    long lo = size >= 4 ? base + 1 : base;
    long hi = size >= 4 ? base + size - 2 : base + size - 1;
    long from = lo;
    while (from <= hi) {
      long cand;
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT MIN(cand.c) FROM (SELECT CAST(? AS BIGINT) AS c"
                  + " UNION ALL SELECT ipv4_num + 1 FROM nodes WHERE ipv4_num >= ? AND ipv4_num < ?) cand"
                  + " WHERE NOT EXISTS (SELECT 1 FROM nodes n WHERE n.ipv4_num = cand.c)")) {
        ps.setLong(1, from);
        ps.setLong(2, from);
        ps.setLong(3, hi);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          cand = rs.getLong(1);
          if (rs.wasNull()) {
            break;
          }
        }
      }
      String v6 = at(config.ipv6Pool(), cand - base).toString();
      if (cand != SERVICE_ADDRESS && nodeWhere(c, "n.ipv6 = ?", v6).isEmpty()) {
        return new long[] {cand, base};
      }
      from = cand + 1;
    }
    throw new RegistryException(
        Code.ADDRESSES_EXHAUSTED,
        "no free address left in the IPv4 pool "
            + pool
            + ": every address is held by a node; widen the pool or delete nodes");
  }

  /**
   * The IPv6 address {@code offset} after the first of {@code pool}; the offset lies inside the
   * pool, which is at least as large as the IPv4 pool.
   */
  private static IpAddress at(IpPrefix pool, long offset) {
    long lo = pool.lo() + offset;
    long hi = pool.hi() + (Long.compareUnsigned(lo, pool.lo()) < 0 ? 1 : 0);
    return IpAddress.ofV6(hi, lo);
  }

  private String freeName(Connection c, String hostname) throws SQLException {
    if (nodeWhere(c, "n.name = ?", hostname).isEmpty()) {
      return hostname;
    }
    for (int i = 1; ; i++) {
      String suffix = "-" + i;
      String base =
          hostname.length() + suffix.length() > 63
              ? hostname.substring(0, 63 - suffix.length())
              : hostname;
      String n = base + suffix;
      if (nodeWhere(c, "n.name = ?", n).isEmpty()) {
        return n;
      }
    }
  }

  // ---------------------------------------------------------------- nodes

  public Optional<Node> nodeByKey(String publicKey) throws RegistryException {
    return read(c -> nodeWhere(c, "n.public_key = ?", publicKey));
  }

  public Optional<Node> node(String name) throws RegistryException {
    return read(c -> nodeWhere(c, "n.name = ?", name));
  }

  public List<Node> nodes() throws RegistryException {
    return read(c -> nodesWhere(c, "1 = 1", List.of()));
  }

  /**
   * What an agent reports on every poll: its endpoints ({@code host:port}, IPv6 in brackets) and
   * posture facts. A change is written and audited (peers' bundles carry endpoints); an unchanged
   * report only refreshes {@code lastSeen}, at most once a minute, without an audit entry or a new
   * revision: no bundle depends on it, so servers need not read the nodes again.
   */
  public Node report(String publicKey, List<String> endpoints, Map<String, String> posture)
      throws RegistryException {
    List<String> eps = endpoints(endpoints);
    TreeMap<String, String> facts = posture(posture);
    Instant now = clock.instant();
    return write(
        tx -> {
          Node n =
              nodeWhere(tx.c, "n.public_key = ?", publicKey)
                  .orElseThrow(() -> unknownNode(publicKey));
          boolean changed = !n.endpoints().equals(eps) || !n.posture().equals(facts);
          boolean stale =
              n.lastSeen().map(t -> t.plus(LAST_SEEN_RESOLUTION).isBefore(now)).orElse(true);
          if (!changed && !stale) {
            return n;
          }
          try (PreparedStatement ps =
              tx.c.prepareStatement(
                  "UPDATE nodes SET endpoints = ?, posture = ?, last_seen_ms = ? WHERE id = ?")) {
            ps.setString(1, toJson(eps));
            ps.setString(2, toJson(facts));
            ps.setLong(3, now.toEpochMilli());
            ps.setLong(4, n.id());
            ps.executeUpdate();
          }
          if (changed) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("endpoints", eps);
            d.put("posture", facts);
            tx.audit("node:" + n.name(), "node-reported", n.name(), d);
          }
          return nodeWhere(tx.c, "n.id = ?", n.id()).orElseThrow();
        });
  }

  /**
   * The routes a node advertises now (an agent's {@code up} with other {@code --advertise-routes}
   * or {@code --advertise-exit-node} than at enrollment; the exit node as {@code 0.0.0.0/0} and
   * {@code ::/0}). Approval is worked out again: a route approved before stays approved while it is
   * advertised, a route no longer advertised loses its approval, and a new one is approved by
   * {@code autoApprovers} (or later by an administrator). The auth key's pre-approval covers what
   * the node advertised when it enrolled. Unchanged routes write nothing; a change is audited as
   * {@code routes-advertised}.
   */
  public Node advertise(
      String publicKey, List<String> routes, PolicyChecks.RouteApproval autoApprovers)
      throws RegistryException {
    return advertise(publicKey, routes, new PolicyChecks(PolicyChecks.NONE.tags(), autoApprovers));
  }

  /**
   * {@link #advertise(String, List, PolicyChecks.RouteApproval)} with the policy's checks: when
   * they cannot be made now ({@link PolicyChecks#unavailable()}), a change that leaves a route
   * advertised that is not approved already (which {@code autoApprovers} would decide) is refused
   * ({@link Code#POLICY_UNAVAILABLE}, nothing written), so a later report decides it under the
   * policy; one that only drops approved routes, or changes nothing, is taken.
   */
  public Node advertise(String publicKey, List<String> routes, PolicyChecks checks)
      throws RegistryException {
    PolicyChecks.RouteApproval autoApprovers = checks.routes();
    List<String> advertised = Names.routes(routes);
    return write(
        tx -> {
          Node n =
              nodeWhere(tx.c, "n.public_key = ?", publicKey)
                  .orElseThrow(() -> unknownNode(publicKey));
          if (n.advertisedRoutes().equals(advertised)) {
            return n;
          }
          if (checks.unavailable().isPresent() && !n.approvedRoutes().containsAll(advertised)) {
            throw new RegistryException(
                Code.POLICY_UNAVAILABLE,
                "cannot take new advertised routes of node '"
                    + n.name()
                    + "' now: "
                    + checks.unavailable().get());
          }
          List<String> approved = new ArrayList<>();
          for (String r : advertised) {
            if (n.approvedRoutes().contains(r) || autoApprovers.approves(r, n.user(), n.tags())) {
              approved.add(r);
            }
          }
          update(
              tx.c,
              "UPDATE nodes SET advertised_routes = ?, approved_routes = ? WHERE id = ?",
              toJson(advertised),
              toJson(approved),
              n.id());
          Map<String, Object> d = new LinkedHashMap<>();
          d.put("from", n.advertisedRoutes());
          d.put("to", advertised);
          d.put("approvedRoutes", approved);
          tx.audit("node:" + n.name(), "routes-advertised", n.name(), d);
          return nodeWhere(tx.c, "n.id = ?", n.id()).orElseThrow();
        });
  }

  public Node rename(String actor, String name, String newName) throws RegistryException {
    String to = Names.hostname(newName);
    return write(
        tx -> {
          Node n = named(tx.c, name);
          if (n.name().equals(to)) {
            return n;
          }
          if (nodeWhere(tx.c, "n.name = ?", to).isPresent()) {
            throw new RegistryException(Code.NAME_TAKEN, "a node is already named '" + to + "'");
          }
          update(tx.c, "UPDATE nodes SET name = ? WHERE id = ?", to, n.id());
          tx.audit(actor, "node-renamed", to, Map.of("from", n.name()));
          return nodeWhere(tx.c, "n.id = ?", n.id()).orElseThrow();
        });
  }

  /** Expires the node's key now: it drops out of every bundle until it is enrolled again. */
  public Node expire(String actor, String name) throws RegistryException {
    return setKeyExpiry(actor, name, Optional.of(clock.instant()));
  }

  /** Sets when the node's key expires; empty disables expiry for the node. */
  public Node setKeyExpiry(String actor, String name, Optional<Instant> expiry)
      throws RegistryException {
    return write(
        tx -> {
          Node n = named(tx.c, name);
          try (PreparedStatement ps =
              tx.c.prepareStatement("UPDATE nodes SET key_expiry_ms = ? WHERE id = ?")) {
            setMillis(ps, 1, expiry);
            ps.setLong(2, n.id());
            ps.executeUpdate();
          }
          tx.audit(
              actor,
              "node-key-expiry",
              n.name(),
              Map.of("expires", expiry.map(Instant::toString).orElse("never")));
          return nodeWhere(tx.c, "n.id = ?", n.id()).orElseThrow();
        });
  }

  /** Deletes the node; its addresses become free and it drops out of every bundle. */
  public Node delete(String actor, String name) throws RegistryException {
    return write(tx -> deleteNode(tx, actor, named(tx.c, name), "deleted"));
  }

  /**
   * Deletes the node holding {@code publicKey} (an agent logging out, authenticated by that key).
   */
  public Node deleteByKey(String actor, String publicKey) throws RegistryException {
    return write(
        tx ->
            deleteNode(
                tx,
                actor,
                nodeWhere(tx.c, "n.public_key = ?", publicKey)
                    .orElseThrow(() -> unknownNode(publicKey)),
                "logged out"));
  }

  private Node deleteNode(Tx tx, String actor, Node n, String why) throws SQLException {
    update(tx.c, "DELETE FROM nodes WHERE id = ?", n.id());
    tx.audit(
        actor,
        "node-deleted",
        n.name(),
        Map.of(
            "reason", why, "publicKey", n.publicKey(), "addresses", List.of(n.ipv4(), n.ipv6())));
    return n;
  }

  /**
   * Ephemeral nodes not seen for {@code idle} are deleted, as a node that goes away without logging
   * out would otherwise hold its addresses and peers forever.
   */
  public List<Node> deleteIdleEphemeral(Duration idle) throws RegistryException {
    long cutoff = clock.instant().minus(idle).toEpochMilli();
    return write(
        tx -> {
          List<Node> idleNodes =
              nodesWhere(
                  tx.c,
                  "n.ephemeral = ? AND COALESCE(n.last_seen_ms, n.created_ms) < ?",
                  List.of(true, cutoff));
          for (Node n : idleNodes) {
            deleteNode(tx, "server", n, "ephemeral, idle for more than " + idle);
          }
          return idleNodes;
        });
  }

  /**
   * Replaces the node's tags; {@code actor} must own each one and becomes the node's tagger (its
   * {@code user}, as the creator of a tagged key is for the nodes enrolled with it), so that the
   * compiler's own check of every tagged node's tagger agrees. An empty list makes it its user's
   * node again.
   */
  public Node setTags(
      String actor, String name, List<String> tags, PolicyChecks.TagOwnership owners)
      throws RegistryException {
    List<String> t = Names.tags(tags);
    String tagger = t.isEmpty() ? actor : Names.user(actor);
    checkOwned(owners, tagger, t, "tag a node with");
    return write(
        tx -> {
          Node n = named(tx.c, name);
          if (t.isEmpty()) {
            update(tx.c, "UPDATE nodes SET tags = ? WHERE id = ?", toJson(t), n.id());
          } else {
            update(
                tx.c,
                "UPDATE nodes SET tags = ?, user_id = ? WHERE id = ?",
                toJson(t),
                ensureUser(tx, actor, tagger),
                n.id());
          }
          tx.audit(actor, "node-tagged", n.name(), Map.of("from", n.tags(), "to", t));
          return nodeWhere(tx.c, "n.id = ?", n.id()).orElseThrow();
        });
  }

  /**
   * Sets the node's approved routes, each of which it must advertise (an empty list approves none).
   */
  public Node approveRoutes(String actor, String name, List<String> routes)
      throws RegistryException {
    List<String> r = Names.routes(routes);
    return write(
        tx -> {
          Node n = named(tx.c, name);
          List<String> missing = r.stream().filter(x -> !n.advertisedRoutes().contains(x)).toList();
          if (!missing.isEmpty()) {
            throw new RegistryException(
                Code.ROUTE_NOT_ADVERTISED,
                "node '"
                    + n.name()
                    + "' does not advertise "
                    + String.join(", ", missing)
                    + " (it advertises "
                    + (n.advertisedRoutes().isEmpty()
                        ? "nothing"
                        : String.join(", ", n.advertisedRoutes()))
                    + ")");
          }
          update(tx.c, "UPDATE nodes SET approved_routes = ? WHERE id = ?", toJson(r), n.id());
          tx.audit(actor, "routes-approved", n.name(), Map.of("from", n.approvedRoutes(), "to", r));
          return nodeWhere(tx.c, "n.id = ?", n.id()).orElseThrow();
        });
  }

  // ---------------------------------------------------------------- audit, revision

  /** The last {@code limit} audit entries, oldest first. */
  public List<AuditEntry> audit(int limit) throws RegistryException {
    return read(
        c -> {
          List<AuditEntry> out = new ArrayList<>();
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT id, at_ms, actor, action, subject, detail FROM audit ORDER BY id DESC LIMIT ?")) {
            ps.setInt(1, limit);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(
                    new AuditEntry(
                        rs.getLong(1),
                        Instant.ofEpochMilli(rs.getLong(2)),
                        rs.getString(3),
                        rs.getString(4),
                        rs.getString(5),
                        fromJson(rs.getString(6), DETAIL)));
              }
            }
          }
          return out.reversed();
        });
  }

  /** The registry's revision: raised by every write that changed something. */
  public long revision() throws RegistryException {
    return read(
        c -> {
          try (Statement s = c.createStatement();
              ResultSet rs = s.executeQuery("SELECT revision FROM registry_state WHERE id = 1")) {
            rs.next();
            return rs.getLong(1);
          }
        });
  }

  // ---------------------------------------------------------------- plumbing

  /** One write transaction: its connection and the audit entries it appends. */
  private final class Tx {
    final Connection c;
    boolean changed;

    Tx(Connection c) {
      this.c = c;
    }

    void audit(String actor, String action, String subject, Map<String, Object> detail)
        throws SQLException {
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO audit (at_ms, actor, action, subject, detail) VALUES (?,?,?,?,?)")) {
        ps.setLong(1, clock.millis());
        ps.setString(2, actor);
        ps.setString(3, action);
        ps.setString(4, subject);
        ps.setString(5, toJson(detail));
        ps.executeUpdate();
      }
      changed = true;
    }
  }

  @FunctionalInterface
  private interface Work<T> {
    T run(Tx tx) throws SQLException, RegistryException;
  }

  @FunctionalInterface
  private interface Query<T> {
    T run(Connection c) throws SQLException;
  }

  private <T> T write(Work<T> work) throws RegistryException {
    try {
      return db.transaction(
          c -> {
            if (db.kind() == Database.Kind.POSTGRESQL) {
              try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_advisory_xact_lock(" + WRITE_LOCK + ")");
              }
            }
            Tx tx = new Tx(c);
            T out = work.run(tx);
            if (tx.changed) {
              try (Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE registry_state SET revision = revision + 1 WHERE id = 1");
                if (db.kind() == Database.Kind.POSTGRESQL) {
                  s.execute(
                      "SELECT pg_notify('"
                          + CHANNEL
                          + "', (SELECT revision FROM registry_state WHERE id = 1)::text)");
                }
              }
            }
            return out;
          });
    } catch (SQLException e) {
      throw databaseError(e);
    }
  }

  private <T> T read(Query<T> q) throws RegistryException {
    try (Connection c = db.dataSource().getConnection()) {
      return q.run(c);
    } catch (SQLException e) {
      throw databaseError(e);
    }
  }

  private RegistryException databaseError(SQLException e) {
    return new RegistryException(
        Code.DATABASE,
        "the registry database " + db.display() + " failed: " + Database.rootMessage(e),
        e);
  }

  private static RegistryException unknownNode(String publicKey) {
    return new RegistryException(
        Code.UNKNOWN_NODE,
        "no node has the public key "
            + Names.printable(publicKey)
            + " (deleted, or never enrolled)");
  }

  private Node named(Connection c, String name) throws SQLException, RegistryException {
    return nodeWhere(c, "n.name = ?", name)
        .orElseThrow(
            () ->
                new RegistryException(
                    Code.UNKNOWN_NODE,
                    "no node named '"
                        + Names.printable(name)
                        + "' (policyc nodes list shows the nodes)"));
  }

  private long ensureUser(Tx tx, String actor, String name) throws SQLException {
    Optional<Long> id = userId(tx.c, name);
    if (id.isPresent()) {
      return id.get();
    }
    try (PreparedStatement ps =
        tx.c.prepareStatement("INSERT INTO users (name, created_ms) VALUES (?, ?)")) {
      ps.setString(1, name);
      ps.setLong(2, clock.millis());
      ps.executeUpdate();
    }
    tx.audit(actor, "user-created", name, Map.of());
    return userId(tx.c, name).orElseThrow();
  }

  private static Optional<Long> userId(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT id FROM users WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
      }
    }
  }

  private static User userById(Connection c, long id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT id, name, created_ms FROM users WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new User(rs.getLong(1), rs.getString(2), Instant.ofEpochMilli(rs.getLong(3)));
      }
    }
  }

  private static final String AUTH_KEY_SELECT =
      "SELECT k.key_id, u.name, k.tags, k.reusable, k.ephemeral, k.expires_ms,"
          + " k.pre_approved_routes, k.created_ms, k.uses, k.revoked_ms FROM auth_keys k JOIN users u ON u.id = k.user_id";

  private Optional<AuthKey> authKey(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(AUTH_KEY_SELECT + " WHERE k.key_id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(authKey(rs)) : Optional.empty();
      }
    }
  }

  private AuthKey authKey(ResultSet rs) throws SQLException {
    return new AuthKey(
        rs.getString(1),
        rs.getString(2),
        fromJson(rs.getString(3), LIST),
        rs.getBoolean(4),
        rs.getBoolean(5),
        millis(rs, 6),
        rs.getBoolean(7),
        Instant.ofEpochMilli(rs.getLong(8)),
        rs.getInt(9),
        millis(rs, 10));
  }

  private static final String NODE_SELECT =
      "SELECT n.id, n.name, u.name, n.tags, n.public_key, n.ipv4, n.ipv6,"
          + " n.endpoints, n.advertised_routes, n.approved_routes, n.posture, n.last_seen_ms, n.key_expiry_ms,"
          + " n.ephemeral, n.created_ms FROM nodes n LEFT JOIN users u ON u.id = n.user_id";

  private Optional<Node> nodeWhere(Connection c, String where, Object arg) throws SQLException {
    List<Node> l = nodesWhere(c, where, List.of(arg));
    return l.isEmpty() ? Optional.empty() : Optional.of(l.getFirst());
  }

  private List<Node> nodesWhere(Connection c, String where, List<Object> args) throws SQLException {
    List<Node> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(NODE_SELECT + " WHERE " + where + " ORDER BY n.name")) {
      for (int i = 0; i < args.size(); i++) {
        ps.setObject(i + 1, args.get(i));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new Node(
                  rs.getLong(1),
                  rs.getString(2),
                  Optional.ofNullable(rs.getString(3)),
                  fromJson(rs.getString(4), LIST),
                  rs.getString(5),
                  rs.getString(6),
                  rs.getString(7),
                  fromJson(rs.getString(8), LIST),
                  fromJson(rs.getString(9), LIST),
                  fromJson(rs.getString(10), LIST),
                  fromJson(rs.getString(11), MAP),
                  millis(rs, 12),
                  millis(rs, 13),
                  rs.getBoolean(14),
                  Instant.ofEpochMilli(rs.getLong(15))));
        }
      }
    }
    return out;
  }

  private static void update(Connection c, String sql, Object... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      ps.executeUpdate();
    }
  }

  private static Optional<Instant> millis(ResultSet rs, int col) throws SQLException {
    long v = rs.getLong(col);
    return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(v));
  }

  private static void setMillis(PreparedStatement ps, int col, Optional<Instant> t)
      throws SQLException {
    if (t.isPresent()) {
      ps.setLong(col, t.get().toEpochMilli());
    } else {
      ps.setNull(col, Types.BIGINT);
    }
  }

  private String toJson(Object o) {
    try {
      return json.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e); // lists and maps of strings always serialize
    }
  }

  private <T> T fromJson(String s, TypeReference<T> type) {
    try {
      return json.readValue(s, type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("corrupt JSON column: " + e.getOriginalMessage(), e);
    }
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** Endpoints as {@code a.b.c.d:port} or {@code [v6]:port}, at most 16, de-duplicated in order. */
  static List<String> endpoints(List<String> raw) throws RegistryException {
    if (raw.size() > 16) {
      throw new RegistryException(Code.BAD_REQUEST, "at most 16 endpoints, got " + raw.size());
    }
    List<String> out = new ArrayList<>();
    for (String e : raw) {
      String ep =
          endpoint(e)
              .orElseThrow(
                  () ->
                      new RegistryException(
                          Code.BAD_REQUEST,
                          "'"
                              + Names.printable(e)
                              + "' is not an endpoint: write ADDRESS:PORT, IPv6 in brackets"));
      if (!out.contains(ep)) {
        out.add(ep);
      }
    }
    return out;
  }

  static Optional<String> endpoint(String e) {
    if (e == null) {
      return Optional.empty();
    }
    int colon = e.lastIndexOf(':');
    if (colon <= 0) {
      return Optional.empty();
    }
    String host = e.substring(0, colon);
    String port = e.substring(colon + 1);
    if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
      return Optional.empty();
    }
    int p = Integer.parseInt(port);
    if (p < 1 || p > 65535) {
      return Optional.empty();
    }
    boolean bracketed = host.startsWith("[") && host.endsWith("]");
    if (bracketed) {
      host = host.substring(1, host.length() - 1);
    }
    IpAddress parsed = IpAddress.tryParse(host);
    if (parsed == null) {
      return Optional.empty();
    }
    if (parsed.ipv6() != bracketed) {
      return Optional.empty();
    }
    return Optional.of(parsed.ipv6() ? "[" + parsed + "]:" + p : parsed + ":" + p);
  }

  static TreeMap<String, String> posture(Map<String, String> raw) throws RegistryException {
    if (raw.size() > 32) {
      throw new RegistryException(Code.BAD_REQUEST, "at most 32 posture facts, got " + raw.size());
    }
    TreeMap<String, String> out = new TreeMap<>();
    for (Map.Entry<String, String> e : raw.entrySet()) {
      String v = e.getValue();
      if (e.getKey() == null
          || !POSTURE_KEY.matcher(e.getKey()).matches()
          || v == null
          || v.length() > 256
          || v.chars().anyMatch(Character::isISOControl)) {
        throw new RegistryException(
            Code.BAD_REQUEST,
            "posture fact '"
                + Names.printable(e.getKey())
                + "' is malformed: names look like node:os or custom:NAME, values are at most 256 printable characters");
      }
      out.put(e.getKey(), v);
    }
    return out;
  }
}
