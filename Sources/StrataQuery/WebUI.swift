/// The querier's web UI at `/`: one static page (no build step, no external assets) with a
/// query box, a table of the instant result and an SVG line chart of a range query, both
/// read from this querier's own `/api/v1` endpoints.
enum WebUI {
    static let html = #"""
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Strata Query</title>
<style>
body{font:14px system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:10px 18px;font-weight:600}
header a{color:#c9d4ea;margin-left:18px;text-decoration:none;font-weight:400}header a.on{color:#fff;font-weight:600}
main{padding:16px 18px}
textarea{width:100%;box-sizing:border-box;font:13px monospace;height:60px;padding:6px}
.row{display:flex;gap:10px;align-items:center;margin:8px 0;flex-wrap:wrap}
button{padding:6px 14px;background:#2f6fdf;color:#fff;border:0;border-radius:3px;cursor:pointer}
.tabs button{background:#dde2ea;color:#1d2330}.tabs button.on{background:#2f6fdf;color:#fff}
table{border-collapse:collapse;width:100%;background:#fff}td,th{border:1px solid #dde2ea;padding:4px 8px;text-align:left;font:12px monospace}
#err{color:#b00020;white-space:pre-wrap}#warn{color:#8a6d00;white-space:pre-wrap}
svg{background:#fff;border:1px solid #dde2ea}
</style></head><body>
"""# + WebUIPages.nav("Graph") + #"""
<main>
<textarea id="q" placeholder="Expression, e.g. sum by (job) (rate(http_requests_total[5m]))"></textarea>
<div class="row">
 <button id="run">Execute</button>
 <span class="tabs"><button id="tTable" class="on">Table</button><button id="tGraph">Graph</button></span>
 <label>range <input id="range" value="1h" size="5"></label>
 <label>end <input id="end" placeholder="now" size="22"></label>
 <label><input type="checkbox" id="dedup" checked> deduplication</label>
 <label><input type="checkbox" id="partial" checked> partial response</label>
 <label>resolution <select id="res"><option value="0s">raw</option><option value="auto">auto</option><option value="5m">5m</option><option value="1h">1h</option></select></label>
</div>
<div id="err"></div><div id="warn"></div>
<div id="out"></div>
</main>
<script>
const $ = id => document.getElementById(id);
let mode = "table";
$("tTable").onclick = () => { mode = "table"; $("tTable").className = "on"; $("tGraph").className = ""; run(); };
$("tGraph").onclick = () => { mode = "graph"; $("tGraph").className = "on"; $("tTable").className = ""; run(); };
$("run").onclick = () => run();
$("q").addEventListener("keydown", e => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); run(); } });
function dur(s) { const m = s.match(/^(\d+)([smhdw])$/); if (!m) return 3600; return +m[1] * {s:1,m:60,h:3600,d:86400,w:604800}[m[2]]; }
function labels(m) { const n = m.__name__ || ""; const r = Object.keys(m).filter(k => k !== "__name__").map(k => k + '="' + m[k] + '"'); return n + "{" + r.join(", ") + "}"; }
function esc(s) { return s.replace(/[&<>]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;"}[c])); }
async function run() {
  const q = $("q").value.trim(); if (!q) return;
  const p = new URLSearchParams({query: q, dedup: $("dedup").checked, partial_response: $("partial").checked, max_source_resolution: $("res").value});
  const end = $("end").value ? Date.parse($("end").value) / 1000 : Date.now() / 1000;
  let url;
  if (mode === "table") { p.set("time", end); url = "api/v1/query"; }
  else { const r = dur($("range").value); p.set("start", end - r); p.set("end", end); p.set("step", Math.max(1, Math.round(r / 250))); url = "api/v1/query_range"; }
  $("err").textContent = ""; $("warn").textContent = ""; $("out").innerHTML = "loading…";
  let j;
  try { j = await (await fetch(url, {method: "POST", body: p})).json(); } catch (e) { $("err").textContent = String(e); $("out").innerHTML = ""; return; }
  if (j.status !== "success") { $("err").textContent = j.errorType + ": " + j.error; $("out").innerHTML = ""; return; }
  if (j.warnings) $("warn").textContent = "warnings: " + j.warnings.join("\n");
  mode === "table" ? table(j.data) : graph(j.data);
}
function table(d) {
  let rows = [];
  if (d.resultType === "vector") rows = d.result.map(s => [labels(s.metric), s.value[1]]);
  else if (d.resultType === "matrix") rows = d.result.map(s => [labels(s.metric), s.values.map(v => v[1] + " @" + v[0]).join("\n")]);
  else rows = [["scalar", d.result[1]]];
  $("out").innerHTML = "<table id='result'><tr><th>series</th><th>value</th></tr>" + rows.map(r => "<tr><td>" + esc(r[0]) + "</td><td>" + esc(String(r[1])) + "</td></tr>").join("") + "</table>"
    + "<p>" + rows.length + " result(s)</p>";
}
function graph(d) {
  const W = 1000, H = 360, P = 40, series = d.result || [];
  let xs = [], ys = [];
  series.forEach(s => s.values.forEach(v => { const y = parseFloat(v[1]); if (isFinite(y)) { xs.push(v[0]); ys.push(y); } }));
  if (!xs.length) { $("out").innerHTML = "<p>no data</p>"; return; }
  const x0 = Math.min(...xs), x1 = Math.max(...xs) || x0 + 1, y0 = Math.min(...ys), y1 = Math.max(...ys);
  const sx = x => P + (x - x0) / ((x1 - x0) || 1) * (W - 2 * P), sy = y => H - P - (y - y0) / ((y1 - y0) || 1) * (H - 2 * P);
  const colors = ["#2f6fdf","#e4572e","#17bebb","#ffc914","#76b041","#8d5fd3","#ff7f0e","#444"];
  let svg = "<svg id='chart' width='" + W + "' height='" + H + "'>";
  svg += "<text x='4' y='14' font-size='11'>" + y1.toPrecision(4) + "</text><text x='4' y='" + (H - P) + "' font-size='11'>" + y0.toPrecision(4) + "</text>";
  series.forEach((s, i) => {
    const pts = s.values.filter(v => isFinite(parseFloat(v[1]))).map(v => sx(v[0]).toFixed(1) + "," + sy(parseFloat(v[1])).toFixed(1));
    svg += "<polyline fill='none' stroke-width='1.5' stroke='" + colors[i % colors.length] + "' points='" + pts.join(" ") + "'><title>" + esc(labels(s.metric)) + "</title></polyline>";
  });
  svg += "</svg>";
  const legend = series.map((s, i) => "<div style='color:" + colors[i % colors.length] + "'>■ " + esc(labels(s.metric)) + "</div>").join("");
  $("out").innerHTML = svg + legend;
}
// Links can carry a query: ?q=...&tab=graph&range=6h&end=2023-11-14T22:00:00Z
const init = new URLSearchParams(location.search);
if (init.get("range")) $("range").value = init.get("range");
if (init.get("end")) $("end").value = init.get("end");
if (init.get("q")) { $("q").value = init.get("q"); if (init.get("tab") === "graph") $("tGraph").click(); else run(); }
</script></body></html>
"""#
}
