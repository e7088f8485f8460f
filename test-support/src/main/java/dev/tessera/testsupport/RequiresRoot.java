package dev.tessera.testsupport;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The test needs root (network namespaces, TUN devices, privileged sockets). On a class, it applies
 * to each test method, and each method that cannot run reports as skipped with the reason; under
 * {@code TESSERA_REQUIRE_ALL=1} it fails instead. {@link #value} says what needs root.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(Requirements.class)
public @interface RequiresRoot {
  String value();
}
