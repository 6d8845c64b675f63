/// The querier's fleet pages: Stores (`/stores`), Targets (`/targets`), Rules (`/rules`) and
/// Alerts (`/alerts`), each one static page (no build step, no external assets) that reads
/// this querier's own `/api/v1` answers — the same JSON Grafana and scripts get — and renders
/// it as tables. They share the graph page's look and a navigation bar.
enum WebUIPages {
    static let style = """
        body{font:14px system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
        header{background:#1d2330;color:#fff;padding:10px 18px;font-weight:600}
        header a{color:#c9d4ea;margin-left:18px;text-decoration:none;font-weight:400}header a.on{color:#fff;font-weight:600}
        main{padding:16px 18px}h2{font-size:15px;margin:18px 0 6px}
        table{border-collapse:collapse;width:100%;background:#fff}td,th{border:1px solid #dde2ea;padding:4px 8px;text-align:left;font:12px monospace;vertical-align:top}
        .up,.ok,.inactive{color:#1a7f37}.down,.err,.firing{color:#b00020}.pending,.unknown{color:#8a6d00}
        #err{color:#b00020;white-space:pre-wrap}#warn{color:#8a6d00;white-space:pre-wrap}
        """

    /// The navigation bar; `current` is highlighted.
    static func nav(_ current: String) -> String {
        let links = [("/", "Graph"), ("/stores", "Stores"), ("/targets", "Targets"), ("/rules", "Rules"), ("/alerts", "Alerts")]
        return "<header>Strata Query" + links.map { path, title in
            "<a href=\"\(path)\"\(title == current ? " class=\"on\"" : "")>\(title)</a>"
        }.joined() + "</header>"
    }

    /// A page: title, its API call and the function turning the answer's `data` into HTML.
    static func page(_ title: String, api: String, controls: String = "", render: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Strata Query · \(title)</title><style>\(style)</style></head><body>
        \(nav(title))
        <main>\(controls)<div id="err"></div><div id="warn"></div><div id="out">loading…</div></main>
        <script>
        const $ = id => document.getElementById(id);
        function esc(s) { return String(s ?? "").replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c])); }
        function labels(m) { return "{" + Object.keys(m || {}).sort().map(k => k + '="' + m[k] + '"').join(", ") + "}"; }
        function ago(t) { if (!t || t.startsWith("0001")) return "never"; const s = (Date.now() - Date.parse(t)) / 1000; return s < 0 ? "now" : s < 90 ? Math.round(s) + "s ago" : Math.round(s / 60) + "m ago"; }
        function ms(t) { return t <= -9e15 || t >= 9e15 ? "∞" : new Date(t).toISOString(); }
        function table(head, rows) { return "<table><tr>" + head.map(h => "<th>" + h + "</th>").join("") + "</tr>" + rows.map(r => "<tr>" + r.map(c => "<td>" + c + "</td>").join("") + "</tr>").join("") + "</table>"; }
        async function load() {
          $("err").textContent = ""; $("warn").textContent = "";
          let j;
          try { j = await (await fetch(\(api))).json(); } catch (e) { $("err").textContent = String(e); $("out").innerHTML = ""; return; }
          if (j.status !== "success") { $("err").textContent = j.errorType + ": " + j.error; $("out").innerHTML = ""; return; }
          if (j.warnings) $("warn").textContent = "warnings: " + j.warnings.join("\\n");
          $("out").innerHTML = render(j.data);
        }
        \(render)
        load();
        </script></body></html>
        """
    }

    static let stores = page("Stores", api: "\"api/v1/stores\"", render: """
        function render(d) {
          const kinds = Object.keys(d).sort();
          if (!kinds.length) return "<p>no endpoints</p>";
          return kinds.map(k => "<h2>" + esc(k) + " (" + d[k].length + ")</h2>" + table(["endpoint", "health", "label sets", "min time", "max time", "last check", "error"],
            d[k].map(e => [esc(e.name), e.healthy ? "<span class='up'>UP</span>" : "<span class='down'>DOWN</span>",
              (e.labelSets || []).map(l => esc(labels(l))).join("<br>"), ms(e.minTime), ms(e.maxTime),
              e.lastCheck ? new Date(e.lastCheck).toISOString() : "", esc(e.lastError || "")]))).join("") + "<p id='count'>" + kinds.reduce((n, k) => n + d[k].length, 0) + " endpoint(s)</p>";
        }
        """)

    static let targets = page("Targets", api: "\"api/v1/targets?state=\" + $(\"state\").value",
                              controls: "<label>state <select id=\"state\" onchange=\"load()\"><option>active</option><option>dropped</option><option>any</option></select></label>",
                              render: """
        function render(d) {
          const active = d.activeTargets || [], dropped = d.droppedTargets || [];
          const pools = {};
          active.forEach(t => (pools[t.scrapePool] = pools[t.scrapePool] || []).push(t));
          let html = Object.keys(pools).sort().map(p => "<h2>" + esc(p) + " (" + pools[p].filter(t => t.health === "up").length + "/" + pools[p].length + " up)</h2>"
            + table(["endpoint", "state", "labels", "last scrape", "duration", "error"], pools[p].map(t => [esc(t.scrapeUrl),
              "<span class='" + esc(t.health) + "'>" + esc(t.health.toUpperCase()) + "</span>", esc(labels(t.labels)), ago(t.lastScrape),
              t.lastScrapeDuration ? (t.lastScrapeDuration * 1000).toFixed(1) + " ms" : "", esc(t.lastError)]))).join("");
          if (dropped.length) html += "<h2>dropped (" + dropped.length + ")</h2>" + table(["discovered labels"], dropped.map(t => [esc(labels(t.discoveredLabels))]));
          return html + "<p id='count'>" + active.length + " active, " + dropped.length + " dropped target(s)</p>";
        }
        """)

    static let rules = page("Rules", api: "\"api/v1/rules\"", render: """
        function render(d) {
          const groups = d.groups || [];
          return groups.map(g => "<h2>" + esc(g.name) + " <small>" + esc(g.file) + " · every " + esc(g.interval) + "s</small></h2>"
            + table(["rule", "query", "health", "state", "last evaluation", "error"], g.rules.map(r => [esc(r.name) + (r.type === "alerting" ? " (alert)" : ""),
              esc(r.query), "<span class='" + esc(r.health) + "'>" + esc(r.health) + "</span>",
              r.type === "alerting" ? "<span class='" + esc(r.state) + "'>" + esc(r.state) + "</span>" : "", ago(r.lastEvaluation), esc(r.lastError)]))).join("")
            + "<p id='count'>" + groups.reduce((n, g) => n + g.rules.length, 0) + " rule(s) in " + groups.length + " group(s)</p>";
        }
        """)

    static let alerts = page("Alerts", api: "\"api/v1/alerts\"", render: """
        function render(d) {
          const alerts = d.alerts || [];
          return table(["alert", "labels", "state", "active since", "value", "annotations"], alerts.map(a => [esc(a.labels.alertname),
              esc(labels(a.labels)), "<span class='" + esc(a.state) + "'>" + esc(a.state) + "</span>", esc(a.activeAt), esc(a.value), esc(labels(a.annotations))]))
            + "<p id='count'>" + alerts.length + " alert(s)</p>";
        }
        """)
}
