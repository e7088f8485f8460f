package dev.tessera.testsupport;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The external programs the test runs, each of which must be on the tool list {@code .ci/tools} (a
 * program that is not listed fails the test, installed or not). A method whose programs are not
 * installed reports as skipped with the reason; under {@code TESSERA_REQUIRE_ALL=1} it fails
 * instead. On a class, the programs of the class and of the method add up.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(Requirements.class)
public @interface RequiresTools {
  String[] value();
}
