package dev.tessera.compiler.diff;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.tessera.compiler.diff.AccessDiff.Cause;
import dev.tessera.compiler.diff.AccessDiff.Change;
import dev.tessera.compiler.diff.AccessDiff.Kind;
import dev.tessera.compiler.matrix.Endpoint;
import dev.tessera.compiler.matrix.Provenance;
import dev.tessera.net.IpProtocol;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.StringJoiner;

/** Renders an {@link AccessDiff} as text (terminals, CI logs), Markdown (pull requests) or JSON. */
public enum DiffFormat {
  TEXT,
  MD,
  JSON;

  /** Names listed per change in text and Markdown before "... and N more". */
  static final int LIST_LIMIT = 25;

  public String render(AccessDiff d) {
    return render(d, null);
  }

  /** The diff with its provenance (tool, inputs' SHA-256 and revisions, time) when given. */
  public String render(AccessDiff d, Provenance provenance) {
    return switch (this) {
      case TEXT -> text(d, provenance);
      case MD -> markdown(d, provenance);
      case JSON -> json(d, provenance);
    };
  }

  /** {@code tcp/udp:443 + icmp}: the access as a policy writes it. */
  static String policyAccess(Change c) {
    return access(c, ":");
  }

  /** Protocols with the same ports written together, protocols and ports joined by {@code sep}. */
  private static String access(Change c, String sep) {
    java.util.Map<String, List<String>> byPorts = new java.util.LinkedHashMap<>();
    for (AccessDiff.Access a : c.access()) {
      byPorts
          .computeIfAbsent(ports(a), k -> new java.util.ArrayList<>())
          .add(IpProtocol.name(a.protocol()));
    }
    StringJoiner out = new StringJoiner(" + ");
    byPorts.forEach(
        (ports, names) -> out.add(String.join("/", names) + (ports.isEmpty() ? "" : sep + ports)));
    return out.toString();
  }

  private static String ports(AccessDiff.Access a) {
    if (!IpProtocol.hasPorts(a.protocol())) {
      return "";
    }
    StringJoiner j = new StringJoiner(",");
    for (int[] p : a.ports()) {
      j.add(
          p[0] == 0 && p[1] == 65535
              ? "*"
              : p[0] == p[1] ? Integer.toString(p[0]) : p[0] + "-" + p[1]);
    }
    return j.toString();
  }

  /** Principals listed in a sentence before "and N more". */
  static final int PRINCIPAL_LIMIT = 4;

  /** {@code group:contractors lost tcp:5432 on tag:db}: the change in the policy's words. */
  public static String sentence(Change c) {
    return principals(c.sourcePrincipals())
        + (c.kind() == Kind.GAINED ? " gained " : " lost ")
        + policyAccess(c)
        + " on "
        + principals(c.destinationPrincipals());
  }

  private static String principals(List<String> ps) {
    if (ps.size() <= PRINCIPAL_LIMIT) {
      return String.join(", ", ps);
    }
    return String.join(", ", ps.subList(0, PRINCIPAL_LIMIT))
        + " and "
        + (ps.size() - PRINCIPAL_LIMIT)
        + " more";
  }

  /** {@code tcp/udp 443 + icmp}: protocols with the same ports written together. */
  public static String access(Change c) {
    return access(c, " ");
  }

  static String cause(Cause c) {
    String where = c.rule().location() + " " + c.rule().path();
    return switch (c.status()) {
      case ADDED -> "rule added: " + where + ": " + c.rule().summary();
      case REMOVED -> "rule removed: " + where + ": " + c.rule().summary();
      case MODIFIED ->
          (c.inNew()
                  ? "rule edited: " + where + " (was " + c.counterpart().location() + ")"
                  : "rule edited: " + where + " (now " + c.counterpart().location() + ")")
              + ": "
              + c.rule().summary();
      case DEFINITION_CHANGED ->
          "rule unchanged: "
              + where
              + ", but "
              + String.join(", ", c.definitions())
              + (c.definitions().size() == 1 ? " changed" : " changed")
              + ": "
              + c.rule().summary();
      case UNCHANGED ->
          "rule unchanged: "
              + where
              + " (its selectors resolve differently): "
              + c.rule().summary();
    };
  }

  static String names(List<Endpoint> es) {
    StringJoiner j = new StringJoiner(", ");
    for (int i = 0; i < Math.min(es.size(), LIST_LIMIT); i++) {
      j.add(es.get(i).label());
    }
    String s = j.toString();
    return es.size() > LIST_LIMIT ? s + ", … and " + (es.size() - LIST_LIMIT) + " more" : s;
  }

  static String headline(AccessDiff d) {
    if (d.unchanged()) {
      return "Access unchanged: both policies allow exactly the same traffic on "
          + d.nodes()
          + " nodes.";
    }
    return "Access CHANGED: "
        + d.count(Kind.GAINED)
        + " source-destination pair(s) gain access, "
        + d.count(Kind.LOST)
        + " lose access; "
        + d.changedNodes()
        + " of "
        + d.nodes()
        + " nodes enforce something different.";
  }

  private static String text(AccessDiff d, Provenance p) {
    StringBuilder b = new StringBuilder();
    b.append("policy diff: ").append(d.oldName()).append(" -> ").append(d.newName()).append('\n');
    if (p != null) {
      p.lines().forEach(l -> b.append("provenance: ").append(l).append('\n'));
    }
    if (d.inventorySynthesized()) {
      b.append("note: ").append(dev.tessera.compiler.matrix.SyntheticInventory.NOTE).append('\n');
    }
    for (String n : d.notes()) {
      b.append("note: ").append(n).append('\n');
    }
    b.append(headline(d)).append('\n');
    for (Change c : d.changes()) {
      b.append('\n').append(c.kind() == Kind.GAINED ? "+ " : "- ").append(sentence(c)).append('\n');
      b.append("    from (")
          .append(c.sources().size())
          .append("): ")
          .append(names(c.sources()))
          .append('\n');
      b.append("    to   (")
          .append(c.destinations().size())
          .append("): ")
          .append(names(c.destinations()))
          .append('\n');
      for (Cause k : c.causes()) {
        b.append("    cause: ").append(cause(k)).append('\n');
      }
    }
    return b.toString();
  }

  private static String markdown(AccessDiff d, Provenance p) {
    StringBuilder b = new StringBuilder();
    b.append("### Access diff: `")
        .append(d.oldName())
        .append("` → `")
        .append(d.newName())
        .append("`\n\n");
    if (p != null) {
      b.append(p.markdown());
    }
    if (d.inventorySynthesized()) {
      b.append("> Note: ")
          .append(esc(dev.tessera.compiler.matrix.SyntheticInventory.NOTE))
          .append(".\n");
    }
    for (String n : d.notes()) {
      b.append("> ").append(esc(n)).append('\n');
    }
    b.append(d.inventorySynthesized() || !d.notes().isEmpty() ? "\n" : "")
        .append(d.unchanged() ? "✅ " : "⚠️ ")
        .append(headline(d))
        .append("\n");
    if (d.unchanged()) {
      return b.toString();
    }
    b.append("\n| | Change | From | To | Cause |\n|---|---|---|---|---|\n");
    for (Change c : d.changes()) {
      StringJoiner causes = new StringJoiner("<br>");
      c.causes().forEach(k -> causes.add(esc(cause(k))));
      b.append("| ")
          .append(c.kind() == Kind.GAINED ? "➕" : "➖")
          .append(" | **")
          .append(esc(principals(c.sourcePrincipals())))
          .append("** ")
          .append(c.kind() == Kind.GAINED ? "gained" : "lost")
          .append(" `")
          .append(policyAccess(c))
          .append("` on **")
          .append(esc(principals(c.destinationPrincipals())))
          .append("** | ")
          .append(esc(names(c.sources())))
          .append(" | ")
          .append(esc(names(c.destinations())))
          .append(" | ")
          .append(causes)
          .append(" |\n");
    }
    return b.toString();
  }

  private static String esc(String s) {
    return s.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("*", "\\*")
        .replace("_", "\\_")
        .replace("<", "&lt;");
  }

  private static String json(AccessDiff d, Provenance provenance) {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
      g.useDefaultPrettyPrinter();
      g.writeStartObject();
      g.writeNumberField("version", 1);
      g.writeStringField("old", d.oldName());
      g.writeStringField("new", d.newName());
      if (provenance != null) {
        provenance.writeJson(g);
      }
      g.writeBooleanField("changed", !d.unchanged());
      g.writeBooleanField("inventorySynthesized", d.inventorySynthesized());
      g.writeNumberField("nodes", d.nodes());
      g.writeNumberField("changedNodes", d.changedNodes());
      g.writeNumberField("gained", d.count(Kind.GAINED));
      g.writeNumberField("lost", d.count(Kind.LOST));
      g.writeArrayFieldStart("notes");
      for (String n : d.notes()) {
        g.writeString(n);
      }
      g.writeEndArray();
      g.writeArrayFieldStart("changes");
      for (Change c : d.changes()) {
        g.writeStartObject();
        g.writeStringField("kind", c.kind().name().toLowerCase());
        g.writeStringField("summary", access(c));
        g.writeStringField("sentence", sentence(c));
        g.writeArrayFieldStart("access");
        for (AccessDiff.Access a : c.access()) {
          g.writeStartObject();
          g.writeStringField("protocol", IpProtocol.name(a.protocol()));
          g.writeNumberField("proto", a.protocol());
          g.writeArrayFieldStart("ports");
          for (int[] p : a.ports()) {
            g.writeStartArray();
            g.writeNumber(p[0]);
            g.writeNumber(p[1]);
            g.writeEndArray();
          }
          g.writeEndArray();
          g.writeEndObject();
        }
        g.writeEndArray();
        ids(g, "sources", c.sources());
        ids(g, "destinations", c.destinations());
        g.writeArrayFieldStart("sourcePrincipals");
        for (String x : c.sourcePrincipals()) {
          g.writeString(x);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("destinationPrincipals");
        for (String x : c.destinationPrincipals()) {
          g.writeString(x);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("causes");
        for (Cause k : c.causes()) {
          g.writeStartObject();
          g.writeStringField("status", k.status().name().toLowerCase());
          g.writeStringField("version", k.inNew() ? "new" : "old");
          g.writeStringField("location", k.rule().location());
          g.writeStringField("path", k.rule().path());
          g.writeStringField("rule", k.rule().summary());
          if (k.counterpart() != null) {
            g.writeStringField("counterpart", k.counterpart().location());
          }
          if (!k.definitions().isEmpty()) {
            g.writeArrayFieldStart("definitions");
            for (String s : k.definitions()) {
              g.writeString(s);
            }
            g.writeEndArray();
          }
          g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w + "\n";
  }

  private static void ids(JsonGenerator g, String field, List<Endpoint> es) throws IOException {
    g.writeArrayFieldStart(field);
    for (Endpoint e : es) {
      g.writeString(e.id());
    }
    g.writeEndArray();
  }
}
