package dev.tessera.policy.print;

import dev.tessera.policy.syntax.JsonStrings;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How each syntax writes a string. Every rule here errs towards quoting: a value printed bare must
 * read back as the same string, never as a keyword, number, boolean, alias or another token.
 */
final class Quoting {
  private Quoting() {}

  /** The DSL's reserved words (Tpol.g4); printed quoted so they read back as values. */
  static final Set<String> TPOL_KEYWORDS =
      Set.of(
          "group",
          "tag",
          "owned",
          "by",
          "host",
          "ipset",
          "add",
          "remove",
          "posture",
          "default",
          "allow",
          "deny",
          "grant",
          "ip",
          "app",
          "via",
          "when",
          "proto",
          "ssh",
          "accept",
          "check",
          "as",
          "period",
          "env",
          "pool",
          "test",
          "can",
          "cannot",
          "reach",
          "attr",
          "for",
          "approve",
          "route",
          "exit-node",
          "service",
          "recorder",
          "enforce-recorder",
          "derp",
          "empty",
          "true",
          "false");

  /** Case-insensitive DSL keywords (posture operators and set). */
  private static final Set<String> TPOL_KEYWORDS_CI = Set.of("and", "in", "not", "is", "set");

  /** Bracketed IPv6 destination token of the DSL. */
  private static final Pattern V6_DEST =
      Pattern.compile(
          "\\[[0-9a-fA-F.]*:[0-9a-fA-F:.]*\\](:[0-9a-zA-Z*\\-]+(,[0-9][0-9a-zA-Z*\\-]*)*)?");

  /** A DSL word: bare when the lexer reads it back as one ATOM (or V6_DEST) token, else quoted. */
  static String tpol(String s) {
    return isTpolBare(s) ? s : json(s);
  }

  static boolean isTpolBare(String s) {
    if (s.isEmpty()
        || TPOL_KEYWORDS.contains(s)
        || TPOL_KEYWORDS_CI.contains(s.toLowerCase(Locale.ROOT))) {
      return false;
    }
    if (s.charAt(0) == '[') {
      return V6_DEST.matcher(s).matches();
    }
    // Mirror of the ATOM rule: ATOM_CHAR ( ATOM_CHAR | '-'+ ATOM_CHAR | '/' NS | ',' DIGIT )*
    int[] cps = s.codePoints().toArray();
    if (!atomChar(cps[0])) {
      return false;
    }
    int i = 1;
    while (i < cps.length) {
      int c = cps[i];
      if (atomChar(c)) {
        i++;
      } else if (c == '-') {
        while (i < cps.length && cps[i] == '-') {
          i++;
        }
        if (i >= cps.length || !atomChar(cps[i])) {
          return false;
        }
        i++;
      } else if (c == '/') {
        int n = i + 1 < cps.length ? cps[i + 1] : -1;
        if (n < 0 || n >= 0x80 || !atomChar(n) || n == '*') {
          return false;
        }
        i += 2;
      } else if (c == ',') {
        if (i + 1 >= cps.length || cps[i + 1] < '0' || cps[i + 1] > '9') {
          return false;
        }
        i += 2;
      } else {
        return false;
      }
    }
    return true;
  }

  private static boolean atomChar(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '_'
        || c == '.'
        || c == ':'
        || c == '@'
        || c == '*'
        || c == '~'
        || c == '%'
        || c == '+'
        || (c >= 0x80 && c <= 0xFFFE);
  }

  /** The decoded text of a JSON string literal (with its quotes). */
  static String unquoteJson(String literal) {
    return JsonStrings.unquote(literal);
  }

  /** A JSON string literal (also valid in the DSL and as a YAML double-quoted scalar). */
  static String json(String s) {
    return JsonStrings.quote(s);
  }

  /** YAML 1.1 words that a plain scalar would turn into booleans or null. */
  private static final Set<String> YAML_SPECIAL =
      Set.of("y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "");

  /** A plain YAML scalar we trust to read back as this exact string. */
  private static final Pattern YAML_PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_.:@/*+~%,\\-]*");

  /** A YAML scalar: plain when unambiguous, else double-quoted. */
  static String yaml(String s) {
    if (YAML_PLAIN.matcher(s).matches()
        && !YAML_SPECIAL.contains(s.toLowerCase(Locale.ROOT))
        && !s.endsWith(":")
        && !looksNumeric(s)) {
      return s;
    }
    return json(s);
  }

  /** .inf, .nan and friends start with '.', already excluded; keep a guard for e.g. "Infinity". */
  private static boolean looksNumeric(String s) {
    String l = s.toLowerCase(Locale.ROOT);
    return l.equals("inf") || l.equals("nan") || l.equals("infinity");
  }
}
