package dev.tessera.bench.lang;

import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.print.Printers;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Parse + validate of a large policy (5 MB, 20k rules; goal &lt;= 1 s warm), in each syntax,
 * through the same entry point as {@code policyc check} ({@link Policies#read}: reader, values,
 * semantic validation). The text is the canonical print of {@link LargePolicy}, so all three
 * syntaxes carry the same policy; the setup prints the sizes and fails if the text does not read
 * back valid (a benchmark of an error path would measure the wrong thing).
 *
 * <pre>
 * ./mvnw -q -pl benchmarks -am install -DskipTests
 * java -cp "benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*" \
 *   org.openjdk.jmh.Main ParseBenchmark -wi 3 -w 3s -i 5 -r 3s -f 1    (-p rules=2000 for a quick look)
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx2g"})
public class ParseBenchmark {
  @Param({"HUJSON", "YAML", "TPOL"})
  public Syntax syntax;

  @Param({"20000"})
  public int rules;

  private String text;
  private String name;

  @Setup(Level.Trial)
  public void setup() {
    Policy p = LargePolicy.generate(rules, 42);
    text = Printers.print(p, syntax);
    name = "large." + syntax.name().toLowerCase(java.util.Locale.ROOT);
    PolicyResult r = Policies.read(name, text, syntax);
    if (!r.ok() || !r.partial().equals(p)) {
      throw new IllegalStateException("benchmark policy does not read back valid: " + r.errors());
    }
    System.out.printf(
        "%n%s: %d rules, %.2f MB (UTF-8)%n",
        name, p.acls().size(), text.getBytes(StandardCharsets.UTF_8).length / 1e6);
  }

  @Benchmark
  public PolicyResult parseAndValidate() {
    return Policies.read(name, text, syntax);
  }
}
