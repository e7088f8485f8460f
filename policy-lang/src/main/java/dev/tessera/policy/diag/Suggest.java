package dev.tessera.policy.diag;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/** "Did you mean" suggestions by edit distance (Levenshtein, case-insensitive). */
public final class Suggest {
  private Suggest() {}

  /**
   * The closest candidate within a distance that scales with the word (at most a third of its
   * length, at least 1, at most 3), or empty. Ties go to the first candidate in iteration order.
   */
  public static Optional<String> closest(String input, Collection<String> candidates) {
    String in = input.toLowerCase(Locale.ROOT);
    int limit = Math.max(1, Math.min(3, in.length() / 3));
    String best = null;
    int bestDist = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = distance(in, c.toLowerCase(Locale.ROOT), limit);
      if (d <= limit && d < bestDist) {
        best = c;
        bestDist = d;
      }
    }
    return Optional.ofNullable(best);
  }

  /** {@code did you mean X?} or null, ready for {@link Diagnostic#help()}. */
  public static String didYouMean(String input, Collection<String> candidates) {
    return closest(input, candidates).map(c -> "did you mean " + c + "?").orElse(null);
  }

  /** Levenshtein distance, giving up (returning limit+1) once it must exceed {@code limit}. */
  static int distance(String a, String b, int limit) {
    if (Math.abs(a.length() - b.length()) > limit) {
      return limit + 1;
    }
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      int rowMin = cur[0];
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
        rowMin = Math.min(rowMin, cur[j]);
      }
      if (rowMin > limit) {
        return limit + 1;
      }
      int[] tmp = prev;
      prev = cur;
      cur = tmp;
    }
    return prev[b.length()];
  }
}
