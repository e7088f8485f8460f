package dev.tessera.testsupport;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Random;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * A randomized test: its {@link Seed} parameter is fresh on every run (or {@code
 * -Dtessera.seed=N}), printed when the test starts, and named in the failure with the command that
 * reruns it.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(Seeded.Extension.class)
public @interface Seeded {

  final class Extension implements ParameterResolver, TestExecutionExceptionHandler {
    private static final ExtensionContext.Namespace NS =
        ExtensionContext.Namespace.create(Seeded.class);

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
      return p.getParameter().getType() == Seed.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext c) {
      return c.getStore(NS)
          .getOrComputeIfAbsent(
              "seed",
              k -> {
                Long given = Long.getLong("tessera.seed");
                Seed s = new Seed(given != null ? given : new Random().nextLong());
                System.out.println(
                    "seed " + s.value() + " for " + c.getDisplayName() + " (" + rerun(c, s) + ")");
                return s;
              },
              Seed.class);
    }

    @Override
    public void handleTestExecutionException(ExtensionContext c, Throwable t) throws Throwable {
      Seed s = c.getStore(NS).get("seed", Seed.class);
      if (s == null) {
        throw t;
      }
      AssertionError e =
          new AssertionError("seed " + s.value() + " (" + rerun(c, s) + "): " + t.getMessage(), t);
      e.setStackTrace(t.getStackTrace());
      throw e;
    }

    private static String rerun(ExtensionContext c, Seed s) {
      String cls = c.getRequiredTestClass().getSimpleName();
      String method = c.getTestMethod().map(java.lang.reflect.Method::getName).orElse("");
      return "rerun: -Dtest=" + cls + "#" + method + " -Dtessera.seed=" + s.value();
    }
  }
}
