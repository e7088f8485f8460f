package dev.tessera.compiler.matrix;

/**
 * Where long work is: {@code step(stage, done, total)} after each unit of a stage (a destination
 * node of the matrix, a node of the diff). Called from worker threads, so an implementation must be
 * thread-safe and cheap; {@link #NONE} does nothing.
 */
@FunctionalInterface
public interface Progress {
  Progress NONE = (stage, done, total) -> {};

  void step(String stage, long done, long total);
}
