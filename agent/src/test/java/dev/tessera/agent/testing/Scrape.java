package dev.tessera.agent.testing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One Prometheus scrape taken with {@code curl} inside a lab namespace, as an operator's scraper
 * there would see it. Sample lines are {@code name{label="v",...} value}.
 */
public record Scrape(List<String> samples, String text) {

  /**
   * {@code curl -sf URL} inside {@code ns}; fails with curl's output when the endpoint does not
   * answer.
   */
  public static Scrape take(NetnsLab lab, String ns, String url) throws IOException {
    NetnsLab.Result r = lab.tryIn(ns, 10, "curl", "-sf", "--max-time", "5", url);
    if (r.exit() != 0) {
      throw new IOException(
          "curl " + url + " in " + ns + " exited " + r.exit() + ": " + r.output());
    }
    List<String> samples = new ArrayList<>();
    for (String line : r.output().split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        samples.add(line.strip());
      }
    }
    return new Scrape(List.copyOf(samples), r.output());
  }

  /**
   * Sum of the samples of metric {@code name} whose labels include every {@code label="value"} pair
   * given (e.g. {@code "reason=\"no-rule\""}); 0 when none matches.
   */
  public double sum(String name, String... labels) {
    double total = 0;
    for (String s : samples) {
      int sp = s.lastIndexOf(' ');
      String series = s.substring(0, sp);
      int brace = series.indexOf('{');
      String metric = brace < 0 ? series : series.substring(0, brace);
      if (!metric.equals(name)) {
        continue;
      }
      boolean all = true;
      for (String l : labels) {
        all &= brace >= 0 && series.substring(brace).contains(l);
      }
      if (all) {
        total += Double.parseDouble(s.substring(sp + 1));
      }
    }
    return total;
  }

  /** Whether any sample of metric {@code name} (with every given label pair) is present. */
  public boolean has(String name, String... labels) {
    for (String s : samples) {
      String series = s.substring(0, s.lastIndexOf(' '));
      if ((series.equals(name) || series.startsWith(name + "{"))
          && java.util.Arrays.stream(labels).allMatch(series::contains)) {
        return true;
      }
    }
    return false;
  }
}
