package dev.tessera.compiler.matrix;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import java.io.IOException;
import java.io.Writer;
import java.util.List;

/**
 * JSON for tools. Shape (version 1):
 * <pre>
 * {"version":1, "title", "by", "notes":[..],
 *  "rules":[{"id":"R1","location":"policy.hujson:55","file","line","column","path":"acls[0]","summary"}],
 *  "sources":[{"id","label","kind","user","tags","groups","addresses","via","members"}],
 *  "destinations":[..same..],
 *  "cells":[{"source":id,"destination":id,
 *            "access":[{"protocol":"tcp","proto":6,"ports":[[80,80],[443,443]],
 *                       "rules":["R1"],"pairs":1,"of":1}]}]}
 * </pre>
 * Cells are listed row by row; each access entry is one protocol and one rule set, with the
 * exact port ranges (no "*" shorthand), so a consumer never parses display text.
 */
final class MatrixJson {
  private MatrixJson() {}

  static void render(AccessMatrix m, Writer out) throws IOException {
    try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
      g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      g.setPrettyPrinter(new Compact(new DefaultPrettyPrinter()));
      g.writeStartObject();
      g.writeNumberField("version", 1);
      g.writeStringField("title", m.title());
      g.writeStringField("by", m.by().name().toLowerCase());
      g.writeArrayFieldStart("notes");
      for (String n : m.notes()) {
        g.writeString(n);
      }
      g.writeEndArray();
      g.writeArrayFieldStart("rules");
      List<RuleOrigin> rules = m.rules();
      for (int r = 0; r < rules.size(); r++) {
        RuleOrigin o = rules.get(r);
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
      g.writeArrayFieldStart("cells");
      for (int s = 0; s < m.sources().size(); s++) {
        for (int d = 0; d < m.destinations().size(); d++) {
          Cell c = m.cells().get(AccessMatrix.key(s, d));
          if (c == null) {
            continue;
          }
          g.writeStartObject();
          g.writeStringField("source", m.sources().get(s).id());
          g.writeStringField("destination", m.destinations().get(d).id());
          g.writeArrayFieldStart("access");
          for (Cell.ProtoPorts p : c.protocols()) {
            // One entry per (protocol, rule set, pairs), ports merged within it.
            java.util.Map<String, java.util.List<Segment>> byRules = new java.util.LinkedHashMap<>();
            for (Segment seg : p.segments()) {
              byRules.computeIfAbsent(java.util.Arrays.toString(seg.rules()) + "x" + seg.pairs(),
                  k -> new java.util.ArrayList<>()).add(seg);
            }
            for (List<Segment> segs : byRules.values()) {
              g.writeStartObject();
              g.writeStringField("protocol", Protocols.name(p.proto()));
              g.writeNumberField("proto", p.proto());
              g.writeArrayFieldStart("ports");
              for (Segment seg : segs) {
                g.writeStartArray();
                g.writeNumber(seg.first());
                g.writeNumber(seg.last());
                g.writeEndArray();
              }
              g.writeEndArray();
              g.writeArrayFieldStart("rules");
              for (int r : segs.getFirst().rules()) {
                g.writeString("R" + (r + 1));
              }
              g.writeEndArray();
              g.writeNumberField("pairs", segs.getFirst().pairs());
              g.writeNumberField("of", c.totalPairs());
              g.writeEndObject();
            }
          }
          g.writeEndArray();
          g.writeEndObject();
        }
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    out.write("\n");
  }

  private static void endpoints(JsonGenerator g, String field, List<Endpoint> list) throws IOException {
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

  private static void strings(JsonGenerator g, String field, List<String> values) throws IOException {
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
   * Pretty printer that keeps arrays of scalars (ports, tags, rule ids) on one line and breaks
   * only around objects, so the file stays readable and reviewable as a diff.
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
      if (!arrays.isEmpty() && !arrays.peek() && parent != null && parent.inArray()
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
