package dev.tessera.compiler.matrix;

import java.util.Comparator;

/**
 * Orders names as people count: runs of digits compare by value, so {@code laptop-2} comes before
 * {@code laptop-10} and {@code 10.0.0.9} before {@code 10.0.0.20}. Other characters compare
 * ignoring case first, then as written, so the order is total and deterministic.
 */
public final class NaturalOrder implements Comparator<String> {
  public static final NaturalOrder INSTANCE = new NaturalOrder();

  private NaturalOrder() {}

  @Override
  public int compare(String a, String b) {
    int i = 0;
    int j = 0;
    int la = a.length();
    int lb = b.length();
    while (i < la && j < lb) {
      char x = a.charAt(i);
      char y = b.charAt(j);
      if (isDigit(x) && isDigit(y)) {
        int si = i;
        int sj = j;
        while (si < la && a.charAt(si) == '0') {
          si++;
        }
        while (sj < lb && b.charAt(sj) == '0') {
          sj++;
        }
        int ei = si;
        int ej = sj;
        while (ei < la && isDigit(a.charAt(ei))) {
          ei++;
        }
        while (ej < lb && isDigit(b.charAt(ej))) {
          ej++;
        }
        int c = Integer.compare(ei - si, ej - sj); // more significant digits: larger
        for (int k = 0; c == 0 && k < ei - si; k++) {
          c = Character.compare(a.charAt(si + k), b.charAt(sj + k));
        }
        if (c != 0) {
          return c;
        }
        c = Integer.compare(si - i, sj - j); // equal values: fewer leading zeros first
        if (c != 0) {
          return c;
        }
        i = ei;
        j = ej;
        continue;
      }
      int c = Character.compare(Character.toLowerCase(x), Character.toLowerCase(y));
      if (c != 0) {
        return c;
      }
      i++;
      j++;
    }
    int c = Integer.compare(la - i, lb - j);
    return c != 0 ? c : a.compareTo(b);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
