package dev.tessera.testsupport;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The test reads the conformance data ({@link Conformance}). Without it (a fresh clone outside the
 * workspace that holds {@code ../shared/conformance}) the method skips with one line saying where
 * the data is looked for; under {@code TESSERA_REQUIRE_ALL=1} it fails instead.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(Requirements.class)
public @interface RequiresConformance {}
