package dev.tessera.compiler.matrix;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import dev.tessera.net.IpProtocol;
import java.io.IOException;
import java.io.Writer;
import java.util.List;

/**
 * JSON for tools. Shape (version 1):
 *
 * <pre>
 * {"version":1, "title", "by",
 *  "provenance":{"tool","version","generatedAt","inputs":[{"role","name","sha256","revision"}]},
 *  "notes":[..],
 *  "rules":[{"id":"R1","location":"policy.hujson:55","file","line","column","path":"acls[0]","summary"}],
 *  "sources":[{"id","label","kind","user","tags","groups","addresses","via","members"}],
 *  "destinations":[..same..],
 *  "cells":[{"source":id,"destination":id,
 *            "access":[{"protocols":["tcp","udp"],"protos":[6,17],"ports":[[80,80],[443,443]],
 *                       "rules":["R1"]}]}]}
 * </pre>
 *
 * Cells are listed row by row, one per line. Each access entry is one set of granting rules and the
 * protocols that have exactly those port ranges from them (exact inclusive ranges, no "*"
 * shorthand; ignore ports for protocols without them), so a consumer never parses display text.
 * Grouped matrices add {@code "pairs": k, "of": n}: k of the n member pairs have the entry.
 */
final class MatrixJson {
  private MatrixJson() {}

  static void render(AccessMatrix m, Provenance provenance, Writer out) throws IOException {
    try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
      g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      g.setPrettyPrinter(new Compact(new DefaultPrettyPrinter()));
      g.writeStartObject();
      g.writeNumberField("version", 1);
      g.writeStringField("title", m.title());
      g.writeStringField("by", m.by().name().toLowerCase());
      if (provenance != null) {
        provenance.writeJson(g);
      }
      g.writeArrayFieldStart("notes");
      for (String n : m.notes()) {
        g.writeString(n);
      }
      g.writeEndArray();
      g.writeArrayFieldStart("rules");
      List<RuleRef> rules = m.rules();
      for (int r = 0; r < rules.size(); r++) {
        RuleRef o = rules.get(r);
        g.writeStartObject();
        g.writeStringField("id", "R" + (r + 1));
        g.writeStringField("location", o.location());
        g.writeStringField("file", o.file());
        g.writeNumberField("line", o.line());
        g.writeNumberField("column", o.column());
        g.writeStringField("path", o.path());
        g.writeStringField("summary", o.summary());
        g.writeEndObject();
      }
      g.writeEndArray();
      endpoints(g, "sources", m.sources());
      endpoints(g, "destinations", m.destinations());
      // Cells: one compact line each (a pretty-printed cell is ten lines; at 1000 nodes that
      // is the difference between 20 and 100 MB).
      g.writeArrayFieldStart("cells");
      g.flush();
      boolean first = true;
      StringBuilder line = new StringBuilder(256);
      for (var e : m.cells().entrySet()) {
        int s = (int) (e.getKey() >>> 32);
        int d = (int) (long) e.getKey();
        Cell c = e.getValue();
        line.setLength(0);
        line.append(first ? "\n    " : ",\n    ");
        first = false;
        line.append("{\"source\": ")
            .append(quote(m.sources().get(s).id()))
            .append(", \"destination\": ")
            .append(quote(m.destinations().get(d).id()))
            .append(", \"access\": [");
        boolean firstAccess = true;
        // One entry per (ports, rules, pairs), naming every protocol that has exactly that.
        java.util.Map<String, List<Integer>> protos = new java.util.LinkedHashMap<>();
        java.util.Map<String, List<Segment>> segsOf = new java.util.HashMap<>();
        for (Cell.ProtoPorts p : c.protocols()) {
          java.util.Map<String, List<Segment>> byRules = new java.util.LinkedHashMap<>();
          for (Segment seg : p.segments()) {
            byRules
                .computeIfAbsent(
                    java.util.Arrays.toString(seg.rules()) + "x" + seg.pairs(),
                    k -> new java.util.ArrayList<>())
                .add(seg);
          }
          byRules.forEach(
              (k, segs) -> {
                StringBuilder key = new StringBuilder(k);
                segs.forEach(x -> key.append(',').append(x.first()).append('-').append(x.last()));
                protos
                    .computeIfAbsent(key.toString(), x -> new java.util.ArrayList<>())
                    .add(p.proto());
                segsOf.putIfAbsent(key.toString(), segs);
              });
        }
        boolean grouped = m.by() != Grouping.By.NODE;
        for (var entry : protos.entrySet()) {
          List<Segment> segs = segsOf.get(entry.getKey());
          line.append(firstAccess ? "" : ", ");
          firstAccess = false;
          line.append("{\"protocols\": [");
          List<Integer> ps = entry.getValue();
          for (int i = 0; i < ps.size(); i++) {
            line.append(i > 0 ? ", " : "")
                .append('"')
                .append(IpProtocol.name(ps.get(i)))
                .append('"');
          }
          line.append("], \"protos\": ").append(ps.toString()).append(", \"ports\": [");
          for (int i = 0; i < segs.size(); i++) {
            line.append(i > 0 ? ", " : "")
                .append('[')
                .append(segs.get(i).first())
                .append(", ")
                .append(segs.get(i).last())
                .append(']');
          }
          line.append("], \"rules\": [");
          int[] rs = segs.getFirst().rules();
          for (int i = 0; i < rs.length; i++) {
            line.append(i > 0 ? ", " : "").append("\"R").append(rs[i] + 1).append('"');
          }
          line.append(']');
          if (grouped) {
            line.append(", \"pairs\": ")
                .append(segs.getFirst().pairs())
                .append(", \"of\": ")
                .append(c.totalPairs());
          }
          line.append('}');
        }
        line.append("]}");
        g.writeRaw(line.toString());
      }
      if (!first) {
        g.writeRaw("\n  ");
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    out.write("\n");
  }

  /** A JSON string literal, escaped by Jackson. */
  static String quote(String s) {
    return '"'
        + new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(s))
        + '"';
  }

  private static void endpoints(JsonGenerator g, String field, List<Endpoint> list)
      throws IOException {
    g.writeArrayFieldStart(field);
    for (Endpoint e : list) {
      g.writeStartObject();
      g.writeStringField("id", e.id());
      g.writeStringField("label", e.label());
      g.writeStringField("kind", e.kind().name().toLowerCase());
      if (!e.user().isEmpty()) {
        g.writeStringField("user", e.user());
      }
      strings(g, "tags", e.tags());
      strings(g, "groups", e.groups());
      strings(g, "addresses", e.addresses());
      if (!e.via().isEmpty()) {
        g.writeStringField("via", e.via());
      }
      strings(g, "members", e.members());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void strings(JsonGenerator g, String field, List<String> values)
      throws IOException {
    if (values.isEmpty()) {
      return;
    }
    g.writeArrayFieldStart(field);
    for (String v : values) {
      g.writeString(v);
    }
    g.writeEndArray();
  }

  /**
   * Pretty printer that keeps arrays of scalars (ports, tags, rule ids) on one line and breaks only
   * around objects, so the file stays readable and reviewable as a diff.
   */
  private static final class Compact extends DefaultPrettyPrinter {
    private static final long serialVersionUID = 1L;
    private int depth;
    private final java.util.ArrayDeque<Boolean> arrays = new java.util.ArrayDeque<>();

    Compact(DefaultPrettyPrinter base) {
      super(base);
      _arrayIndenter = DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n");
      _objectIndenter = DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n");
      _objectFieldValueSeparatorWithSpaces = ": ";
    }

    @Override
    public DefaultPrettyPrinter createInstance() {
      return new Compact(this);
    }

    @Override
    public void writeStartArray(JsonGenerator g) throws IOException {
      arrays.push(Boolean.FALSE);
      g.writeRaw('[');
      depth++;
    }

    @Override
    public void beforeArrayValues(JsonGenerator g) {}

    @Override
    public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
      g.writeRaw(arrays.isEmpty() || !arrays.peek() ? ", " : ",");
      if (!arrays.isEmpty() && arrays.peek()) {
        _arrayIndenter.writeIndentation(g, depth);
      }
    }

    @Override
    public void writeEndArray(JsonGenerator g, int nrOfValues) throws IOException {
      depth--;
      boolean objects = arrays.pop();
      if (objects) {
        _arrayIndenter.writeIndentation(g, depth);
      }
      g.writeRaw(']');
    }

    @Override
    public void writeStartObject(JsonGenerator g) throws IOException {
      // Jackson has already entered the new object's context: look at its parent.
      com.fasterxml.jackson.core.JsonStreamContext parent = g.getOutputContext().getParent();
      if (!arrays.isEmpty()
          && !arrays.peek()
          && parent != null
          && parent.inArray()
          && parent.getCurrentIndex() == 0) {
        // First element of an array is an object: switch the array to one-object-per-line.
        arrays.pop();
        arrays.push(Boolean.TRUE);
        _arrayIndenter.writeIndentation(g, depth);
      }
      g.writeRaw('{');
      depth++;
    }

    @Override
    public void writeEndObject(JsonGenerator g, int nrOfEntries) throws IOException {
      depth--;
      if (nrOfEntries > 0) {
        _objectIndenter.writeIndentation(g, depth);
      }
      g.writeRaw('}');
    }

    @Override
    public void beforeObjectEntries(JsonGenerator g) throws IOException {
      _objectIndenter.writeIndentation(g, depth);
    }

    @Override
    public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
      g.writeRaw(',');
      _objectIndenter.writeIndentation(g, depth);
    }
  }
}
