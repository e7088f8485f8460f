package dev.tessera.bench.enforcer;

import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Short JMH run of {@link EnforcerBenchmark} with the GC profiler (B/op), sized for a shared 2-core
 * box: 1 fork, 3 x 1 s warm-up, 3 x 1 s measurement. Extra arguments are JMH include patterns, e.g.
 * {@code established} to run one benchmark.
 */
public final class RunEnforcerBenchmarks {
  private RunEnforcerBenchmarks() {}

  public static void main(String[] args) throws RunnerException {
    OptionsBuilder b = new OptionsBuilder();
    if (args.length == 0) {
      b.include(EnforcerBenchmark.class.getName() + ".*");
    } else {
      for (String a : args) {
        b.include(EnforcerBenchmark.class.getName() + "." + a);
      }
    }
    Options o =
        b.forks(1)
            .warmupIterations(3)
            .warmupTime(TimeValue.seconds(1))
            .measurementIterations(3)
            .measurementTime(TimeValue.seconds(1))
            .addProfiler("gc")
            .build();
    new Runner(o).run();
  }
}
