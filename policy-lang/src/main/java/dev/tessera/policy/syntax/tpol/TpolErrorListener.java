package dev.tessera.policy.syntax.tpol;

import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.diag.Codes;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.Suggest;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.IntervalSet;

/**
 * Turns ANTLR syntax errors into located {@code syntax} diagnostics with messages written for
 * policy authors, not for grammar writers: ANTLR's "mismatched input ... expecting {...}" lists
 * every token type; here the expected set is summarized ("a value", "a statement") and a misspelled
 * statement keyword gets a "did you mean" hint. Lexical problems (stray characters, unterminated
 * strings and JSON blocks) arrive as special tokens, because the lexer itself never fails (see the
 * ERROR_CHAR rule), and get their own messages here.
 */
final class TpolErrorListener extends BaseErrorListener {
  /** Keywords that start a statement, in the order the DSL reference lists them. */
  static final List<String> STATEMENT_KEYWORDS =
      List.of(
          "group", "tag", "host", "ipset", "posture", "default", "allow", "grant", "ssh", "test",
          "attr", "approve", "derp", "set", "empty");

  private static final int[] STATEMENT_TOKENS = {
    TpolLexer.GROUP, TpolLexer.TAG, TpolLexer.HOST, TpolLexer.IPSET, TpolLexer.POSTURE,
    TpolLexer.DEFAULT, TpolLexer.ALLOW, TpolLexer.GRANT, TpolLexer.SSH, TpolLexer.TEST,
    TpolLexer.ATTR, TpolLexer.APPROVE, TpolLexer.DERP, TpolLexer.SET, TpolLexer.EMPTY,
    TpolLexer.DENY // not advertised (deny rules are reported as unsupported), but it parses
  };

  private final Positions pos;
  private final Diagnostics diags;
  private int errors;

  TpolErrorListener(Positions pos, Diagnostics diags) {
    this.pos = pos;
    this.diags = diags;
  }

  int errorCount() {
    return errors;
  }

  @Override
  public void syntaxError(
      Recognizer<?, ?> recognizer,
      Object offendingSymbol,
      int line,
      int charPositionInLine,
      String msg,
      RecognitionException e) {
    errors++;
    if (!(offendingSymbol instanceof Token t)) {
      // Only the parser reports here (the lexer cannot fail); be defensive all the same.
      diags.error(
          Codes.SYNTAX,
          "syntax error",
          SourceSpan.point(pos.file(), Math.max(1, line), charPositionInLine + 1, -1));
      return;
    }
    SourceSpan span = pos.span(t);
    String text = t.getText() == null ? "" : t.getText();
    switch (t.getType()) {
      case TpolLexer.ERROR_CHAR -> {
        diags.error(
            Codes.SYNTAX,
            "unexpected character '" + printable(text) + "'",
            span,
            text.equals("}") ? "a JSON block starts with '{' right after app or derp" : null);
        return;
      }
      case TpolLexer.UNTERMINATED_STRING -> {
        diags.error(
            Codes.SYNTAX,
            "unterminated string: no closing " + text.charAt(0) + " on this line",
            span);
        return;
      }
      case TpolParser.UNTERMINATED_JSON -> {
        diags.error(
            Codes.SYNTAX,
            "unterminated JSON block: no matching '}'",
            new SourceSpan(
                span.file(),
                span.startLine(),
                span.startCol(),
                span.startLine(),
                span.startCol() + 1,
                span.startOffset(),
                span.startOffset() + 1));
        return;
      }
      default -> {
        // a parse error proper
      }
    }
    if (inPosture(recognizer)
        && t.getType() != Token.EOF
        && !text.isEmpty()
        && "~=!<>".indexOf(text.charAt(0)) >= 0) {
      diags.error(
          Codes.UNKNOWN_POSTURE_OPERATOR,
          "unknown posture operator '" + printable(shorten(text)) + "'",
          span,
          "operators: ==, !=, <, <=, >, >=, IN, NOT IN, IS SET, NOT SET");
      return;
    }
    IntervalSet expected = expected(recognizer, e);
    String found = t.getType() == Token.EOF ? "end of file" : "'" + printable(shorten(text)) + "'";
    boolean statementStart =
        expected != null
            && containsAll(expected, STATEMENT_TOKENS)
            && !expected.contains(TpolLexer.ATOM);
    if (statementStart
        && expected.contains(Token.EOF)
        && t.getType() != Token.EOF
        && onlyStatementsOrEof(expected)) {
      String help =
          t.getType() == TpolLexer.ATOM ? Suggest.didYouMean(text, STATEMENT_KEYWORDS) : null;
      diags.error(
          Codes.SYNTAX,
          "expected a statement, found " + found,
          span,
          help != null ? help : "statements start with " + String.join(", ", STATEMENT_KEYWORDS));
      return;
    }
    String want = describe(expected);
    diags.error(
        Codes.SYNTAX,
        "unexpected " + found + (want.isEmpty() ? "" : ", expected " + want),
        span,
        hint(expected, t));
  }

  /** True while parsing the conditions of a posture statement. */
  private static boolean inPosture(Recognizer<?, ?> recognizer) {
    if (!(recognizer instanceof Parser p)) {
      return false;
    }
    for (org.antlr.v4.runtime.RuleContext c = p.getContext(); c != null; c = c.parent) {
      if (c instanceof TpolParser.ConditionsContext || c instanceof TpolParser.ConditionContext) {
        return true;
      }
    }
    return false;
  }

  private static String hint(IntervalSet expected, Token t) {
    if (expected == null) {
      return null;
    }
    if (expected.contains(TpolLexer.ARROW) && t.getType() != Token.EOF) {
      return "separate list items with ',' and sources from destinations with '->'";
    }
    if (expected.contains(TpolLexer.EQ) && expected.size() == 1) {
      return "definitions are written NAME = VALUE";
    }
    return null;
  }

  private static IntervalSet expected(Recognizer<?, ?> recognizer, RecognitionException e) {
    try {
      if (e != null && e.getExpectedTokens() != null) {
        return e.getExpectedTokens();
      }
      if (recognizer instanceof Parser p) {
        return p.getExpectedTokens();
      }
    } catch (RuntimeException ignored) {
      // ANTLR can fail to compute the set in a recovered state; the message just gets shorter.
    }
    return null;
  }

  private static boolean containsAll(IntervalSet set, int[] types) {
    for (int t : types) {
      if (!set.contains(t)) {
        return false;
      }
    }
    return true;
  }

  private static boolean onlyStatementsOrEof(IntervalSet set) {
    for (int t : set.toList()) {
      if (t == Token.EOF) {
        continue;
      }
      boolean isStatement = false;
      for (int s : STATEMENT_TOKENS) {
        isStatement |= s == t;
      }
      if (!isStatement) {
        return false;
      }
    }
    return true;
  }

  /** "a value", "'='", "',' or '->'", "',', 'proto', ... or a statement". */
  static String describe(IntervalSet expected) {
    if (expected == null || expected.isNil()) {
      return "";
    }
    Set<String> parts = new LinkedHashSet<>();
    boolean value = expected.contains(TpolLexer.ATOM) || expected.contains(TpolLexer.STRING);
    boolean statement = containsAll(expected, STATEMENT_TOKENS) && !value;
    for (int type : expected.toList()) {
      if (type == Token.EOF) {
        continue;
      }
      if (isValueToken(type)) {
        continue;
      }
      if (value && isKeyword(type)) {
        continue;
      }
      if (statement && isStatementToken(type)) {
        continue;
      }
      String lit =
          switch (type) {
            case TpolLexer.AND -> "'and'";
            case TpolLexer.IN -> "'IN'";
            case TpolLexer.NOT -> "'NOT'";
            case TpolLexer.IS -> "'IS'";
            case TpolLexer.SET -> "'set'";
            default -> TpolParser.VOCABULARY.getLiteralName(type);
          };
      if (lit != null) {
        parts.add(lit);
      } else if (type == TpolParser.JSON_BLOCK) {
        parts.add("a { JSON } block");
      }
    }
    List<String> all = new ArrayList<>();
    if (value) {
      all.add("a value");
    }
    all.addAll(parts);
    if (statement) {
      all.add("a statement");
    }
    if (all.isEmpty() && expected.contains(Token.EOF)) {
      all.add("end of file");
    }
    if (all.size() == 1) {
      return all.getFirst();
    }
    return String.join(", ", all.subList(0, all.size() - 1)) + " or " + all.getLast();
  }

  private static boolean isValueToken(int type) {
    return type == TpolLexer.ATOM
        || type == TpolLexer.STRING
        || type == TpolLexer.NUMBER
        || type == TpolLexer.V6_DEST;
  }

  private static boolean isStatementToken(int type) {
    for (int s : STATEMENT_TOKENS) {
      if (s == type) {
        return true;
      }
    }
    return false;
  }

  /** Keyword tokens are the ones whose literal is a word. */
  static boolean isKeyword(int type) {
    String lit = TpolParser.VOCABULARY.getLiteralName(type);
    if (lit == null) {
      // AND, IN, NOT, IS, SET have character-class rules, hence no literal
      return type == TpolLexer.AND
          || type == TpolLexer.IN
          || type == TpolLexer.NOT
          || type == TpolLexer.IS
          || type == TpolLexer.SET;
    }
    return Character.isLetter(lit.charAt(1));
  }

  private static String shorten(String s) {
    int nl = s.indexOf('\n');
    if (nl >= 0) {
      s = s.substring(0, nl) + "...";
    }
    return s.length() > 40 ? s.substring(0, 37) + "..." : s;
  }

  private static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
