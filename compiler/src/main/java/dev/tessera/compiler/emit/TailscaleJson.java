package dev.tessera.compiler.emit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import dev.tessera.enforcer.format.CapGrant;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.net.IpPrefix;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tailscale's packet-filter JSON (tailcfg.FilterRule) for one node, so output can be compared with
 * Tailscale and headscale: {@code [{"SrcIPs": [...], "DstPorts": [{"IP": "...", "Ports": {"First":
 * n, "Last": n}}], "IPProto": [...]}]}. As Tailscale writes them: single addresses without a prefix
 * length, {@code "*"} for a destination covering both 0.0.0.0/0 and ::/0 with the same ports, and
 * no {@code IPProto} when the rule uses the default protocols. App grants become rules with {@code
 * SrcIPs} and {@code CapGrant} ({@code Dsts}, {@code CapMap}). Rule order is the compiled filter's
 * (canonical), so the text is deterministic. Capability values are emitted as the JSON they are.
 */
public final class TailscaleJson {
  private static final JsonFactory JSON = new JsonFactory();

  private TailscaleJson() {}

  public static String write(CompiledFilter f) {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(w)) {
      DefaultPrettyPrinter pp =
          new DefaultPrettyPrinter().withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE);
      g.setPrettyPrinter(pp);
      g.writeStartArray();
      for (FilterRule r : f.rules()) {
        g.writeStartObject();
        g.writeArrayFieldStart("SrcIPs");
        for (IpPrefix p : r.sources()) {
          g.writeString(text(p));
        }
        g.writeEndArray();
        g.writeArrayFieldStart("DstPorts");
        for (String[] d : dstPorts(r.destinations())) {
          g.writeStartObject();
          g.writeStringField("IP", d[0]);
          g.writeObjectFieldStart("Ports");
          g.writeNumberField("First", Integer.parseInt(d[1]));
          g.writeNumberField("Last", Integer.parseInt(d[2]));
          g.writeEndObject();
          g.writeEndObject();
        }
        g.writeEndArray();
        if (!r.protocols().isEmpty()) {
          g.writeArrayFieldStart("IPProto");
          for (int p : r.protocols()) {
            g.writeNumber(p);
          }
          g.writeEndArray();
        }
        g.writeEndObject();
      }
      for (CapGrant c : f.capGrants()) {
        g.writeStartObject();
        g.writeArrayFieldStart("SrcIPs");
        for (IpPrefix p : c.sources()) {
          g.writeString(text(p));
        }
        g.writeEndArray();
        g.writeArrayFieldStart("CapGrant");
        g.writeStartObject();
        g.writeArrayFieldStart("Dsts");
        for (IpPrefix p : c.destinations()) {
          g.writeString(p.toString());
        }
        g.writeEndArray();
        g.writeObjectFieldStart("CapMap");
        g.writeFieldName(c.capability());
        g.writeRawValue("[" + String.join(",", c.values()) + "]");
        g.writeEndObject();
        g.writeEndObject();
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w + "\n";
  }

  /** A single address without its length, else CIDR. */
  static String text(IpPrefix p) {
    return p.isHost() ? p.address().toString() : p.toString();
  }

  /** Destinations with 0.0.0.0/0 + ::/0 of the same ports folded into "*". */
  static List<String[]> dstPorts(List<DstPorts> ds) {
    Map<String, Boolean> v4all = new LinkedHashMap<>();
    Map<String, Boolean> v6all = new LinkedHashMap<>();
    for (DstPorts d : ds) {
      String key = d.firstPort() + "-" + d.lastPort();
      if (d.prefix().equals(IpPrefix.ALL_V4)) {
        v4all.put(key, true);
      } else if (d.prefix().equals(IpPrefix.ALL_V6)) {
        v6all.put(key, true);
      }
    }
    List<String[]> out = new ArrayList<>();
    List<String[]> star = new ArrayList<>();
    for (DstPorts d : ds) {
      String key = d.firstPort() + "-" + d.lastPort();
      boolean both = v4all.containsKey(key) && v6all.containsKey(key);
      if (both && (d.prefix().equals(IpPrefix.ALL_V4) || d.prefix().equals(IpPrefix.ALL_V6))) {
        if (d.prefix().equals(IpPrefix.ALL_V4)) {
          star.add(
              new String[] {"*", Integer.toString(d.firstPort()), Integer.toString(d.lastPort())});
        }
        continue;
      }
      out.add(
          new String[] {
            text(d.prefix()), Integer.toString(d.firstPort()), Integer.toString(d.lastPort())
          });
    }
    star.addAll(out);
    return star;
  }
}
