package dev.tessera.testsupport;

import java.io.IOException;
import java.lang.reflect.AnnotatedElement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.TestAbortedException;

/**
 * Evaluates {@link RequiresRoot}, {@link RequiresTools} and {@link RequiresConformance} for each
 * test method (never for a whole class, so every method that cannot run is reported as skipped with
 * its own reason, and class-level set-up runs only for methods that run).
 *
 * <p>Outside CI an unmet requirement disables the method with the reason. With the environment
 * variable {@code TESSERA_REQUIRE_ALL=1} (or {@code -Dtessera.requireAll=true}), which {@code
 * .ci/run} sets, the method runs into a failure instead: CI is green only if every test ran. A
 * program missing from the tool list fails the method everywhere.
 */
public final class Requirements implements ExecutionCondition, BeforeEachCallback {

  /** Whether this run must not skip anything ({@code TESSERA_REQUIRE_ALL=1}). */
  public static boolean requireAll() {
    return "1".equals(System.getenv("TESSERA_REQUIRE_ALL"))
        || "true".equalsIgnoreCase(System.getenv("TESSERA_REQUIRE_ALL"))
        || Boolean.getBoolean("tessera.requireAll");
  }

  /**
   * For conditions a test can only check in its body: skips the test with {@code reason} when
   * {@code ok} is false, or fails it under {@code TESSERA_REQUIRE_ALL=1}.
   */
  public static void require(boolean ok, String reason) {
    if (ok) {
      return;
    }
    if (requireAll()) {
      throw new AssertionError(reason + " (TESSERA_REQUIRE_ALL=1: nothing may skip)");
    }
    throw new TestAbortedException(reason);
  }

  public static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+")[2].equals("0"); // effective uid
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (context.getTestMethod().isEmpty()) {
      return ConditionEvaluationResult.enabled("requirements are checked per method");
    }
    Unmet u = unmet(context);
    if (u.notListed.isPresent() || u.reasons.isEmpty() || requireAll()) {
      return ConditionEvaluationResult.enabled("requirements met or enforced");
    }
    return ConditionEvaluationResult.disabled(String.join("; ", u.reasons));
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    Unmet u = unmet(context);
    if (u.notListed.isPresent()) {
      throw new AssertionError(
          context.getRequiredTestClass().getSimpleName()
              + "."
              + context.getRequiredTestMethod().getName()
              + ": "
              + u.notListed.get());
    }
    if (!u.reasons.isEmpty()) {
      throw new AssertionError(
          context.getRequiredTestClass().getSimpleName()
              + "."
              + context.getRequiredTestMethod().getName()
              + " cannot run: "
              + String.join("; ", u.reasons)
              + " (TESSERA_REQUIRE_ALL=1: nothing may skip)");
    }
  }

  private record Unmet(List<String> reasons, Optional<String> notListed) {}

  private static Unmet unmet(ExtensionContext context) {
    List<AnnotatedElement> scopes = new ArrayList<>();
    scopes.add(context.getRequiredTestMethod());
    for (Class<?> c = context.getRequiredTestClass(); c != null; c = c.getEnclosingClass()) {
      scopes.add(c);
    }
    List<String> reasons = new ArrayList<>();
    Set<String> tools = new LinkedHashSet<>();
    String rootWhy = null;
    boolean conformance = false;
    for (AnnotatedElement e : scopes) {
      RequiresRoot r = e.getAnnotation(RequiresRoot.class);
      if (r != null && rootWhy == null) {
        rootWhy = r.value();
      }
      RequiresTools t = e.getAnnotation(RequiresTools.class);
      if (t != null) {
        tools.addAll(List.of(t.value()));
      }
      conformance |= e.isAnnotationPresent(RequiresConformance.class);
    }
    if (rootWhy != null && !isRoot()) {
      reasons.add("needs root: " + rootWhy);
    }
    if (!tools.isEmpty()) {
      try {
        Tools.missing(tools.toArray(String[]::new)).ifPresent(reasons::add);
      } catch (AssertionError notListed) {
        return new Unmet(reasons, Optional.of(notListed.getMessage()));
      }
    }
    if (conformance) {
      Conformance.unavailable().ifPresent(reasons::add);
    }
    return new Unmet(reasons, Optional.empty());
  }
}
