package dev.tessera.policytests;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.ir.ResolvedRule;
import dev.tessera.enforcer.Matcher;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.ast.HostDef;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PolicyTest;
import dev.tessera.policy.ast.TagOwner;
import dev.tessera.policy.ast.TestDestination;
import dev.tessera.policy.diag.Diagnostic;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.ToIntFunction;
import java.util.stream.IntStream;

/**
 * {@code policyc test} as a library: reads nothing, prints nothing. Given a valid policy, an
 * inventory (or none: one is synthesized), and extra test entries, it
 *
 * <ol>
 *   <li>validates every test entry ({@link TestValidator}; invalid entries are failing tests);
 *   <li>adds a stand-in device for each IP or host-alias destination that no device owns and no
 *       subnet router routes (so that "is 100.103.8.15:22 reachable" can be asked of a filter);
 *       stand-ins have no user and no tags, so no selector other than their own address matches
 *       them and no other device's filter changes;
 *   <li>compiles the policy against that inventory (the real compiler, the real filters);
 *   <li>evaluates every assertion through the enforcer's Matcher on the destination's filter
 *       ({@link Evaluator}); and counts rule coverage.
 * </ol>
 *
 * Compilation problems are returned as diagnostics (exit 2 in the CLI); test failures are outcomes
 * (exit 1).
 */
public final class PolicyTester {

  /** Compiles a policy against an inventory: the compiler's entry point, behind one seam. */
  @FunctionalInterface
  public interface FilterCompiler {
    /** Per-node filters by node name, or the error diagnostics that stopped compilation. */
    Compiled compile(Policy policy, Inventory inventory);
  }

  /**
   * What the compiler gave: a filter per node name, the resolved rules (for explain's "why not")
   * with the node id (index into their bit sets, -1 if unknown) of a node name, and diagnostics
   * (errors mean no filters).
   */
  public record Compiled(
      Map<String, CompiledFilter> filters,
      List<ResolvedRule> rules,
      ToIntFunction<String> nodeId,
      List<Diagnostic> diagnostics) {
    public Compiled {
      filters = Map.copyOf(filters);
      rules = List.copyOf(rules);
      diagnostics = List.copyOf(diagnostics);
    }

    /** Only diagnostics: compilation failed. */
    public static Compiled failed(List<Diagnostic> diagnostics) {
      return new Compiled(Map.of(), List.of(), n -> -1, diagnostics);
    }

    public boolean ok() {
      return diagnostics.stream().noneMatch(Diagnostic::isError);
    }
  }

  /**
   * What to test.
   *
   * @param name the policy file name, for report headers
   * @param inventory the tailnet; empty to synthesize one from the policy
   * @param extraTests entries from external test files, after the policy's own
   */
  public record Input(
      Policy policy,
      String name,
      Optional<Inventory> inventory,
      List<TestSpec> extraTests,
      boolean strict) {
    public Input {
      extraTests = List.copyOf(extraTests);
    }

    /** Not strict: an undetermined assertion does not fail the run. */
    public Input(
        Policy policy, String name, Optional<Inventory> inventory, List<TestSpec> extraTests) {
      this(policy, name, inventory, extraTests, false);
    }
  }

  /** Either a run, or the diagnostics that prevented one. */
  public sealed interface Result {
    record Ran(TestRun run, Evaluator evaluator, Compiled compiled) implements Result {}

    record Rejected(List<Diagnostic> diagnostics) implements Result {
      public Rejected {
        diagnostics = List.copyOf(diagnostics);
      }
    }
  }

  private PolicyTester() {}

  /** The policy's own tests (and the DSL's test statements, which land in the same list). */
  static List<TestSpec> specsOf(Policy policy) {
    List<TestSpec> out = new ArrayList<>();
    for (PolicyTest t : policy.tests()) {
      out.add(specOf(t));
    }
    return out;
  }

  static TestSpec specOf(PolicyTest t) {
    Optional<TestSpec.Text> src =
        t.src() == null
            ? Optional.empty()
            : Optional.of(new TestSpec.Text(t.src().raw(), t.src().span()));
    // The AST keeps proto parsed; its text is the spelling the author used.
    Optional<TestSpec.Text> proto = t.proto().map(p -> new TestSpec.Text(p.toString(), t.span()));
    List<TestSpec.Text> accept = t.accept().stream().map(PolicyTester::text).toList();
    List<TestSpec.Text> deny = t.deny().stream().map(PolicyTester::text).toList();
    return new TestSpec(t.span(), src, proto, accept, deny, !accept.isEmpty(), !deny.isEmpty());
  }

  private static TestSpec.Text text(TestDestination d) {
    return new TestSpec.Text(d.raw(), d.span());
  }

  public static TestValidator.Names names(Policy policy) {
    Map<String, dev.tessera.net.IpCidr> hosts = new HashMap<>();
    for (HostDef h : policy.hosts()) {
      hosts.put(h.name(), h.prefix());
    }
    Set<String> groups = new HashSet<>();
    policy.groups().forEach(g -> groups.add(g.name()));
    Set<String> tags = new HashSet<>();
    for (TagOwner t : policy.tagOwners()) {
      tags.add(t.tag().startsWith("tag:") ? t.tag().substring(4) : t.tag());
    }
    return new TestValidator.Names(hosts, groups, tags);
  }

  public static Result run(Input in, FilterCompiler compiler) {
    long start = System.nanoTime();
    Prepared p = prepare(in);
    Compiled compiled = compiler.compile(in.policy(), p.inventory());
    if (!compiled.ok()) {
      return new Result.Rejected(
          compiled.diagnostics().stream().filter(Diagnostic::isError).toList());
    }
    Result.Ran ran = p.evaluate(compiled, start);
    return in.inventory().isPresent() ? ran : undetermine(in, p, ran, compiler, start);
  }

  /**
   * Without an inventory, the policy does not state every fact a verdict may depend on: the roles
   * of users, whether a named user is in the tailnet at all, and which device (whose, with which
   * tags) holds a tailnet address that a host alias or a test names. The synthesized tailnet
   * answers each one way; here each is also answered the other ways that can change a verdict
   * (rules only allow, so the broadest answer of each kind is enough), in turn:
   *
   * <ul>
   *   <li>every user holds role R, for each role autogroup R the policy names;
   *   <li>every identity-less device holding a tailnet address carries every tag of tagOwners;
   *   <li>those devices belong to U, for each user U a test names;
   *   <li>U is not a member of the tailnet, for each user U only tests name (a user the policy
   *       names elsewhere is taken to be a member).
   * </ul>
   *
   * The policy is compiled again for each, and an assertion whose verdict changes is {@link
   * Outcome.Undetermined}, naming the fact. The other verdicts hold whatever those facts are.
   */
  private static Result.Ran undetermine(
      Input in, Prepared p, Result.Ran ran, FilterCompiler compiler, long start) {
    List<Outcome> outcomes = ran.run().outcomes();
    List<World> worlds = worlds(in.policy(), p.inventory(), outcomes);
    Map<Integer, String> facts = new HashMap<>();
    for (World w : worlds) {
      Compiled c = compiler.compile(in.policy(), w.inventory());
      if (!c.ok()) {
        continue;
      }
      Evaluator ev = new Evaluator(tailnet(w.inventory(), c.filters()), in.policy());
      for (int i = 0; i < outcomes.size(); i++) {
        if (facts.containsKey(i) || !(outcomes.get(i) instanceof Outcome.Checked chk)) {
          continue;
        }
        boolean allowed;
        try {
          allowed = ev.decide(chk.assertion()).allowed();
        } catch (Evaluator.Unresolvable e) {
          continue;
        }
        if (allowed != chk.allowed()) {
          facts.put(i, w.fact().apply(chk.assertion()) + ": give --inventory to decide");
        }
      }
    }
    if (facts.isEmpty()) {
      return ran;
    }
    List<Outcome> out = new ArrayList<>(outcomes.size());
    for (int i = 0; i < outcomes.size(); i++) {
      Outcome o = outcomes.get(i);
      String fact = facts.get(i);
      if (fact != null && o instanceof Outcome.Checked chk) {
        List<dev.tessera.enforcer.format.RuleOrigin> rules =
            switch (chk) {
              case Outcome.Passed x -> x.rules();
              case Outcome.Failed x -> x.rules();
              case Outcome.Undetermined x -> x.rules();
            };
        out.add(new Outcome.Undetermined(chk.assertion(), chk.allowed(), rules, fact));
      } else {
        out.add(o);
      }
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    TestRun run =
        new TestRun(
            in.name(), ran.run().tests(), out, Coverage.of(in.policy(), out), millis, in.strict());
    return new Result.Ran(run, ran.evaluator(), ran.compiled());
  }

  /** A variant of the synthesized tailnet, and how to name the fact it varies for an assertion. */
  private record World(Inventory inventory, java.util.function.Function<Assertion, String> fact) {}

  private static List<World> worlds(Policy policy, Inventory inv, List<Outcome> outcomes) {
    Set<String> logins = new java.util.TreeSet<>();
    Set<String> known = new HashSet<>();
    inv.users().forEach(u -> known.add(u.login()));
    for (Outcome o : outcomes) {
      if (o instanceof Outcome.Checked c) {
        for (TestTarget t : List.of(c.assertion().src(), c.assertion().dst())) {
          if (t instanceof TestTarget.User u && known.contains(u.login())) {
            logins.add(u.login());
          }
        }
      }
    }
    List<World> worlds = new ArrayList<>();
    for (dev.tessera.policy.ast.AutoGroup role :
        dev.tessera.compiler.matrix.SyntheticInventory.rolesNamed(policy)) {
      Inventory v = inv;
      for (String login : known) {
        v =
            dev.tessera.compiler.matrix.SyntheticInventory.withRole(
                v, login, dev.tessera.compiler.inventory.Role.ofAutoGroup(role).orElseThrow());
      }
      worlds.add(
          new World(
              v,
              a ->
                  "depends on whether "
                      + who(a)
                      + " is "
                      + article(role)
                      + " ("
                      + role.text()
                      + ")"));
    }
    Set<String> namedByPolicy = dev.tessera.compiler.matrix.SyntheticInventory.usersNamed(policy);
    List<String> tags = policy.tagOwners().stream().map(t -> "tag:" + t.tag()).toList();
    if (!tags.isEmpty() && inv.nodes().stream().anyMatch(PolicyTester::anonymous)) {
      worlds.add(
          new World(
              rebuild(inv, n -> anonymous(n) ? node(n, null, tags) : n),
              a -> "depends on which tags the device at " + where(a) + " carries"));
    }
    for (String login : logins) {
      if (inv.nodes().stream().anyMatch(PolicyTester::anonymous)) {
        worlds.add(
            new World(
                rebuild(inv, n -> anonymous(n) ? node(n, login, List.of()) : n),
                a -> "depends on whether the device at " + where(a) + " belongs to " + login));
      }
      if (!namedByPolicy.contains(login)) {
        worlds.add(
            new World(
                new Inventory(
                    inv.users().stream().filter(u -> !u.login().equals(login)).toList(),
                    inv.nodes(),
                    inv.services()),
                a ->
                    "depends on whether "
                        + login
                        + " (named only by tests) is a member of this tailnet"));
      }
    }
    return worlds;
  }

  /** An identity-less device (a host alias or a stand-in) holding a tailnet address. */
  private static boolean anonymous(InventoryNode n) {
    return n.user().isEmpty()
        && !n.isTagged()
        && n.routes().isEmpty()
        && n.ips().stream().anyMatch(dev.tessera.compiler.matrix.SyntheticInventory::inTailnet);
  }

  private static InventoryNode node(InventoryNode n, String user, List<String> tags) {
    return new InventoryNode(
        n.name(),
        Optional.ofNullable(user),
        tags,
        n.ips(),
        n.key(),
        n.posture(),
        n.routes(),
        n.span());
  }

  private static Inventory rebuild(
      Inventory inv, java.util.function.UnaryOperator<InventoryNode> f) {
    return new Inventory(inv.users(), inv.nodes().stream().map(f).toList(), inv.services());
  }

  private static String who(Assertion a) {
    if (a.src() instanceof TestTarget.User u) {
      return u.login();
    }
    return a.dst() instanceof TestTarget.User u ? u.login() : "the users it names";
  }

  private static String where(Assertion a) {
    boolean src = a.src() instanceof TestTarget.Host || a.src() instanceof TestTarget.Address;
    boolean dst = a.dst() instanceof TestTarget.Host || a.dst() instanceof TestTarget.Address;
    String d =
        a.dstText().contains(":")
            ? a.dstText().substring(0, a.dstText().lastIndexOf(':'))
            : a.dstText();
    return src && dst
        ? a.srcText() + " or " + d
        : src ? a.srcText() : dst ? d : "an address the test names";
  }

  private static String article(dev.tessera.policy.ast.AutoGroup role) {
    String r =
        switch (role) {
          case IT_ADMIN -> "IT admin";
          case NETWORK_ADMIN -> "network admin";
          case BILLING_ADMIN -> "billing admin";
          default -> role.groupName();
        };
    return (r.startsWith("a") || r.startsWith("o") || r.startsWith("I") ? "an " : "a ") + r;
  }

  /**
   * Steps 1-2 (validation, inventory with stand-ins), so a caller can compile {@link
   * Prepared#inventory()} itself, e.g. a benchmark timing what follows compilation.
   */
  public static Prepared prepare(Input in) {
    List<TestSpec> specs = new ArrayList<>(specsOf(in.policy()));
    specs.addAll(in.extraTests());
    TestValidator validator = new TestValidator(names(in.policy()));
    List<TestValidator.Validated> validated = new ArrayList<>(specs.size());
    for (int i = 0; i < specs.size(); i++) {
      validated.add(validator.validate(i, specs.get(i)));
    }
    Inventory inventory =
        in.inventory()
            .orElseGet(
                () ->
                    dev.tessera.compiler.matrix.SyntheticInventory.forTests(
                        in.policy(), loginsOf(in.extraTests())));
    // Approved service hosts route their services' addresses (as the compiler sees them).
    Inventory hosted =
        dev.tessera.compiler.pass.ServiceHosting.apply(
            in.policy(), inventory, new dev.tessera.policy.diag.Diagnostics());
    return new Prepared(in, specs, validated, withStandIns(hosted, validated));
  }

  /** Validated tests and the inventory to compile them against. */
  public record Prepared(
      Input input,
      List<TestSpec> specs,
      List<TestValidator.Validated> validated,
      Inventory inventory) {
    public Prepared {
      specs = List.copyOf(specs);
      validated = List.copyOf(validated);
    }

    /** Steps 3-4 on a compilation of {@link #inventory()} (must be error-free). */
    public Result.Ran evaluate(Compiled compiled) {
      return evaluate(compiled, System.nanoTime());
    }

    Result.Ran evaluate(Compiled compiled, long startNanos) {
      return evaluate(
          new Evaluator(tailnet(inventory, compiled.filters()), input.policy()),
          compiled,
          startNanos);
    }

    /**
     * Evaluates with an existing evaluator over the same compilation, reusing the Matchers it has
     * built (a benchmark's warm rounds).
     */
    public Result.Ran evaluate(Evaluator evaluator, Compiled compiled) {
      return evaluate(evaluator, compiled, System.nanoTime());
    }

    private Result.Ran evaluate(Evaluator evaluator, Compiled compiled, long startNanos) {
      // Entries are independent and the Evaluator, Tailnet and Matchers are thread-safe, so both
      // cores build destination Matchers (the dominant cost on a large tailnet) at once. The
      // ordered stream keeps the outcomes in test order.
      List<Outcome> outcomes =
          IntStream.range(0, specs.size())
              .parallel()
              .mapToObj(i -> PolicyTester.evaluate(evaluator, specs.get(i), validated.get(i)))
              .flatMap(List::stream)
              .toList();
      long millis = (System.nanoTime() - startNanos) / 1_000_000;
      TestRun run =
          new TestRun(
              input.name(),
              specs.size(),
              outcomes,
              Coverage.of(input.policy(), outcomes),
              millis,
              input.strict());
      return new Result.Ran(run, evaluator, compiled);
    }
  }

  /** Outcomes of one test entry in written order: invalid parts and assertions, by position. */
  static List<Outcome> evaluate(Evaluator evaluator, TestSpec spec, TestValidator.Validated v) {
    String src = spec.src().map(TestSpec.Text::value).orElse("");
    List<Outcome> out = new ArrayList<>();
    boolean srcInvalid =
        !v.invalid().isEmpty()
            && v.assertions().isEmpty()
            && spec.src()
                .map(s -> s.span().sameLocation(v.invalid().getFirst().span()))
                .orElse(true);
    for (TestValidator.Invalid bad : v.invalid()) {
      out.add(new Outcome.Invalid(bad, srcInvalid ? "" : src));
    }
    for (Assertion a : v.assertions()) {
      out.add(outcome(evaluator, a));
    }
    out.sort((x, y) -> x.span().compareTo(y.span()));
    return out;
  }

  static Outcome outcome(Evaluator evaluator, Assertion a) {
    Evaluator.Decision verdict;
    try {
      verdict = evaluator.decide(a);
    } catch (Evaluator.Unresolvable e) {
      return new Outcome.Invalid(
          new TestValidator.Invalid(a.testIndex(), a.span(), a.dstText(), e.getMessage()),
          a.srcText());
    }
    boolean want = a.expect() == Assertion.Expect.ALLOW;
    if (verdict.allowed() == want) {
      // A passing deny proves nothing open: it exercises no rule (README, coverage).
      return new Outcome.Passed(a, verdict.allowed(), want ? verdict.rules() : List.of());
    }
    // Only a failure reads the report text: it is built here, not for every assertion.
    return new Outcome.Failed(a, verdict.allowed(), verdict.rules(), verdict.detail());
  }

  // -- inventory plumbing --------------------------------------------------------------------

  /** User logins external test entries name (sources, and destinations as {@code login:port}). */
  static List<String> loginsOf(List<TestSpec> specs) {
    List<String> out = new ArrayList<>();
    for (TestSpec t : specs) {
      t.src()
          .map(TestSpec.Text::value)
          .map(String::strip)
          .filter(PolicyTester::isLogin)
          .ifPresent(out::add);
      List<TestSpec.Text> dsts = new ArrayList<>(t.accept());
      dsts.addAll(t.deny());
      for (TestSpec.Text d : dsts) {
        String v = d.value().strip();
        int colon = v.lastIndexOf(':');
        if (colon > 0 && isLogin(v.substring(0, colon))) {
          out.add(v.substring(0, colon));
        }
      }
    }
    return out;
  }

  static boolean isLogin(String s) {
    return s.contains("@")
        && !s.startsWith("autogroup:")
        && !s.startsWith("tag:")
        && !s.startsWith("group:");
  }

  /** Adds an identity-less stand-in for each address destination nobody owns or routes. */
  static Inventory withStandIns(Inventory inv, List<TestValidator.Validated> validated) {
    List<TestTarget> dsts = new ArrayList<>();
    for (TestValidator.Validated v : validated) {
      for (Assertion a : v.assertions()) {
        dsts.add(a.dst());
      }
    }
    return withStandIns(inv, dsts);
  }

  /** Adds an identity-less stand-in for each address target nobody owns or routes. */
  static Inventory withStandIns(Inventory inv, Iterable<TestTarget> targets) {
    Set<IpAddress> owned = new HashSet<>();
    List<IpPrefix> routes = new ArrayList<>();
    boolean exit4 = false;
    boolean exit6 = false;
    for (InventoryNode n : inv.nodes()) {
      owned.addAll(n.ips());
      routes.addAll(n.subnetRoutes());
      for (IpPrefix r : n.routes()) {
        exit4 |= r.bits() == 0 && !r.ipv6();
        exit6 |= r.bits() == 0 && r.ipv6();
      }
    }
    Set<IpAddress> missing = new LinkedHashSet<>();
    for (TestTarget t : targets) {
      IpAddress addr =
          switch (t) {
            case TestTarget.Host h -> h.address();
            case TestTarget.Address ad -> ad.address();
            default -> null;
          };
      boolean viaExit =
          addr != null
              && !dev.tessera.compiler.matrix.SyntheticInventory.inTailnet(addr)
              && (addr.ipv6() ? exit6 : exit4);
      if (addr != null
          && !owned.contains(addr)
          && routes.stream().noneMatch(r -> r.contains(addr))
          && !viaExit) {
        missing.add(addr);
      }
    }
    Inventory out = inv;
    for (IpAddress a : missing) {
      out =
          out.withNode(
              InventoryNode.of(
                  Tailnet.STAND_IN_PREFIX + a, null, List.of(), List.of(a), Map.of(), List.of()));
    }
    return out;
  }

  static Tailnet tailnet(Inventory inv, Map<String, CompiledFilter> filters) {
    // One cache for the run: the many destination filters of a compilation share source lists
    // (servers behind one tag), so their Matchers share the source side of the rule tables.
    Matcher.Cache cache = new Matcher.Cache();
    return new Tailnet(
        inv,
        name -> {
          CompiledFilter f = filters.get(name);
          // A node the compiler emitted nothing for admits nothing (fail closed).
          return Matcher.of(f != null ? f : CompiledFilter.denyAll(name), cache);
        });
  }
}
