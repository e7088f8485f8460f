package dev.tessera.policy.print;

import dev.tessera.net.IpCidr;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.AclDestination;
import dev.tessera.policy.ast.GrantIp;
import dev.tessera.policy.ast.HostDef;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.SourceText;
import dev.tessera.policy.syntax.Tree;
import dev.tessera.policy.syntax.TreeReader;
import dev.tessera.policy.syntax.Values;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The author's text of each value, so that printers keep it: {@code convert} and the canonical
 * printers write {@code 10.0.0.1/32} where the author wrote it, not the canonical {@code 10.0.0.1}
 * (a route key is a prefix; Tailscale treats the two spellings differently in places).
 *
 * <p>Values are looked up by the start of their span in the source the AST was read from: for
 * HuJSON and YAML the located tree's strings and keys, for the DSL the word or quoted string at
 * that place. A text is used only if it reads back as the very value the AST holds (the reader's
 * own parser decides); otherwise, and for an AST without a source, the canonical text is printed.
 */
final class Written {
  static final Written NONE = new Written(null, null, Map.of(), Map.of());

  private final String text;
  private final Syntax syntax;

  /** JSON-family strings and keys by start offset. */
  private final Map<Integer, String> scalars;

  /** JSON-family: the string value of an object entry, by the start offset of its key. */
  private final Map<Integer, String> entryValues;

  private Written(
      String text, Syntax syntax, Map<Integer, String> scalars, Map<Integer, String> entryValues) {
    this.text = text;
    this.syntax = syntax;
    this.scalars = scalars;
    this.entryValues = entryValues;
  }

  static Written of(SourceText src, Syntax syntax) {
    if (src == null) {
      return NONE;
    }
    Map<Integer, String> scalars = new HashMap<>();
    Map<Integer, String> entryValues = new HashMap<>();
    if (syntax != Syntax.TPOL) {
      TreeReader.read(src, syntax == Syntax.YAML, new Diagnostics())
          .ifPresent(t -> index(t, scalars, entryValues));
    }
    return new Written(src.text(), syntax, scalars, entryValues);
  }

  private static void index(
      Tree t, Map<Integer, String> scalars, Map<Integer, String> entryValues) {
    switch (t) {
      case Tree.Str s -> scalars.put(s.span().startOffset(), s.value());
      case Tree.Obj o -> {
        for (Tree.Entry e : o.entries()) {
          scalars.put(e.keySpan().startOffset(), e.key());
          if (e.value() instanceof Tree.Str s) {
            entryValues.put(e.keySpan().startOffset(), s.value());
          }
          index(e.value(), scalars, entryValues);
        }
      }
      case Tree.Arr a -> a.items().forEach(i -> index(i, scalars, entryValues));
      default -> {}
    }
  }

  /** The text written at {@code span}, decoded; empty when unknown. */
  private Optional<String> at(SourceSpan span) {
    if (text == null || !span.isKnown() || span.startOffset() < 0) {
      return Optional.empty();
    }
    if (syntax != Syntax.TPOL) {
      return Optional.ofNullable(scalars.get(span.startOffset()));
    }
    if (span.endOffset() > text.length() || span.endOffset() <= span.startOffset()) {
      return Optional.empty();
    }
    return decodeTpol(text.substring(span.startOffset(), span.endOffset()));
  }

  private static Optional<String> decodeTpol(String raw) {
    try {
      if (raw.startsWith("\"")) {
        return Optional.of(Quoting.unquoteJson(raw));
      }
      if (raw.startsWith("'") && raw.endsWith("'") && raw.length() >= 2) {
        String body = raw.substring(1, raw.length() - 1).replace("\\'", "'").replace("\"", "\\\"");
        return Optional.of(Quoting.unquoteJson("\"" + body + "\""));
      }
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    return Optional.of(raw);
  }

  /** {@code written} if {@code parse} reads it as {@code value}, else the canonical text. */
  private <T> String keep(
      SourceSpan span, T value, String canonical, Function<String, Optional<? extends T>> parse) {
    Optional<String> w = at(span);
    if (w.isEmpty() || w.get().equals(canonical)) {
      return canonical;
    }
    return parse.apply(w.get()).filter(value::equals).isPresent() ? w.get() : canonical;
  }

  /**
   * Whether an ipset entry was written with its operation ({@code "add 10.0.0.0/8"}, not {@code
   * "10.0.0.0/8"}).
   */
  boolean explicitOp(dev.tessera.policy.ast.IpSetDef.Op o) {
    return at(o.span()).map(w -> w.strip().startsWith(o.kind().text() + " ")).orElse(false);
  }

  String selector(Selector s) {
    return keep(
        s.span(),
        s,
        s.text(),
        w -> {
          Optional<Selector> p = Values.selector(w, SourceSpan.NONE, new Diagnostics());
          return p.isPresent() ? p : Values.grantTarget(w, SourceSpan.NONE, new Diagnostics());
        });
  }

  String aclDestination(AclDestination a) {
    return keep(
        a.span(), a, a.text(), w -> Values.aclDestination(w, SourceSpan.NONE, new Diagnostics()));
  }

  String grantIp(GrantIp g) {
    return keep(g.span(), g, g.text(), w -> Values.grantIp(w, SourceSpan.NONE, new Diagnostics()));
  }

  /** A prefix whose span is known (a route key). */
  String prefix(IpCidr p, SourceSpan span) {
    return keep(span, p, p.toCompactString(), w -> Optional.ofNullable(IpCidr.tryParse(w)));
  }

  private static final Pattern TPOL_HOST_VALUE =
      Pattern.compile(
          "\\G\\s*=\\s*(\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|[^\\s#,\\[\\]]+)");

  /** A host's address; the host's span is its name's, the value follows it. */
  String host(HostDef h) {
    String canonical = h.prefix().toCompactString();
    SourceSpan s = h.span();
    if (text == null || !s.isKnown() || s.startOffset() < 0) {
      return canonical;
    }
    Optional<String> w;
    if (syntax != Syntax.TPOL) {
      w = Optional.ofNullable(entryValues.get(s.startOffset()));
    } else {
      Matcher m = TPOL_HOST_VALUE.matcher(text);
      w =
          s.endOffset() <= text.length() && m.find(s.endOffset()) && m.start() == s.endOffset()
              ? decodeTpol(m.group(1))
              : Optional.empty();
    }
    return w.filter(x -> h.prefix().equals(IpCidr.tryParse(x))).orElse(canonical);
  }
}
