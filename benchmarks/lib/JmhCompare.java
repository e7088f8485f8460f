import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The table at the end of {@code benchmarks/compare.sh ... -- jmh}: for every benchmark (with its
 * parameters) the median score of side A and of side B over the rounds, and the ratio B / A.
 * Reads {@code DIR/a-N.json} and {@code DIR/b-N.json}, JMH's JSON results (with Jackson, from the
 * benchmarks' own libraries: {@code java -cp 'benchmarks/target/lib/*' JmhCompare.java DIR N}).
 */
public class JmhCompare {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int rounds = Integer.parseInt(args[1]);
    Map<String, List<Double>> a = new LinkedHashMap<>();
    Map<String, List<Double>> b = new LinkedHashMap<>();
    Map<String, String> unit = new LinkedHashMap<>();
    for (int r = 1; r <= rounds; r++) {
      read(dir.resolve("a-" + r + ".json"), a, unit);
      read(dir.resolve("b-" + r + ".json"), b, unit);
    }
    System.out.printf(Locale.ROOT, "%-70s %14s %14s %8s  %s%n", "benchmark", "A", "B", "B/A", "unit");
    for (String k : a.keySet()) {
      if (b.containsKey(k)) {
        double ma = median(a.get(k));
        double mb = median(b.get(k));
        System.out.printf(Locale.ROOT, "%-70s %14.3f %14.3f %8.3f  %s%n", k, ma, mb, mb / ma, unit.get(k));
      }
    }
  }

  private static void read(Path f, Map<String, List<Double>> into, Map<String, String> unit) throws Exception {
    for (JsonNode result : new ObjectMapper().readTree(f.toFile())) {
      String name = result.path("benchmark").asText().replaceFirst("^.*\\.bench\\.", "");
      Map<String, String> params = new TreeMap<>();
      result.path("params").properties().forEach(e -> params.put(e.getKey(), e.getValue().asText()));
      if (!params.isEmpty()) {
        name += " " + params;
      }
      JsonNode metric = result.path("primaryMetric");
      into.computeIfAbsent(name, k -> new ArrayList<>()).add(metric.path("score").asDouble());
      unit.put(name, metric.path("scoreUnit").asText());
      // The allocation figure, when JMH ran with -prof gc: the fast path must stay at 0 B/op.
      JsonNode alloc = result.path("secondaryMetrics").path("gc.alloc.rate.norm");
      if (!alloc.isMissingNode()) {
        into.computeIfAbsent(name + " alloc", k -> new ArrayList<>()).add(alloc.path("score").asDouble());
        unit.put(name + " alloc", alloc.path("scoreUnit").asText());
      }
    }
  }

  private static double median(List<Double> xs) {
    double[] s = xs.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
