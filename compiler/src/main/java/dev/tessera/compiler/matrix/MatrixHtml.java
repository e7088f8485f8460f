package dev.tessera.compiler.matrix;

import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The access matrix as one self-contained HTML page.
 *
 * <p>Design: the page must stay small at 1000 nodes (≤ 5 MB) and usable at 500, yet a
 * 1000 x 1000 grid written out as {@code <td>} elements is several megabytes of mostly empty
 * cells. So the page carries the matrix as compact JSON and an inline script draws the table:
 * distinct cell contents are stored once ({@code types}), each row is a run-length list of
 * (column, run, type) ({@code patterns}), and rows with identical access share a pattern
 * (users in the same groups usually do). Everything is inline (no CDN, no fonts, no network
 * access), so the file can be attached to a ticket and opened offline.
 *
 * <p>The page offers: rows grouped under collapsible section headings (user or tag at node
 * level; users, groups, tags when grouped), sticky column and row headers, a filter box
 * ({@code sources -> destinations}, words ANDed, matched against names, users, tags, groups
 * and addresses; also settable as {@code #q=...} in the URL), a legend with every rule and its
 * location, a status line naming the hovered cell, and print styles (landscape, headers
 * repeated per page, controls hidden, colours kept).
 *
 * <p>Every drawn cell carries {@code data-src} and {@code data-dst} with the endpoint ids and
 * a {@code title} with the full text, which the headless-browser test reads back.
 */
final class MatrixHtml {
  private MatrixHtml() {}

  static void render(AccessMatrix m, Writer out) throws IOException {
    String data = data(m);
    String page = TEMPLATE
        .replace("@@TITLE@@", escHtml("Access matrix: " + m.title()))
        .replace("@@DATA@@", data);
    out.write(page);
  }

  /** The embedded data, as JSON safe to place inside a script element. */
  static String data(AccessMatrix m) {
    StringBuilder b = new StringBuilder(1 << 16);
    b.append("{\"title\":").append(js(m.title()));
    b.append(",\"by\":").append(js(m.by().name().toLowerCase()));
    b.append(",\"notes\":[");
    for (int i = 0; i < m.notes().size(); i++) {
      b.append(i > 0 ? "," : "").append(js(m.notes().get(i)));
    }
    b.append("],\"rules\":[");
    boolean[] used = m.rulesInUse();
    for (int r = 0; r < m.rules().size(); r++) {
      RuleOrigin o = m.rules().get(r);
      b.append(r > 0 ? "," : "").append('[').append(js(o.location())).append(',').append(js(o.path()))
          .append(',').append(js(o.summary())).append(',').append(used[r] ? 1 : 0).append(']');
    }
    b.append("],\"rows\":");
    axis(b, m.sources());
    b.append(",\"cols\":");
    axis(b, m.destinations());
    // Distinct cell contents.
    Map<String, Integer> typeIds = new HashMap<>();
    // Equal cells (same access, same rules) render alike: format each distinct cell once.
    Map<Cell, Integer> cellTypes = new HashMap<>();
    List<String> types = new ArrayList<>();
    Map<String, Integer> patternIds = new HashMap<>();
    List<String> patterns = new ArrayList<>();
    int[] rowPattern = new int[m.sources().size()];
    int cols = m.destinations().size();
    for (int s = 0; s < m.sources().size(); s++) {
      StringBuilder pat = new StringBuilder("[");
      int lastType = -1;
      int runStart = -1;
      int run = 0;
      boolean firstRun = true;
      for (int d = 0; d <= cols; d++) {
        Cell c = d < cols ? m.cells().get(AccessMatrix.key(s, d)) : null;
        int t = -1;
        if (c != null) {
          Integer id = cellTypes.get(c);
          if (id == null) {
            String json = cellJson(c);
            id = typeIds.get(json);
            if (id == null) {
              id = types.size();
              typeIds.put(json, id);
              types.add(json);
            }
            cellTypes.put(c, id);
          }
          t = id;
        }
        if (t == lastType && t >= 0 && runStart + run == d) {
          run++;
          continue;
        }
        if (lastType >= 0) {
          pat.append(firstRun ? "" : ",").append(runStart).append(',').append(run).append(',').append(lastType);
          firstRun = false;
        }
        lastType = t;
        runStart = d;
        run = 1;
      }
      String p = pat.append(']').toString();
      Integer pid = patternIds.get(p);
      if (pid == null) {
        pid = patterns.size();
        patternIds.put(p, pid);
        patterns.add(p);
      }
      rowPattern[s] = pid;
    }
    b.append(",\"types\":[").append(String.join(",", types)).append(']');
    b.append(",\"patterns\":[").append(String.join(",", patterns)).append(']');
    b.append(",\"rowPattern\":").append(Arrays.toString(rowPattern).replace(" ", ""));
    b.append('}');
    return b.toString();
  }

  /** [[access, [rules], pairs, total, compact], ...] for one cell. */
  private static String cellJson(Cell c) {
    StringBuilder b = new StringBuilder("[");
    List<CellText.Entry> entries = CellText.entries(c);
    for (int i = 0; i < entries.size(); i++) {
      CellText.Entry e = entries.get(i);
      b.append(i > 0 ? "," : "").append('[').append(js(e.access())).append(',')
          .append(Arrays.toString(e.rules()).replace(" ", "")).append(',').append(e.pairs())
          .append(',').append(e.total()).append(',').append(js(e.compact())).append(']');
    }
    return b.append(']').toString();
  }

  /** [[id, label, section, detail], ...] */
  private static void axis(StringBuilder b, List<Endpoint> list) {
    b.append('[');
    for (int i = 0; i < list.size(); i++) {
      Endpoint e = list.get(i);
      b.append(i > 0 ? "," : "").append('[').append(js(e.id())).append(',').append(js(e.label()))
          .append(',').append(js(section(e))).append(',').append(js(detail(e))).append(']');
    }
    b.append(']');
  }

  static String section(Endpoint e) {
    if (e.kind() != Endpoint.Kind.GROUP) {
      return e.section();
    }
    String id = e.id();
    if (id.startsWith("user:")) {
      return "users";
    }
    if (id.startsWith("group:")) {
      return "groups";
    }
    if (id.startsWith("tag:")) {
      return "tags";
    }
    return "autogroups";
  }

  static String detail(Endpoint e) {
    List<String> parts = new ArrayList<>();
    switch (e.kind()) {
      case NODE -> {
        if (!e.user().isEmpty()) {
          parts.add(e.user());
        }
        parts.addAll(e.tags());
        parts.addAll(e.groups());
        parts.addAll(e.addresses());
      }
      case SUBNET, EXTERNAL -> {
        parts.addAll(e.addresses());
        if (!e.via().isEmpty()) {
          parts.add("via " + e.via());
        }
      }
      case GROUP -> {
        List<String> ms = e.members();
        parts.add(ms.size() + (ms.size() == 1 ? " member: " : " members: ")
            + String.join(", ", ms.subList(0, Math.min(ms.size(), 30))) + (ms.size() > 30 ? ", …" : ""));
      }
    }
    return String.join(" ", parts);
  }

  /** A JSON string literal (also safe inside a script element). */
  static String jsonString(String s) {
    return js(s);
  }

  /** A JSON string literal that cannot end the script element or break the page. */
  static String js(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '<' -> b.append("\\u003c");
        case '>' -> b.append("\\u003e");
        case '&' -> b.append("\\u0026");
        case '\u2028' -> b.append("\\u2028");
        case '\u2029' -> b.append("\\u2029");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  static String escHtml(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static final String TEMPLATE =
      """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
      <title>@@TITLE@@</title>
      <style>
      :root { --bg:#fff; --fg:#1b1f24; --mute:#667; --line:#d6dae0; --head:#f3f5f8; --sec:#e8ecf2;
              --ok:#d9f2df; --wide:#b5e3c1; --part:#fbe8b8; --hl:#fff4a8; }
      * { box-sizing: border-box; }
      body { margin:0; font:12px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
      header { padding:10px 14px 6px; border-bottom:1px solid var(--line); }
      h1 { font-size:16px; margin:0 0 4px; }
      .meta { color:var(--mute); }
      .notes { margin:4px 0 0; padding-left:18px; color:#7a4d00; }
      .controls { display:flex; gap:12px; align-items:center; flex-wrap:wrap; padding:6px 14px; border-bottom:1px solid var(--line); background:var(--head); }
      .controls input[type=search] { width:28em; max-width:100%; padding:4px 6px; font:inherit; border:1px solid #aab; border-radius:3px; }
      .count { color:var(--mute); }
      details.legend { padding:4px 14px; border-bottom:1px solid var(--line); }
      details.legend summary { cursor:pointer; font-weight:600; }
      .keys { display:flex; gap:14px; flex-wrap:wrap; margin:6px 0; }
      .key { display:inline-block; width:14px; height:12px; vertical-align:middle; border:1px solid var(--line); margin-right:4px; }
      table.rules { border-collapse:collapse; margin:4px 0 8px; }
      table.rules td { padding:1px 8px 1px 0; vertical-align:top; }
      table.rules tr.unused td { color:var(--mute); }
      code { font:11px/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
      .wrap { overflow:auto; max-height:calc(100vh - 24px); }
      table.m { border-collapse:separate; border-spacing:0; }
      table.m th, table.m td { border-right:1px solid var(--line); border-bottom:1px solid var(--line); padding:2px 4px; }
      table.m thead th { position:sticky; top:0; background:var(--head); z-index:2; font-weight:600; }
      table.m thead tr.names th { top:var(--h1, 22px); vertical-align:bottom; }
      table.m thead th.col { writing-mode:vertical-rl; transform:rotate(180deg); white-space:nowrap; max-height:14em; overflow:hidden; text-overflow:ellipsis; }
      table.m thead th.cs { text-align:left; white-space:nowrap; border-left:2px solid #9aa3af; }
      /* A zero-width box that fills the cell: long section names are cut, never widen columns. */
      table.m thead th.cs div { width:0; min-width:100%; overflow:hidden; text-overflow:ellipsis; }
      table.m th.corner { left:0; z-index:4; text-align:left; vertical-align:bottom; }
      table.m th.rh { position:sticky; left:0; background:var(--bg); z-index:1; text-align:left; font-weight:500; white-space:nowrap; max-width:22em; overflow:hidden; text-overflow:ellipsis; }
      table.m tr.sec th { position:sticky; left:0; background:var(--sec); text-align:left; cursor:pointer; z-index:1; }
      table.m tr.sec td { background:var(--sec); }
      table.m td { font:12px/1.25 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space:nowrap; vertical-align:top;
                   max-width:16em; overflow:hidden; text-overflow:ellipsis; }
      table.m td.a { background:var(--ok); }
      table.m td.w { background:var(--wide); }
      table.m td.p { background:var(--part); }
      table.m td sup { color:#2a5db0; font-size:9px; margin-left:2px; }
      table.m td i { color:var(--mute); font-style:normal; }
      table.m td.first { border-left:2px solid #9aa3af; }
      table.m tbody tr:hover th.rh { background:var(--hl); }
      .status { position:sticky; bottom:0; z-index:10; padding:3px 14px; background:#20242a; color:#e8eaed; min-height:1.5em; font:11px/1.4 ui-monospace, monospace; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
      .empty { padding:20px 14px; color:var(--mute); }
      @media print {
        @page { size:landscape; margin:8mm; }
        * { -webkit-print-color-adjust:exact; print-color-adjust:exact; }
        body { font-size:8pt; }
        .controls, .status { display:none; }
        .wrap { overflow:visible; max-height:none; }
        table.m thead th, table.m th.rh, table.m tr.sec th { position:static; }
        table.m thead { display:table-header-group; }
        table.m tr { break-inside:avoid; }
        table.m td { font-size:6.5pt; }
        details.legend { break-before:page; }
      }
      </style>
      </head>
      <body>
      <header>
        <h1 id="title"></h1>
        <div class="meta" id="meta"></div>
        <ul class="notes" id="notes"></ul>
      </header>
      <div class="controls">
        <label>Filter <input type="search" id="q" placeholder="sources -> destinations   e.g.  alice -> tag:db" autocomplete="off"></label>
        <label><input type="checkbox" id="hide"> hide rows and columns without access</label>
        <button type="button" id="expand">expand all</button>
        <button type="button" id="collapse">collapse all</button>
        <span class="count" id="count"></span>
      </div>
      <details class="legend" id="legend">
        <summary>Legend</summary>
        <div class="keys">
          <span><span class="key" style="background:var(--ok)"></span>access on some ports</span>
          <span><span class="key" style="background:var(--wide)"></span>all ports of a protocol</span>
          <span><span class="key" style="background:var(--part)"></span>only some members of a group [k/n member pairs]</span>
          <span>Cell: <code>80,443</code> = TCP and UDP ports (a rule without <code>proto</code> also allows ICMP); <code>tcp:5432</code>, <code>udp:53</code>, <code>icmp</code> = that protocol only; <code>*</code> = all ports; <sup style="color:#2a5db0">R3</sup> = the rule granting it. Hover a cell for the exact protocols, ports and file:line.</span>
          <span>Rows are sources, columns destinations. Click a section heading to fold it.</span>
        </div>
        <table class="rules" id="rules"></table>
      </details>
      <noscript><p class="empty">This page draws the matrix with an inline script (no network access); enable JavaScript for this file to see it.</p></noscript>
      <div class="wrap" id="wrap"><table class="m" id="m"></table></div>
      <div class="status" id="status">Hover a cell to see who reaches what, and the rule that allows it.</div>
      <script type="application/json" id="data">@@DATA@@</script>
      <script>
      "use strict";
      (function () {
        var D = JSON.parse(document.getElementById("data").textContent);
        var $ = function (id) { return document.getElementById(id); };
        function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return {"&":"&amp;","<":"&lt;",">":"&gt;","\\"":"&quot;","'":"&#39;"}[c]; }); }
        var rules = D.rules, rows = D.rows, cols = D.cols;
        // Expand each row's run-length pattern into a column -> type map, once.
        var rowCells = rows.map(function (_, r) {
          var p = D.patterns[D.rowPattern[r]], m = {};
          for (var i = 0; i < p.length; i += 3) { for (var k = 0; k < p[i + 1]; k++) { m[p[i] + k] = p[i + 2]; } }
          return m;
        });
        var colHas = new Array(cols.length).fill(false);
        rowCells.forEach(function (m) { for (var c in m) { colHas[c] = true; } });
        var typeText = D.types.map(function (t) {
          return t.map(function (e) {
            var locs = e[1].map(function (r) { return rules[r][0]; }).join(", ");
            return e[0] + " (" + locs + ")" + (e[2] < e[3] ? " [" + e[2] + "/" + e[3] + "]" : "");
          }).join("; ");
        });
        // A cell shows at most two entries on one line, "+N" for the rest (all are in the
        // tooltip and the status line), so a server granted by twenty rules keeps rows short.
        var typeHtml = D.types.map(function (t) {
          var shown = t.slice(0, 2).map(function (e) {
            return esc(e[4]) + e[1].map(function (r) { return "<sup>R" + (r + 1) + "</sup>"; }).join("") +
              (e[2] < e[3] ? " <b>" + e[2] + "/" + e[3] + "</b>" : "");
          }).join(" ");
          return t.length > 2 ? shown + " <i>+" + (t.length - 2) + "</i>" : shown;
        });
        var typeClass = D.types.map(function (t) {
          var partial = t.some(function (e) { return e[2] < e[3]; });
          var wide = t.some(function (e) { return /(^|[ :])\\*( |$|\\+)/.test(e[4]); });
          return partial ? "p" : wide ? "w" : "a";
        });
        $("title").textContent = "Access matrix: " + D.title;
        $("meta").textContent = rows.length + " sources × " + cols.length + " destinations" +
          (D.by !== "node" ? ", grouped by " + D.by : "") + ". Generated by policyc matrix from the compiled filters.";
        if (rows.length <= 60) { $("legend").open = true; }
        $("notes").innerHTML = D.notes.map(function (n) { return "<li>" + esc(n) + "</li>"; }).join("");
        $("rules").innerHTML = rules.map(function (r, i) {
          return "<tr" + (r[3] ? "" : " class=\\"unused\\"") + "><td><sup>R" + (i + 1) + "</sup></td><td><code>" + esc(r[0]) +
            "</code></td><td><code>" + esc(r[1]) + "</code></td><td><code>" + esc(r[2]) + "</code>" +
            (r[3] ? "" : " <i>(grants nothing here)</i>") + "</td></tr>";
        }).join("");
        var collapsed = {};
        function words(s) { return s.toLowerCase().split(/\\s+/).filter(function (w) { return w; }); }
        function matches(e, ws) {
          if (!ws.length) { return true; }
          var hay = (e[1] + " " + e[2] + " " + e[3] + " " + e[0]).toLowerCase();
          return ws.every(function (w) { return hay.indexOf(w) >= 0; });
        }
        function draw() {
          var q = $("q").value, parts = q.split("->");
          var rw = words(parts[0] || ""), cw = words(parts.length > 1 ? parts.slice(1).join("->") : "");
          var hide = $("hide").checked;
          var vr = [], vc = [];
          rows.forEach(function (e, r) { if (matches(e, rw) && (!hide || Object.keys(rowCells[r]).length)) { vr.push(r); } });
          cols.forEach(function (e, c) { if (matches(e, cw) && (!hide || colHas[c])) { vc.push(c); } });
          if (hide) {
            var live = {};
            vr.forEach(function (r) { vc.forEach(function (c) { if (rowCells[r][c] !== undefined) { live[c] = true; } }); });
            vc = vc.filter(function (c) { return live[c]; });
            vr = vr.filter(function (r) { return vc.some(function (c) { return rowCells[r][c] !== undefined; }); });
          }
          var h = [];
          // Header row 1: column sections; row 2: column names.
          h.push("<thead><tr class=\\"secs\\"><th class=\\"corner\\" rowspan=\\"2\\">source \\\\ destination</th>");
          var firstOfSec = {}, i = 0;
          while (i < vc.length) {
            var s = cols[vc[i]][2], j = i;
            while (j < vc.length && cols[vc[j]][2] === s) { j++; }
            firstOfSec[vc[i]] = true;
            h.push("<th class=\\"cs\\" colspan=\\"" + (j - i) + "\\" title=\\"" + esc(s) + "\\"><div>" + esc(s) + "</div></th>");
            i = j;
          }
          h.push("</tr><tr class=\\"names\\">");
          vc.forEach(function (c) { h.push("<th class=\\"col\\" data-col=\\"" + esc(cols[c][0]) + "\\" title=\\"" + esc(cols[c][1] + " — " + cols[c][3]) + "\\">" + esc(cols[c][1]) + "</th>"); });
          h.push("</tr></thead><tbody>");
          var k = 0;
          while (k < vr.length) {
            var sec = rows[vr[k]][2], m = k;
            while (m < vr.length && rows[vr[m]][2] === sec) { m++; }
            var folded = !!collapsed[sec];
            if (sec) {
              h.push("<tr class=\\"sec\\" data-sec=\\"" + esc(sec) + "\\"><th class=\\"rh\\">" + (folded ? "▸ " : "▾ ") + esc(sec) +
                " <span class=\\"count\\">(" + (m - k) + ")</span></th><td colspan=\\"" + vc.length + "\\"></td></tr>");
            }
            if (!folded) {
              for (var x = k; x < m; x++) {
                var r = vr[x], cells = rowCells[r], row = rows[r];
                h.push("<tr><th class=\\"rh\\" data-row=\\"" + esc(row[0]) + "\\" title=\\"" + esc(row[1] + " — " + row[3]) + "\\">" + esc(row[1]) + "</th>");
                for (var y = 0; y < vc.length; y++) {
                  var c = vc[y], t = cells[c], cls = firstOfSec[c] ? " first" : "";
                  if (t === undefined) { h.push(cls ? "<td class=\\"first\\"></td>" : "<td></td>"); continue; }
                  h.push("<td class=\\"" + typeClass[t] + cls + "\\" data-src=\\"" + esc(row[0]) + "\\" data-dst=\\"" + esc(cols[c][0]) +
                    "\\" title=\\"" + esc(row[1] + " → " + cols[c][1] + ": " + typeText[t]) + "\\">" + typeHtml[t] + "</td>");
                }
                h.push("</tr>");
              }
            }
            k = m;
          }
          h.push("</tbody>");
          $("m").innerHTML = h.join("");
          $("count").textContent = "showing " + vr.length + " of " + rows.length + " sources, " + vc.length + " of " + cols.length + " destinations";
          var first = document.querySelector("#m thead tr.secs");
          if (first) { $("m").style.setProperty("--h1", first.getBoundingClientRect().height + "px"); }
        }
        $("m").addEventListener("click", function (ev) {
          var tr = ev.target.closest("tr.sec");
          if (tr) { var s = tr.getAttribute("data-sec"); collapsed[s] = !collapsed[s]; draw(); }
        });
        $("m").addEventListener("mouseover", function (ev) {
          var td = ev.target.closest("td[data-src]");
          if (td) { $("status").textContent = td.title; }
        });
        function setAll(v) { rows.forEach(function (e) { if (e[2]) { collapsed[e[2]] = v; } }); draw(); }
        $("expand").addEventListener("click", function () { setAll(false); });
        $("collapse").addEventListener("click", function () { setAll(true); });
        var timer = 0;
        $("q").addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(draw, 120); });
        $("hide").addEventListener("change", draw);
        window.addEventListener("beforeprint", function () { $("legend").open = true; });
        var hash = /[#&]q=([^&]*)/.exec(location.hash);
        if (hash) { $("q").value = decodeURIComponent(hash[1].replace(/\\+/g, " ")); }
        draw();
      })();
      </script>
      </body>
      </html>
      """;
}
