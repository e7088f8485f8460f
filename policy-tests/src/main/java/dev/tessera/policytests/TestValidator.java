package dev.tessera.policytests;

import dev.tessera.net.IpAddress;
import dev.tessera.net.IpCidr;
import dev.tessera.net.IpProtocol;
import dev.tessera.policy.ast.AutoGroup;
import dev.tessera.policy.ast.Protocol;
import dev.tessera.policy.ast.SourceSpan;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Turns raw {@link TestSpec}s into checkable {@link Assertion}s, applying Tailscale's test-validity
 * rules (tailscale-policy-semantics.md section 8; headscale's {@code policytest_results} captures
 * of Tailscale SaaS verdicts):
 *
 * <ul>
 *   <li>{@code src} is one user, group, tag, host alias (single address), IP, or one of {@code
 *       autogroup:member}, {@code autogroup:tagged}, the role autogroups, {@code autogroup:shared}.
 *       Missing, empty, {@code *}, CIDRs, unknown groups/tags/hosts/autogroups fail the test.
 *   <li>{@code proto} is empty, {@code tcp}, {@code udp}, {@code sctp}, {@code icmp}, {@code
 *       ipv6-icmp} or their numbers; other protocols fail. With icmp the destination's port is a
 *       single number, 0 allowed, and means nothing (real policies test {@code tag:x:0} with icmp
 *       and pass; the SaaS captures where icmp fails name port {@code *}, which fails any test).
 *   <li>each destination is one host and one port: {@code target:port} split at the last colon
 *       ({@code [v6]:port} too), port a decimal 1-65535. Port lists, ranges, {@code *}, CIDRs (even
 *       {@code /32}), host aliases naming a CIDR, {@code autogroup:internet}, unknown
 *       tags/groups/hosts and bad ports fail.
 *   <li>an entry needs {@code accept} or {@code deny}. Duplicate entries are fine.
 * </ul>
 *
 * A failure here is a failing test (exit 1), reported at the entry's position, as Tailscale rejects
 * the policy with {@code test(s) failed}; it is not an invalid-input error.
 */
public final class TestValidator {

  /** Names the policy defines; what makes a group, tag or host "known". */
  public record Names(Map<String, IpCidr> hosts, Set<String> groups, Set<String> tags) {
    public Names {
      hosts = Map.copyOf(hosts);
      groups = Set.copyOf(groups);
      tags = Set.copyOf(tags);
    }
  }

  /** Assertions and invalid entries of one test, in written order. */
  record Validated(List<Assertion> assertions, List<Invalid> invalid) {
    public Validated {
      assertions = List.copyOf(assertions);
      invalid = List.copyOf(invalid);
    }
  }

  /**
   * A test entry (or one of its destinations) that Tailscale would count as failed before any
   * packet is considered.
   *
   * @param testIndex 0-based index of the entry among all tests of the run
   * @param span where to point: the bad value, or the entry
   * @param subject what is quoted in the report, e.g. {@code tag:web:*} or {@code src ""}
   */
  public record Invalid(int testIndex, SourceSpan span, String subject, String reason) {}

  private final Names names;

  TestValidator(Names names) {
    this.names = names;
  }

  Validated validate(int testIndex, TestSpec spec) {
    List<Assertion> out = new ArrayList<>();
    List<Invalid> bad = new ArrayList<>();
    // Entry-level checks first: when they fail, the destinations are never evaluated.
    if (spec.src().isEmpty()) {
      bad.add(new Invalid(testIndex, spec.span(), "test", "missing \"src\""));
      return new Validated(out, bad);
    }
    TestSpec.Text srcText = spec.src().get();
    Either<TestTarget> src = parseSource(srcText.value());
    if (src.error() != null) {
      bad.add(
          new Invalid(testIndex, srcText.span(), "src \"" + srcText.value() + "\"", src.error()));
      return new Validated(out, bad);
    }
    OptionalInt proto = OptionalInt.empty();
    if (spec.proto().isPresent() && !spec.proto().get().value().isEmpty()) {
      TestSpec.Text p = spec.proto().get();
      Either<Integer> pr = parseProto(p.value());
      if (pr.error() != null) {
        bad.add(new Invalid(testIndex, p.span(), "proto \"" + p.value() + "\"", pr.error()));
        return new Validated(out, bad);
      }
      proto = OptionalInt.of(pr.value());
    }
    if (spec.accept().isEmpty() && spec.deny().isEmpty()) {
      bad.add(
          new Invalid(
              testIndex, spec.span(), "test", "a test needs \"accept\" or \"deny\" destinations"));
      return new Validated(out, bad);
    }
    for (var e :
        List.of(
            Map.entry(Assertion.Expect.ALLOW, spec.accept()),
            Map.entry(Assertion.Expect.DENY, spec.deny()))) {
      for (TestSpec.Text d : e.getValue()) {
        Either<Dst> dst =
            parseDestination(
                d.value(),
                src.value(),
                proto.isPresent()
                    && (proto.getAsInt() == IpProtocol.ICMP
                        || proto.getAsInt() == IpProtocol.ICMPV6));
        if (dst.error() != null) {
          bad.add(new Invalid(testIndex, d.span(), d.value(), dst.error()));
        } else {
          out.add(
              new Assertion(
                  testIndex,
                  d.span(),
                  spec.span(),
                  e.getKey(),
                  src.value(),
                  srcText.value(),
                  dst.value().target(),
                  d.value(),
                  dst.value().port(),
                  proto));
        }
      }
    }
    return new Validated(out, bad);
  }

  // -- sources -----------------------------------------------------------------------------------

  Either<TestTarget> parseSource(String s) {
    String text = s.strip();
    if (text.isEmpty()) {
      return Either.error("the source is empty");
    }
    if (text.equals("*")) {
      return Either.error("\"*\" is not one source; name a user, group, tag, host or IP");
    }
    Either<TestTarget> t = parseTarget(text);
    if (t.error() != null) {
      return t;
    }
    if (t.value() instanceof TestTarget.Service) {
      return Either.error("a service is a destination, not a source");
    }
    if (t.value() instanceof TestTarget.Auto a) {
      return switch (a.group()) {
        case MEMBER,
            TAGGED,
            SHARED,
            OWNER,
            ADMIN,
            IT_ADMIN,
            NETWORK_ADMIN,
            BILLING_ADMIN,
            AUDITOR ->
            t;
        case SELF -> Either.error("autogroup:self is not valid as a source");
        case INTERNET -> Either.error("autogroup:internet is not valid as a source");
        case DANGER_ALL -> Either.error("autogroup:danger-all is every address, not one source");
      };
    }
    return t;
  }

  // -- protocols ---------------------------------------------------------------------------------

  static Either<Integer> parseProto(String text) {
    Optional<Protocol> p = Protocol.parse(text.strip());
    if (p.isEmpty()) {
      return Either.error("unknown protocol");
    }
    int n = p.get().number();
    if (n == IpProtocol.TCP
        || n == IpProtocol.UDP
        || n == IpProtocol.SCTP
        || n == IpProtocol.ICMP
        || n == IpProtocol.ICMPV6) {
      return Either.of(n);
    }
    return Either.error("only tcp, udp, sctp and icmp (6, 17, 132, 1, 58) can be tested");
  }

  // -- destinations ------------------------------------------------------------------------------

  record Dst(TestTarget target, int port) {}

  Either<Dst> parseDestination(String raw, TestTarget src) {
    return parseDestination(raw, src, false);
  }

  /** {@code icmp}: the port means nothing, so 0 is allowed too. */
  Either<Dst> parseDestination(String raw, TestTarget src, boolean icmp) {
    String text = raw.strip();
    String host;
    String port;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
        return Either.error("expected [IPv6]:port");
      }
      host = text.substring(1, close);
      port = text.substring(close + 2);
      if (IpAddress.tryParse(host) == null) {
        return Either.error("\"" + host + "\" in brackets is not an IPv6 address");
      }
    } else {
      int colon = text.lastIndexOf(':');
      if (colon <= 0) {
        return Either.error("expected host:port");
      }
      host = text.substring(0, colon);
      port = text.substring(colon + 1);
    }
    Either<Integer> p = icmp && port.equals("0") ? Either.of(0) : parsePort(port);
    if (p.error() != null) {
      return Either.error(p.error());
    }
    if (host.equals("*")) {
      return Either.error("\"*\" is not one host");
    }
    Either<TestTarget> t = parseTarget(host);
    if (t.error() != null) {
      return Either.error(t.error());
    }
    if (t.value() instanceof TestTarget.Auto a) {
      switch (a.group()) {
        case SELF -> {
          if (!(src instanceof TestTarget.User
              || src instanceof TestTarget.Group
              || (src instanceof TestTarget.Auto sa
                  && (sa.group() == AutoGroup.MEMBER || sa.group().isRole())))) {
            return Either.error("autogroup:self needs a user or group source");
          }
        }
        case MEMBER, TAGGED -> {}
        case INTERNET -> {
          return Either.error("autogroup:internet is not a testable destination");
        }
        case SHARED, DANGER_ALL, OWNER, ADMIN, IT_ADMIN, NETWORK_ADMIN, BILLING_ADMIN, AUDITOR -> {
          return Either.error(a.group().text() + " is not valid as a destination");
        }
      }
    }
    return Either.of(new Dst(t.value(), p.value()));
  }

  static Either<Integer> parsePort(String port) {
    if (port.isEmpty()) {
      return Either.error("missing port");
    }
    if (port.equals("*")) {
      return Either.error("a test names one port, not \"*\"");
    }
    if (port.indexOf(',') >= 0) {
      return Either.error("a test names one port, not a list");
    }
    if (port.indexOf('-') > 0) {
      return Either.error("a test names one port, not a range");
    }
    if (port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return Either.error("port \"" + port + "\" is not a number 1-65535");
    }
    int v = Integer.parseInt(port);
    if (v < 1 || v > 65535) {
      return Either.error("port " + v + " is out of range 1-65535");
    }
    return Either.of(v);
  }

  /** Common to sources and destinations: the target kinds and whether the policy knows them. */
  Either<TestTarget> parseTarget(String text) {
    if (text.startsWith("tag:")) {
      String name = text.substring(4);
      return names.tags().contains(name)
          ? Either.of(new TestTarget.Tag(name))
          : Either.error("tag \"" + text + "\" is not defined in tagOwners");
    }
    if (text.startsWith("group:")) {
      String name = text.substring(6);
      return names.groups().contains(name)
          ? Either.of(new TestTarget.Group(name))
          : Either.error("group \"" + text + "\" is not defined");
    }
    if (text.startsWith("svc:")) {
      return dev.tessera.policy.syntax.Values.validServiceName(text.substring(4))
          ? Either.of(new TestTarget.Service(text.substring(4)))
          : Either.error("\"" + text + "\" is not a service name");
    }
    if (text.startsWith("autogroup:")) {
      return AutoGroup.byName(text.substring(10))
          .<Either<TestTarget>>map(g -> Either.of(new TestTarget.Auto(g)))
          .orElseGet(() -> Either.error("unknown autogroup \"" + text + "\""));
    }
    if (text.contains("@")) {
      return Either.of(new TestTarget.User(text));
    }
    if (text.indexOf('/') >= 0) {
      return IpCidr.tryParse(text) != null
          ? Either.error("\"" + text + "\" is a network (CIDR), not one host")
          : Either.error("\"" + text + "\" is not a valid address or CIDR");
    }
    IpAddress ip = IpAddress.tryParse(text);
    if (ip != null) {
      return Either.of(new TestTarget.Address(ip));
    }
    if (text.startsWith("ipset:")) {
      return Either.error("an ipset is not one host");
    }
    IpCidr host = names.hosts().get(text);
    if (host == null) {
      return Either.error("host \"" + text + "\" is not defined in hosts");
    }
    if (!host.isHost()) {
      return Either.error(
          "host \"" + text + "\" is the network " + host.toCompactString() + ", not one host");
    }
    return Either.of(new TestTarget.Host(text, host.address()));
  }

  /** A value or an error message; exactly one is non-null. */
  record Either<T>(T value, String error) {
    static <T> Either<T> of(T v) {
      return new Either<>(v, null);
    }

    static <T> Either<T> error(String e) {
      return new Either<>(null, e);
    }
  }
}
