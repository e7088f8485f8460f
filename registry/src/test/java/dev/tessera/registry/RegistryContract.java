package dev.tessera.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.net.IpPrefix;
import dev.tessera.registry.RegistryException.Code;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The registry's behaviour, run against each database ({@link SqliteRegistryTest}, {@link
 * PostgresRegistryTest}). Every refusal is checked to leave the registry exactly as it was (nodes,
 * keys and their uses, users, audit trail, revision).
 */
abstract class RegistryContract {
  static final PolicyChecks.TagOwnership OWNERS =
      (user, tag) ->
          user.equals("admin@example.com") && (tag.equals("tag:server") || tag.equals("tag:exit"));
  static final PolicyChecks POLICY =
      new PolicyChecks(OWNERS, (route, user, tags) -> route.equals("10.1.0.0/16"));
  static final SecureRandom RANDOM = new SecureRandom();

  final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final List<Registry> opened = new ArrayList<>();

  /** A database URL nothing has used yet. */
  abstract String freshUrl() throws Exception;

  Registry registry(RegistryConfig config) throws Exception {
    Registry r = new Registry(Database.open(freshUrl()), config, clock);
    opened.add(r);
    return r;
  }

  Registry registry() throws Exception {
    return registry(RegistryConfig.defaults());
  }

  @AfterEach
  void closeAll() {
    opened.forEach(Registry::close);
  }

  static String newKey() {
    byte[] k = new byte[32];
    RANDOM.nextBytes(k);
    return Base64.getEncoder().encodeToString(k);
  }

  static Enrollment enrollment(String key, String host) {
    return new Enrollment(key, newKey(), host, List.of(), false);
  }

  String userKey(Registry r, boolean reusable) throws RegistryException {
    return r.createAuthKey(
            "cli",
            new AuthKeySpec(
                "alice@example.com",
                List.of(),
                reusable,
                false,
                Optional.of(Duration.ofHours(24)),
                false),
            OWNERS)
        .secret();
  }

  /** Everything a refused request must leave untouched. */
  record Snapshot(
      List<Node> nodes, List<AuthKey> keys, List<User> users, int audit, long revision) {
    static Snapshot of(Registry r) throws RegistryException {
      return new Snapshot(
          r.nodes(), r.authKeys(), r.users(), r.audit(100_000).size(), r.revision());
    }
  }

  void assertRefused(Registry r, Code code, String messagePart, Callable<?> request)
      throws Exception {
    Snapshot before = Snapshot.of(r);
    assertThatThrownBy(request::call)
        .isInstanceOfSatisfying(
            RegistryException.class,
            e -> {
              assertThat(e.code()).isEqualTo(code);
              assertThat(e.getMessage()).contains(messagePart);
            });
    assertThat(Snapshot.of(r)).as("nothing written").isEqualTo(before);
  }

  @Test
  void enrollsAUserDeviceWithAddressesExpiryAndAudit() throws Exception {
    Registry r = registry();
    String key = userKey(r, false);
    Enrollment e = new Enrollment(key, newKey(), "Laptop", List.of(), false);
    long rev = r.revision();
    Node n = r.enroll(e, POLICY);
    assertThat(n.name()).isEqualTo("laptop");
    assertThat(n.user()).contains("alice@example.com");
    assertThat(n.tags()).isEmpty();
    assertThat(n.publicKey()).isEqualTo(e.publicKey());
    assertThat(n.ipv4()).isEqualTo("100.64.0.1");
    assertThat(n.ipv6()).isEqualTo("fd7a:115c:a1e0::1");
    assertThat(n.keyExpiry()).contains(clock.instant().plus(Duration.ofDays(180)));
    assertThat(n.ephemeral()).isFalse();
    assertThat(r.revision()).isGreaterThan(rev);
    assertThat(r.nodeByKey(e.publicKey())).contains(n);
    AuditEntry last = r.audit(1).getFirst();
    assertThat(last.action()).isEqualTo("node-enrolled");
    assertThat(last.subject()).isEqualTo("laptop");
    assertThat(last.detail())
        .containsEntry("addresses", List.of("100.64.0.1", "fd7a:115c:a1e0::1"));
    assertThat(r.authKeys().getFirst().uses()).isEqualTo(1);
  }

  @Test
  void secretsAreStoredOnlyAsHashes() throws Exception {
    Registry r = registry();
    NewAuthKey k =
        r.createAuthKey(
            "cli", AuthKeySpec.forUser("alice@example.com", Duration.ofHours(1)), OWNERS);
    // tskey-ID-SECRET: the secret itself may contain '-', so cut after the known prefix
    String secretPart = k.secret().substring(("tskey-" + k.key().id() + "-").length());
    assertThat(secretPart).hasSizeGreaterThan(16);
    r.enroll(enrollment(k.secret(), "a"), POLICY);
    assertThat(k.toString()).doesNotContain(secretPart);
    StringBuilder everything = new StringBuilder();
    try (Connection c = r.database().dataSource().getConnection();
        Statement s = c.createStatement()) {
      for (String table : List.of("users", "auth_keys", "nodes", "audit")) {
        try (ResultSet rs = s.executeQuery("SELECT * FROM " + table)) {
          int cols = rs.getMetaData().getColumnCount();
          while (rs.next()) {
            for (int i = 1; i <= cols; i++) {
              everything.append(rs.getString(i)).append('\n');
            }
          }
        }
      }
    }
    assertThat(everything.toString()).contains(k.key().id()).doesNotContain(secretPart);
  }

  @Test
  void addressesAreStableAndNeverGivenTwice() throws Exception {
    Registry r = registry();
    String key = userKey(r, true);
    List<Node> nodes = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      nodes.add(r.enroll(enrollment(key, "n" + i), POLICY));
    }
    assertThat(nodes)
        .extracting(Node::ipv4)
        .containsExactly("100.64.0.1", "100.64.0.2", "100.64.0.3", "100.64.0.4", "100.64.0.5");
    r.delete("cli", "n1");
    r.rename("cli", "n3", "renamed");
    Node again = r.enroll(enrollment(key, "n5"), POLICY);
    Set<String> v4 = new HashSet<>();
    Set<String> v6 = new HashSet<>();
    for (Node n : r.nodes()) {
      assertThat(v4.add(n.ipv4())).as("unique " + n.ipv4()).isTrue();
      assertThat(v6.add(n.ipv6())).as("unique " + n.ipv6()).isTrue();
    }
    assertThat(again.ipv4()).isEqualTo("100.64.0.2"); // the lowest address no node holds
    assertThat(r.node("renamed").orElseThrow().ipv4()).isEqualTo("100.64.0.4");
    assertThat(r.node("n4").orElseThrow()).isEqualTo(nodes.get(4));
  }

  @Test
  void skipsTheServiceAddress() throws Exception {
    Registry r =
        registry(
            RegistryConfig.defaults()
                .withPools(IpPrefix.parse("100.100.100.98/31"), RegistryConfig.DEFAULT_IPV6));
    String key = userKey(r, true);
    assertThat(r.enroll(enrollment(key, "a"), POLICY).ipv4()).isEqualTo("100.100.100.98");
    assertThat(r.enroll(enrollment(key, "b"), POLICY).ipv4()).isEqualTo("100.100.100.99");
    Registry r2 =
        registry(
            RegistryConfig.defaults()
                .withPools(IpPrefix.parse("100.100.100.100/31"), RegistryConfig.DEFAULT_IPV6));
    String key2 = userKey(r2, true);
    assertThat(r2.enroll(enrollment(key2, "a"), POLICY).ipv4()).isEqualTo("100.100.100.101");
  }

  @Test
  void configurablePoolsAndExhaustionIsAClearErrorThatWritesNothing() throws Exception {
    Registry r =
        registry(
            new RegistryConfig(
                IpPrefix.parse("10.99.0.0/30"),
                IpPrefix.parse("fd00:99::/120"),
                Duration.ofDays(1)));
    String key = userKey(r, true);
    assertThat(r.enroll(enrollment(key, "a"), POLICY))
        .extracting(Node::ipv4, Node::ipv6)
        .containsExactly("10.99.0.1", "fd00:99::1");
    assertThat(r.enroll(enrollment(key, "b"), POLICY).ipv4()).isEqualTo("10.99.0.2");
    assertRefused(
        r, Code.ADDRESSES_EXHAUSTED, "10.99.0.0/30", () -> r.enroll(enrollment(key, "c"), POLICY));
    r.delete("cli", "a");
    assertThat(r.enroll(enrollment(key, "c"), POLICY).ipv4()).isEqualTo("10.99.0.1");
  }

  @Test
  void oneOffKeysWorkOnceReusableKeysAgain() throws Exception {
    Registry r = registry();
    String once = userKey(r, false);
    r.enroll(enrollment(once, "a"), POLICY);
    assertRefused(
        r, Code.AUTH_KEY_USED, "already used", () -> r.enroll(enrollment(once, "b"), POLICY));
    String many = userKey(r, true);
    for (int i = 0; i < 3; i++) {
      r.enroll(enrollment(many, "m"), POLICY);
    }
    assertThat(r.nodes()).extracting(Node::name).containsExactly("a", "m", "m-1", "m-2");
  }

  @Test
  void expiredRevokedUnknownAndMalformedKeysAreRefused() throws Exception {
    Registry r = registry();
    String key = userKey(r, true);
    clock.advance(Duration.ofHours(25));
    assertRefused(
        r, Code.AUTH_KEY_EXPIRED, "expired", () -> r.enroll(enrollment(key, "a"), POLICY));
    NewAuthKey revoked =
        r.createAuthKey(
            "cli", AuthKeySpec.forUser("alice@example.com", Duration.ofHours(1)), OWNERS);
    r.revokeAuthKey("cli", revoked.key().id());
    assertThat(r.audit(1).getFirst().action()).isEqualTo("authkey-revoked");
    assertRefused(
        r,
        Code.AUTH_KEY_REVOKED,
        "revoked",
        () -> r.enroll(enrollment(revoked.secret(), "a"), POLICY));
    String wrongSecret = revoked.secret().substring(0, revoked.secret().length() - 4) + "AAAA";
    String fresh = userKey(r, true);
    String forged =
        fresh.substring(0, fresh.length() - 4) + (fresh.endsWith("AAAA") ? "BBBB" : "AAAA");
    assertRefused(
        r,
        Code.UNKNOWN_AUTH_KEY,
        "unknown auth key",
        () -> r.enroll(enrollment(forged, "a"), POLICY));
    assertRefused(
        r,
        Code.UNKNOWN_AUTH_KEY,
        "unknown auth key",
        () -> r.enroll(enrollment("tskey-0000000000000000-" + "A".repeat(43), "a"), POLICY));
    for (String bad :
        List.of("", "tskey", "tskey-xyz-abc", wrongSecret + "x", "TSKEY-" + fresh.substring(6))) {
      assertRefused(
          r,
          Code.MALFORMED_AUTH_KEY,
          "not an auth key",
          () -> r.enroll(enrollment(bad, "a"), POLICY));
    }
    assertRefused(
        r, Code.UNKNOWN_AUTH_KEY, "no auth key", () -> r.revokeAuthKey("cli", "ffffffffffffffff"));
  }

  @Test
  void tagsMustBeOwnedByTheCreatorAtCreationAndAtUse() throws Exception {
    Registry r = registry();
    assertRefused(
        r,
        Code.TAG_NOT_OWNED,
        "alice@example.com does not own tag:server",
        () ->
            r.createAuthKey(
                "cli",
                new AuthKeySpec(
                    "alice@example.com",
                    List.of("tag:server"),
                    true,
                    false,
                    Optional.empty(),
                    false),
                OWNERS));
    assertRefused(
        r,
        Code.MALFORMED_TAG,
        "not a tag",
        () ->
            r.createAuthKey(
                "cli",
                new AuthKeySpec(
                    "admin@example.com", List.of("server"), true, false, Optional.empty(), false),
                OWNERS));
    NewAuthKey tagged =
        r.createAuthKey(
            "cli",
            new AuthKeySpec(
                "admin@example.com", List.of("tag:server"), true, false, Optional.empty(), false),
            OWNERS);
    Node n = r.enroll(enrollment(tagged.secret(), "db"), POLICY);
    assertThat(n.tags()).containsExactly("tag:server");
    assertThat(n.isTagged()).isTrue();
    assertThat(n.user()).contains("admin@example.com");
    PolicyChecks changed = new PolicyChecks((u, t) -> false, POLICY.routes());
    assertRefused(
        r,
        Code.TAG_NOT_OWNED,
        "admin@example.com does not own tag:server",
        () -> r.enroll(enrollment(tagged.secret(), "db2"), changed));
    // Checks that cannot be made now refuse a key with tags, or routes, with their reason; a node
    // without either needs no policy and enrolls.
    PolicyChecks stale = PolicyChecks.unavailable("the policy is being read");
    assertRefused(
        r,
        Code.POLICY_UNAVAILABLE,
        "cannot enroll a node with tags now: the policy is being read",
        () -> r.enroll(enrollment(tagged.secret(), "db2"), stale));
    String plain = userKey(r, true);
    assertRefused(
        r,
        Code.POLICY_UNAVAILABLE,
        "cannot enroll a node advertising routes now: the policy is being read",
        () ->
            r.enroll(new Enrollment(plain, newKey(), "gw", List.of("10.1.0.0/16"), false), stale));
    assertThat(r.enroll(enrollment(plain, "plain"), stale).tags()).isEmpty();
    assertRefused(
        r,
        Code.TAG_NOT_OWNED,
        "does not own tag:other",
        () -> r.setTags("admin@example.com", "db", List.of("tag:other"), OWNERS));
    assertThat(
            r.setTags("admin@example.com", "db", List.of("tag:exit", "tag:server"), OWNERS).tags())
        .containsExactly("tag:exit", "tag:server");
    // Whoever tags a node becomes its tagger, the user the compiler checks tagOwners for.
    Node user = r.enroll(enrollment(userKey(r, true), "desk"), POLICY);
    assertThat(user.user()).isNotEqualTo(Optional.of("admin@example.com"));
    Node tagged2 = r.setTags("admin@example.com", "desk", List.of("tag:server"), OWNERS);
    assertThat(tagged2.user()).contains("admin@example.com");
    assertThat(tagged2.isTagged()).isTrue();
  }

  @Test
  void publicKeysMustBeWellFormedAndNew() throws Exception {
    Registry r = registry();
    String key = userKey(r, true);
    Enrollment first = enrollment(key, "a");
    r.enroll(first, POLICY);
    assertRefused(
        r,
        Code.DUPLICATE_PUBLIC_KEY,
        "already registered as node 'a'",
        () -> r.enroll(new Enrollment(key, first.publicKey(), "b", List.of(), false), POLICY));
    for (String bad :
        List.of(
            "",
            "not base64!",
            Base64.getEncoder().encodeToString(new byte[31]),
            Base64.getEncoder().encodeToString(new byte[32]))) {
      assertRefused(
          r,
          Code.MALFORMED_PUBLIC_KEY,
          "public key",
          () -> r.enroll(new Enrollment(key, bad, "b", List.of(), false), POLICY));
    }
  }

  @Test
  void malformedHostnamesAreRefused() throws Exception {
    Registry r = registry();
    String key = userKey(r, true);
    for (String bad :
        List.of("", "-web", "web-", "a_b", "a.b", "we b", "x".repeat(64), "caf\u00e9", "a\nb")) {
      assertRefused(
          r,
          Code.MALFORMED_HOSTNAME,
          "not a DNS label",
          () -> r.enroll(enrollment(key, bad), POLICY));
    }
    assertThat(r.enroll(enrollment(key, "x".repeat(63)), POLICY).name()).hasSize(63);
    assertThat(r.enroll(enrollment(key, "x".repeat(63)), POLICY).name())
        .isEqualTo("x".repeat(61) + "-1");
    assertRefused(
        r,
        Code.NAME_TAKEN,
        "already named",
        () -> r.rename("cli", "x".repeat(61) + "-1", "x".repeat(63)));
    assertRefused(
        r,
        Code.MALFORMED_HOSTNAME,
        "not a DNS label",
        () -> r.rename("cli", "x".repeat(63), "a.b"));
  }

  @Test
  void aNodeChangesWhatItAdvertisesAndApprovalIsWorkedOutAgain() throws Exception {
    Registry r = registry();
    String key = userKey(r, true);
    Node router =
        r.enroll(
            new Enrollment(key, newKey(), "router", List.of("10.2.0.0/16", "10.3.0.0/16"), false),
            POLICY);
    r.approveRoutes("cli", "router", List.of("10.2.0.0/16"));
    long revision = r.revision();

    // 10.2 stays approved, 10.3 goes, 10.1 is approved by autoApprovers, the exit routes wait.
    Node changed =
        r.advertise(
            router.publicKey(),
            List.of("0.0.0.0/0", "::/0", "10.1.0.0/16", "10.2.0.0/16"),
            POLICY.routes());
    assertThat(changed.advertisedRoutes())
        .containsExactly("0.0.0.0/0", "10.1.0.0/16", "10.2.0.0/16", "::/0");
    assertThat(changed.approvedRoutes()).containsExactly("10.1.0.0/16", "10.2.0.0/16");
    assertThat(r.revision()).isEqualTo(revision + 1);
    assertThat(r.audit(1).getLast().action()).isEqualTo("routes-advertised");
    assertThat(r.audit(1).getLast().actor()).isEqualTo("node:router");

    // The same routes again (in another order) write nothing.
    Snapshot before = Snapshot.of(r);
    r.advertise(
        router.publicKey(),
        List.of("10.2.0.0/16", "::/0", "10.1.0.0/16", "0.0.0.0/0"),
        POLICY.routes());
    assertThat(Snapshot.of(r)).isEqualTo(before);

    // Checks that cannot be made now: a change that keeps a route not approved yet is refused
    // (nothing written, so a later report decides it); one keeping only approved routes is taken.
    PolicyChecks stale = PolicyChecks.unavailable("the policy is being read");
    assertRefused(
        r,
        Code.POLICY_UNAVAILABLE,
        "cannot take new advertised routes of node 'router' now: the policy is being read",
        () ->
            r.advertise(
                router.publicKey(), List.of("10.1.0.0/16", "10.2.0.0/16", "10.4.0.0/16"), stale));
    Node kept = r.advertise(router.publicKey(), List.of("10.1.0.0/16", "10.2.0.0/16"), stale);
    assertThat(kept.advertisedRoutes()).containsExactly("10.1.0.0/16", "10.2.0.0/16");
    assertThat(kept.approvedRoutes()).containsExactly("10.1.0.0/16", "10.2.0.0/16");

    // Advertising nothing withdraws every route and its approval.
    Node none = r.advertise(router.publicKey(), List.of(), POLICY.routes());
    assertThat(none.advertisedRoutes()).isEmpty();
    assertThat(none.approvedRoutes()).isEmpty();
    // ... and a route advertised again needs approval again.
    assertThat(
            r.advertise(router.publicKey(), List.of("10.2.0.0/16"), POLICY.routes())
                .approvedRoutes())
        .isEmpty();

    assertRefused(
        r,
        Code.MALFORMED_ROUTE,
        "not a route",
        () -> r.advertise(router.publicKey(), List.of("10.9.0.1/16"), POLICY.routes()));
    assertRefused(
        r,
        Code.UNKNOWN_NODE,
        "no node",
        () -> r.advertise(newKey(), List.of("10.1.0.0/16"), POLICY.routes()));
  }

  @Test
  void routesAreApprovedByTheKeyThePolicyOrAnAdministrator() throws Exception {
    Registry r = registry();
    String key = userKey(r, true);
    Node router =
        r.enroll(
            new Enrollment(key, newKey(), "router", List.of("10.1.0.0/16", "10.2.0.0/16"), false),
            POLICY);
    assertThat(router.advertisedRoutes()).containsExactly("10.1.0.0/16", "10.2.0.0/16");
    assertThat(router.approvedRoutes()).containsExactly("10.1.0.0/16"); // autoApprovers
    Node exit = r.enroll(new Enrollment(key, newKey(), "exit", List.of(), true), POLICY);
    assertThat(exit.advertisedRoutes()).containsExactly("0.0.0.0/0", "::/0");
    assertThat(exit.approvedRoutes()).isEmpty();
    assertRefused(
        r,
        Code.ROUTE_NOT_ADVERTISED,
        "does not advertise 10.3.0.0/16",
        () -> r.approveRoutes("cli", "router", List.of("10.3.0.0/16")));
    assertThat(r.approveRoutes("cli", "exit", List.of("0.0.0.0/0", "::/0")).approvedRoutes())
        .containsExactly("0.0.0.0/0", "::/0");
    NewAuthKey pre =
        r.createAuthKey(
            "cli",
            new AuthKeySpec(
                "admin@example.com", List.of("tag:exit"), false, false, Optional.empty(), true),
            OWNERS);
    assertThat(
            r.enroll(new Enrollment(pre.secret(), newKey(), "exit2", List.of(), true), POLICY)
                .approvedRoutes())
        .containsExactly("0.0.0.0/0", "::/0");
    for (String bad :
        List.of("10.1.0.1/16", "10.1.0.0", "10.1.0.0/33", "::1/129", "banana/8", "10.1.0.0/-1")) {
      assertRefused(
          r,
          Code.MALFORMED_ROUTE,
          "not a route",
          () -> r.enroll(new Enrollment(key, newKey(), "r", List.of(bad), false), POLICY));
    }
  }

  @Test
  void reportsChangeEndpointsAndPostureButAnUnchangedReportIsNoChange() throws Exception {
    Registry r = registry();
    Node n = r.enroll(enrollment(userKey(r, false), "a"), POLICY);
    long rev = r.revision();
    Node reported =
        r.report(
            n.publicKey(),
            List.of("192.0.2.1:51820", "[2001:DB8::1]:51820"),
            Map.of("node:os", "linux", "node:tsVersion", "0.1.0"));
    assertThat(reported.endpoints()).containsExactly("192.0.2.1:51820", "[2001:db8::1]:51820");
    assertThat(reported.posture()).containsEntry("node:os", "linux");
    assertThat(r.revision()).isEqualTo(rev + 1);
    assertThat(r.audit(1).getFirst().action()).isEqualTo("node-reported");
    r.report(
        n.publicKey(),
        List.of("192.0.2.1:51820", "[2001:db8::1]:51820"),
        Map.of("node:os", "linux", "node:tsVersion", "0.1.0"));
    assertThat(r.revision()).as("an unchanged report is no change").isEqualTo(rev + 1);
    for (List<String> bad :
        List.of(
            List.of("192.0.2.1"),
            List.of("192.0.2.1:0"),
            List.of("2001:db8::1:80"),
            List.of("host.example:80"),
            List.of("[192.0.2.1]:80"))) {
      assertRefused(
          r, Code.BAD_REQUEST, "not an endpoint", () -> r.report(n.publicKey(), bad, Map.of()));
    }
    assertRefused(
        r,
        Code.BAD_REQUEST,
        "posture fact",
        () -> r.report(n.publicKey(), List.of(), Map.of("os", "linux")));
    assertRefused(
        r,
        Code.UNKNOWN_NODE,
        "no node has the public key",
        () -> r.report(newKey(), List.of(), Map.of()));
  }

  @Test
  void lifecycleExpireRenameDeleteAndIdleEphemeralNodes() throws Exception {
    Registry r = registry();
    Node a = r.enroll(enrollment(userKey(r, false), "a"), POLICY);
    assertThat(a.isExpired(clock.instant())).isFalse();
    Node expired = r.expire("cli", "a");
    assertThat(expired.isExpired(clock.instant())).isTrue();
    assertThat(r.setKeyExpiry("cli", "a", Optional.empty()).keyExpiry()).isEmpty();
    NewAuthKey eph =
        r.createAuthKey(
            "cli",
            new AuthKeySpec("alice@example.com", List.of(), true, true, Optional.empty(), false),
            OWNERS);
    Node e1 = r.enroll(enrollment(eph.secret(), "ci-runner"), POLICY);
    Node e2 = r.enroll(enrollment(eph.secret(), "ci-runner"), POLICY);
    assertThat(e1.ephemeral()).isTrue();
    clock.advance(Duration.ofMinutes(10));
    r.report(e2.publicKey(), List.of(), Map.of());
    clock.advance(Duration.ofMinutes(10));
    assertThat(r.deleteIdleEphemeral(Duration.ofMinutes(15)))
        .extracting(Node::name)
        .containsExactly("ci-runner");
    assertThat(r.nodes()).extracting(Node::name).containsExactly("a", "ci-runner-1");
    assertThat(r.deleteByKey("node:ci-runner-1", e2.publicKey()).name()).isEqualTo("ci-runner-1");
    assertRefused(r, Code.UNKNOWN_NODE, "no node named 'ghost'", () -> r.delete("cli", "ghost"));
    List<String> actions = r.audit(100).stream().map(AuditEntry::action).toList();
    assertThat(actions)
        .containsSubsequence(
            "user-created",
            "authkey-created",
            "node-enrolled",
            "node-key-expiry",
            "node-key-expiry",
            "authkey-created",
            "node-enrolled",
            "node-enrolled",
            "node-deleted",
            "node-deleted");
  }

  @Test
  void concurrentEnrollmentsGetDistinctAddresses() throws Exception {
    Registry r = registry();
    String key = userKey(r, true);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Node>> futures = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        futures.add(pool.submit(() -> r.enroll(enrollment(key, "node"), POLICY)));
      }
      Set<String> addresses = new HashSet<>();
      Set<String> names = new HashSet<>();
      for (Future<Node> f : futures) {
        Node n = f.get();
        assertThat(addresses.add(n.ipv4())).isTrue();
        assertThat(names.add(n.name())).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(r.nodes()).hasSize(40);
    assertThat(r.authKeys().getFirst().uses()).isEqualTo(40);
  }

  @Test
  void aSecondRegistryOnTheSameDatabaseSeesEveryChange() throws Exception {
    String url = freshUrl();
    try (Registry a = new Registry(Database.open(url), RegistryConfig.defaults(), clock);
        Registry b = new Registry(Database.open(url), RegistryConfig.defaults(), clock)) {
      String key = userKey(a, true);
      Node n = b.enroll(enrollment(key, "x"), POLICY);
      assertThat(a.nodes()).containsExactly(n);
      assertThat(a.revision()).isEqualTo(b.revision());
    }
  }
}
