package dev.tessera.policy.syntax.tpol;

import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.Comment;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.diag.Codes;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.SourceText;
import dev.tessera.policy.syntax.SyntaxReader;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.atn.PredictionMode;
import org.antlr.v4.runtime.misc.ParseCancellationException;

/**
 * Reads Tessera's DSL ({@code .tpol}): text to parse tree (ANTLR, grammar {@code Tpol.g4}) to AST.
 *
 * <p>Design note: parsing runs in two stages, the usual ANTLR recipe for speed. The first uses SLL
 * prediction and bails out on the first error, which is exact for every valid input and much faster
 * on large files; only if it fails is the input re-parsed with full LL prediction and the default
 * recovering error strategy, whose errors {@link TpolErrorListener} turns into located {@code
 * syntax} diagnostics (ANTLR's own console listener is removed, so nothing is printed). Statements
 * that contain a syntax error are left out of the AST; the rest is still read so value problems
 * elsewhere in the file are reported in the same run. Comments are collected from the hidden
 * channel into {@link Policy#comments()} for the printers.
 *
 * <p>Offsets: ANTLR counts code points, Java strings and {@link SourceText} count UTF-16 units;
 * {@link Positions} maps one to the other so spans agree with the other syntaxes' readers.
 */
public final class TpolReader implements SyntaxReader {

  @Override
  public Syntax syntax() {
    return Syntax.TPOL;
  }

  @Override
  public Policy read(SourceText source, Diagnostics diags) {
    return readFull(source, diags).policy();
  }

  @Override
  public Outcome readFull(SourceText source, Diagnostics diags) {
    Positions pos = new Positions(source);
    TpolLexer lexer = new TpolLexer(CharStreams.fromString(source.text(), source.name()));
    lexer.removeErrorListeners();
    CommonTokenStream tokens = new CommonTokenStream(lexer);
    tokens.fill();

    TpolParser parser = new TpolParser(tokens);
    parser.removeErrorListeners();
    parser.getInterpreter().setPredictionMode(PredictionMode.SLL);
    parser.setErrorHandler(new org.antlr.v4.runtime.BailErrorStrategy());
    TpolParser.PolicyContext tree;
    boolean hadSyntaxErrors = false;
    try {
      tree = parser.policy();
    } catch (ParseCancellationException e) {
      tokens.seek(0);
      parser.reset();
      parser.getInterpreter().setPredictionMode(PredictionMode.LL);
      parser.setErrorHandler(new org.antlr.v4.runtime.DefaultErrorStrategy());
      TpolErrorListener listener = new TpolErrorListener(pos, diags);
      parser.addErrorListener(listener);
      tree = parser.policy();
      hadSyntaxErrors = listener.errorCount() > 0;
    }

    List<Comment> comments = comments(tokens, pos, diags);
    TpolAstBuilder builder = new TpolAstBuilder(source, pos, diags);
    Policy policy = builder.build(tree, comments, hadSyntaxErrors);
    if (hadSyntaxErrors && policy.sections().isEmpty()) {
      return new Outcome(null, List.of(), List.of());
    }
    return new Outcome(policy, builder.droppedAcls(), builder.droppedSsh());
  }

  private static List<Comment> comments(
      CommonTokenStream tokens, Positions pos, Diagnostics diags) {
    List<Comment> out = new ArrayList<>();
    for (Token t : tokens.getTokens()) {
      switch (t.getType()) {
        case TpolLexer.LINE_COMMENT -> {
          String text = t.getText();
          String body = text.startsWith("#") ? text.substring(1) : text.substring(2);
          out.add(new Comment(stripCr(body), Comment.Kind.LINE, pos.span(t)));
        }
        case TpolLexer.BLOCK_COMMENT -> {
          String text = t.getText();
          out.add(
              new Comment(text.substring(2, text.length() - 2), Comment.Kind.BLOCK, pos.span(t)));
        }
        case TpolParser.UNTERMINATED_COMMENT -> {
          SourceSpan s = pos.span(t);
          diags.error(
              Codes.SYNTAX,
              "unterminated block comment: no closing */",
              new SourceSpan(
                  s.file(),
                  s.startLine(),
                  s.startCol(),
                  s.startLine(),
                  s.startCol() + 2,
                  s.startOffset(),
                  s.startOffset() + 2));
        }
        default -> {
          // not a comment
        }
      }
    }
    return out;
  }

  private static String stripCr(String s) {
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }
}
