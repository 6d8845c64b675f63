/// The bucket viewer at `/`: one static page (no build step, no external assets) drawing
/// every block on a timeline per group (external labels and resolution), one lane per
/// compaction level, with gaps, overlaps, marks, partial uploads and unreadable blocks, and a
/// paged table of the blocks.
///
/// Sized for buckets of many thousands of blocks: each group's timeline is one <canvas>
/// (no DOM node per block), the table shows one page of rows, and the lists of gaps and
/// overlaps are capped. The first list is loaded through a script element
/// (`api/v1/blocks.js`), which holds the page's load event until the blocks are drawn: a
/// headless browser taking a screenshot (docs/, the tests) captures the finished page. Later
/// refreshes read `api/v1/blocks` with fetch. The API is found next to the page's own path,
/// so the page works under `--web.route-prefix` and behind a proxy serving it under a path. The page writes how long the last list
/// took from request to drawn into `#load-ms` (`#render-ms`: drawing alone). The address's
/// fragment can preset the controls (`#range=604800000&res=0&filter=eu`), for links.
enum BucketWebPage {
    static let html = #"""
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Strata · Bucket</title>
<style>
body{font:14px system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:10px 18px;font-weight:600;display:flex;gap:18px;align-items:baseline}
header .sub{color:#c9d4ea;font-weight:400;font-size:13px}
main{padding:12px 18px}
.row{display:flex;gap:12px;align-items:center;margin:6px 0 10px;flex-wrap:wrap;font-size:13px}
input,select,button{font:13px system-ui,sans-serif}
button{padding:3px 10px;background:#2f6fdf;color:#fff;border:0;border-radius:3px;cursor:pointer}button:disabled{background:#b7c3d8}
#banner{display:none;padding:8px 12px;margin:0 0 10px;border-radius:3px;white-space:pre-wrap}
#banner.err{display:block;background:#fde8ea;color:#b00020;border:1px solid #f3b5bd}
#banner.wait{display:block;background:#fff6d6;color:#6b5400;border:1px solid #ecd98c}
.legend span{display:inline-flex;align-items:center;gap:4px;margin-right:10px}.legend i{display:inline-block;width:14px;height:10px;border-radius:2px}
#axis{display:block;background:#fff;border:1px solid #dde2ea;border-bottom:0}
.group{background:#fff;border:1px solid #dde2ea;border-top:0;padding:4px 0 2px}
.group-head{font:12px monospace;padding:0 8px;display:flex;gap:12px;align-items:baseline}
.group-title{font-weight:600;font-size:13px;margin:0}
.res{color:#fff;background:#5b6b86;border-radius:3px;padding:0 5px}
.count{color:#5b6b86}.gapn{color:#c62828}.overlapn{color:#d96c00}
.group canvas{display:block;cursor:crosshair}
#tip{position:fixed;display:none;pointer-events:none;background:#1d2330;color:#fff;font:12px monospace;padding:6px 8px;border-radius:3px;white-space:pre;z-index:10}
h2{font-size:15px;margin:18px 0 6px}
ul.problems{margin:0;padding-left:20px;font:12px monospace}
li.gap{color:#c62828}li.overlap{color:#d96c00}li.partial,li.unreadable{color:#6b3fa0}
table{border-collapse:collapse;width:100%;background:#fff}td,th{border:1px solid #dde2ea;padding:3px 7px;text-align:left;font:12px monospace;white-space:nowrap}
th{cursor:pointer;background:#eef1f6}td.n{text-align:right}
tr.partial td{background:#f3ecfb}tr.unreadable td{background:#fde8ea}tr.deleted td{color:#8a93a6;text-decoration:line-through}
.state{color:#b00020}
#perf{color:#8a93a6;font-size:12px;margin-top:10px}
</style></head><body>
<header>Strata · Bucket <span class="sub" id="summary">loading…</span></header>
<main>
<div id="banner"></div>
<div class="row">
 <label>filter <input id="filter" size="34" placeholder="labels, ULID, source, state"></label>
 <label>resolution <select id="res"><option value="">all</option><option value="0">raw</option><option value="300000">5m</option><option value="3600000">1h</option></select></label>
 <label>range <select id="range"><option value="0">everything</option><option value="172800000">last 2d</option><option value="604800000">last 7d</option><option value="2592000000">last 30d</option><option value="7776000000">last 90d</option><option value="31536000000">last 1y</option></select></label>
 <label><input type="checkbox" id="hideDeleted"> hide blocks marked for deletion</label>
 <button id="reload">Reload</button>
</div>
<div class="row legend">
 <span><i style="background:#8fb4f2"></i>level 1</span><span><i style="background:#4c86e8"></i>2</span><span><i style="background:#2456b8"></i>3</span><span><i style="background:#15306e"></i>4+</span>
 <span><i style="background:repeating-linear-gradient(45deg,#b9c0cc 0 3px,#e3e7ee 3px 6px)"></i>marked for deletion</span>
 <span><i style="border:2px solid #e8590c;background:#fff;width:10px;height:6px"></i>no-compact</span>
 <span><i style="background:rgba(230,60,60,.35)"></i>gap</span><span><i style="background:rgba(255,150,0,.55)"></i>overlap</span>
</div>
<canvas id="axis" height="22"></canvas>
<div id="groups"></div>
<div id="tip"></div>
<h2>Problems</h2>
<ul class="problems" id="problems"></ul>
<h2>Blocks <span id="pager"></span></h2>
<div id="table"></div>
<div id="perf">rendered in <span id="render-ms">–</span> ms (request to drawn: <span id="load-ms">–</span> ms)</div>
</main>
<script>
const $ = id => document.getElementById(id);
// The API next to the page whatever its path: /, /prefix or /prefix/ (--web.route-prefix, or a proxy's path).
const BASE = location.pathname.replace(/\/?$/, "/");
const PAGE = 100, LANE = 15, BAR = 12, LEFT = 44, STRIP = 6, MAXLIST = 50;
const LEVEL = ["#8fb4f2", "#8fb4f2", "#4c86e8", "#2456b8", "#15306e"];
let data = null, byId = new Map(), page = 0, sortKey = "minTime", sortDesc = true, canvases = [], requestStart = 0;
function esc(s) { return String(s ?? "").replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c])); }
function pad(n) { return String(n).padStart(2, "0"); }
function time(ms) { const d = new Date(ms); return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()); }
function dur(ms) {
  if (ms <= 0) return "0s";
  const u = [["d", 86400000], ["h", 3600000], ["m", 60000], ["s", 1000]]; let out = "";
  for (const [n, v] of u) { if (ms >= v) { out += Math.floor(ms / v) + n; ms %= v; } if (out.length > 5) break; }
  return out || ms + "ms";
}
function res(r) { return r === 0 ? "raw" : dur(r); }
function num(n) { n = n || 0; return n >= 1e9 ? (n / 1e9).toFixed(1) + "G" : n >= 1e6 ? (n / 1e6).toFixed(1) + "M" : n >= 1e4 ? (n / 1e3).toFixed(1) + "k" : String(n); }
function bytes(n) { if (!n) return ""; const u = ["B", "KiB", "MiB", "GiB", "TiB"]; let i = 0; while (n >= 1024 && i < 4) { n /= 1024; i++; } return n.toFixed(i ? 1 : 0) + " " + u[i]; }
function size(m) { return ((m.thanos && m.thanos.files) || []).reduce((a, f) => a + (f.size_bytes || 0), 0); }
function marks(id) {
  const out = [];
  if (data.deletionMarks[id]) out.push("deletion (" + time(data.deletionMarks[id].time * 1000) + ")");
  if (data.noCompactMarks[id]) out.push("no-compact");
  if (data.noDownsampleMarks[id]) out.push("no-downsample");
  return out;
}

// Data arrives here: from api/v1/blocks.js on the first load, from fetch on reloads.
function strataBucketView(j) {
  const t0 = performance.now();
  data = j.data; byId = new Map();
  for (const m of data.blocks) byId.set(m.ulid, m);
  const groupOf = new Map();
  for (const g of data.groups) for (const id of g.blocks) groupOf.set(id, g);
  data.groupOf = groupOf;
  page = 0;
  render();
  const t1 = performance.now();
  $("render-ms").textContent = (t1 - t0).toFixed(1);
  $("load-ms").textContent = (t1 - requestStart).toFixed(1);
}
function load() {
  requestStart = performance.now();
  fetch(BASE + "api/v1/blocks").then(r => r.json()).then(strataBucketView).catch(e => {
    $("banner").className = "err"; $("banner").textContent = "Cannot reach this server: " + e + (data ? "\nShowing the list read before." : "");
  });
}

function visibleGroups() {
  const f = $("filter").value.trim().toLowerCase(), r = $("res").value;
  return data.groups.filter(g => (r === "" || g.resolution === +r) &&
    (!f || g.key.toLowerCase().includes(f) || g.title.toLowerCase().includes(f) || g.blocks.some(id => id.toLowerCase() === f)));
}
function window_() {
  let lo = Infinity, hi = -Infinity;
  for (const g of data.groups) { lo = Math.min(lo, g.minTime); hi = Math.max(hi, g.maxTime); }
  if (!isFinite(lo)) { hi = Date.now(); lo = hi - 86400000; }
  const span = +$("range").value;
  if (span) lo = Math.max(lo, hi - span);
  if (hi <= lo) hi = lo + 3600000;
  return [lo, hi];
}
function ticks(lo, hi, px) {
  const steps = [3600000, 7200000, 21600000, 43200000, 86400000, 172800000, 604800000, 1209600000, 2592000000, 7776000000, 31536000000];
  let step = steps[steps.length - 1];
  for (const s of steps) if ((hi - lo) / s <= px / 140) { step = s; break; }
  const out = []; for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) out.push(t);
  return out;
}

function render() {
  const b = $("banner");
  if (data.err) { b.className = "err"; b.textContent = "Last sync of the bucket failed" + (data.errAt ? " at " + data.errAt : "") + ": " + data.err + (data.refreshedAt ? "\nShowing the blocks as read at " + data.refreshedAt + "." : ""); }
  else if (data.pending) { b.className = "wait"; b.textContent = data.pending; }
  else { b.className = ""; b.textContent = ""; }
  const nDel = Object.keys(data.deletionMarks).length;
  $("summary").textContent = data.blocks.length + " blocks · " + data.groups.length + " groups · " + nDel + " marked for deletion · " +
    data.partial.length + " partial uploads · " + data.unreadable.length + " unreadable" + (data.refreshedAt ? " · read " + data.refreshedAt : "");
  renderTimeline();
  renderProblems();
  renderTable();
}

function renderTimeline() {
  const groups = visibleGroups(), [lo, hi] = window_();
  const width = Math.max(400, $("groups").clientWidth || document.body.clientWidth - 36), dpr = window.devicePixelRatio || 1;
  const scale = (width - LEFT - 8) / (hi - lo), x = t => LEFT + (t - lo) * scale, tk = ticks(lo, hi, width - LEFT);
  const axis = $("axis"); axis.width = width * dpr; axis.style.width = width + "px"; axis.height = 22 * dpr; axis.style.height = "22px";
  const a = axis.getContext("2d"); a.scale(dpr, dpr); a.font = "11px monospace"; a.fillStyle = "#5b6b86"; a.strokeStyle = "#c5cdd9";
  for (const t of tk) {
    const px = x(t), label = time(t).replace(" 00:00", "");
    a.beginPath(); a.moveTo(px, 14); a.lineTo(px, 22); a.stroke();
    if (px + 2 + a.measureText(label).width < width) a.fillText(label, px + 2, 11);
  }
  const hideDel = $("hideDeleted").checked, html = [];
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i], gaps = g.gaps.length, ov = g.overlaps.length;
    html.push('<section class="group"><div class="group-head"><h3 class="group-title">' + esc(g.title) + '</h3><span class="res">' + res(g.resolution) +
      '</span><span class="count">' + g.blocks.length + ' blocks, ' + time(g.minTime) + ' – ' + time(g.maxTime) + '</span>' +
      (gaps ? '<span class="gapn">' + gaps + (gaps > 1 ? ' gaps' : ' gap') + '</span>' : '') +
      (ov ? '<span class="overlapn">' + ov + (ov > 1 ? ' overlaps' : ' overlap') + '</span>' : '') +
      '</div><canvas data-group="' + i + '"></canvas></section>');
  }
  $("groups").innerHTML = html.join("") || '<div class="group"><div class="group-head">no blocks</div></div>';
  canvases = [];
  $("groups").querySelectorAll("canvas").forEach(c => {
    const g = groups[+c.dataset.group];
    const levels = [...new Set(g.blocks.map(id => byId.get(id).compaction.level))].sort((p, q) => p - q);
    const height = levels.length * LANE + STRIP + 6;
    c.width = width * dpr; c.height = height * dpr; c.style.width = width + "px"; c.style.height = height + "px";
    const ctx = c.getContext("2d"); ctx.scale(dpr, dpr);
    ctx.strokeStyle = "#eef1f6"; for (const t of tk) { ctx.beginPath(); ctx.moveTo(x(t), 0); ctx.lineTo(x(t), height); ctx.stroke(); }
    ctx.font = "10px monospace"; ctx.fillStyle = "#5b6b86";
    levels.forEach((l, k) => ctx.fillText("L" + l, 6, 3 + k * LANE + 10));
    const lanes = levels.map(() => []);
    const hatch = ctx.createPattern(hatchTile(), "repeat");
    for (const id of g.blocks) {
      const m = byId.get(id), del = !!data.deletionMarks[id];
      if (del && hideDel) continue;
      if (m.maxTime < lo || m.minTime > hi) continue;
      const k = levels.indexOf(m.compaction.level), x0 = Math.max(LEFT, x(m.minTime)), x1 = Math.min(width - 8, x(m.maxTime));
      const y = 3 + k * LANE, w = Math.max(1, x1 - x0 - (x1 - x0 > 3 ? 1 : 0));
      ctx.fillStyle = del ? hatch : LEVEL[Math.min(m.compaction.level, 4)];
      ctx.globalAlpha = del ? 1 : 0.9;
      ctx.fillRect(x0, y, w, BAR);
      if (data.noCompactMarks[id]) { ctx.globalAlpha = 1; ctx.strokeStyle = "#e8590c"; ctx.lineWidth = 2; ctx.strokeRect(x0 + 1, y + 1, Math.max(1, w - 2), BAR - 2); ctx.lineWidth = 1; }
      lanes[k].push(m);
    }
    ctx.globalAlpha = 1;
    const sy = 3 + levels.length * LANE, full = levels.length * LANE;
    for (const r of g.gaps) band(ctx, x, r, lo, hi, "rgba(230,60,60,.18)", "rgba(230,60,60,.9)", sy, full);
    for (const r of g.overlaps) band(ctx, x, r, lo, hi, "rgba(255,150,0,.22)", "rgba(255,150,0,1)", sy, full);
    canvases.push({c, g, levels, lanes, lo, hi, scale});
    c.onmousemove = e => tip(e, canvases.find(v => v.c === c));
    c.onmouseleave = () => { $("tip").style.display = "none"; };
    c.onclick = e => { const m = hit(e, canvases.find(v => v.c === c)); if (m) { $("filter").value = m.ulid; page = 0; renderTable(); } };
  });
}
function band(ctx, x, r, lo, hi, fill, strip, sy, full) {
  if (r.maxTime < lo || r.minTime > hi) return;
  const x0 = x(Math.max(lo, r.minTime)), w = Math.max(2, x(Math.min(hi, r.maxTime)) - x0);
  ctx.fillStyle = fill; ctx.fillRect(x0, 1, w, full + 2);
  ctx.fillStyle = strip; ctx.fillRect(x0, sy + 1, w, STRIP - 1);
}
let hatchCanvas = null;
function hatchTile() {
  if (hatchCanvas) return hatchCanvas;
  hatchCanvas = document.createElement("canvas"); hatchCanvas.width = 6; hatchCanvas.height = 6;
  const h = hatchCanvas.getContext("2d"); h.fillStyle = "#e3e7ee"; h.fillRect(0, 0, 6, 6);
  h.strokeStyle = "#b9c0cc"; h.lineWidth = 2; h.beginPath(); h.moveTo(0, 6); h.lineTo(6, 0); h.stroke();
  return hatchCanvas;
}
function hit(e, v) {
  if (!v) return null;
  const r = v.c.getBoundingClientRect(), px = e.clientX - r.left, py = e.clientY - r.top;
  const k = Math.floor((py - 3) / LANE); if (k < 0 || k >= v.levels.length) return null;
  const t = v.lo + (px - LEFT) / v.scale, slack = 2 / v.scale;
  let best = null;
  for (const m of v.lanes[k]) if (m.minTime - slack <= t && t < m.maxTime + slack && (!best || m.maxTime - m.minTime < best.maxTime - best.minTime)) best = m;
  return best;
}
function tip(e, v) {
  const m = hit(e, v), el = $("tip");
  if (!m) { el.style.display = "none"; return; }
  const s = m.stats || {}, src = m.thanos ? m.thanos.source : "";
  el.textContent = m.ulid + "\n" + time(m.minTime) + " – " + time(m.maxTime) + "  (" + dur(m.maxTime - m.minTime) + ")\nlevel " + m.compaction.level +
    ", resolution " + res(v.g.resolution) + ", source " + (src || "?") + "\nseries " + num(s.numSeries) + ", samples " + num(s.numSamples) +
    ", chunks " + num(s.numChunks) + (size(m) ? ", " + bytes(size(m)) : "") + (marks(m.ulid).length ? "\nmarks: " + marks(m.ulid).join(", ") : "");
  el.style.display = "block"; el.style.left = Math.min(e.clientX + 14, window.innerWidth - 420) + "px"; el.style.top = (e.clientY + 14) + "px";
}

function renderProblems() {
  const items = [], groups = visibleGroups();
  function capped(list, cls, text) {
    list.slice(0, MAXLIST).forEach(x => items.push('<li class="' + cls + '">' + text(x) + '</li>'));
    if (list.length > MAXLIST) items.push('<li class="' + cls + '">… and ' + (list.length - MAXLIST) + ' more</li>');
  }
  for (const g of groups) {
    const name = esc(g.title) + " " + res(g.resolution);
    capped(g.gaps, "gap", r => "gap in " + name + ": " + time(r.minTime) + " – " + time(r.maxTime) + " (" + dur(r.maxTime - r.minTime) + " without a block)");
    capped(g.overlaps, "overlap", o => "overlap in " + name + ": " + time(o.minTime) + " – " + time(o.maxTime) + " (" + dur(o.maxTime - o.minTime) + ") between " + o.blocks.join(", "));
  }
  capped(data.partial, "partial", p => "partial upload " + p.ulid + " (no meta.json; ULID time " + time(p.ulidTime) + ")");
  capped(data.unreadable, "unreadable", u => "unreadable block " + u.ulid + ": " + esc(u.error));
  $("problems").innerHTML = items.join("") || "<li>none: no gaps, overlaps, partial uploads or unreadable blocks</li>";
}

function rows() {
  const f = $("filter").value.trim().toLowerCase(), r = $("res").value, hideDel = $("hideDeleted").checked, out = [];
  for (const p of data.partial) out.push({ulid: p.ulid, state: "partial upload (no meta.json)", cls: "partial", minTime: p.ulidTime, group: ""});
  for (const u of data.unreadable) out.push({ulid: u.ulid, state: "unreadable meta.json: " + u.error, cls: "unreadable", minTime: 0, group: ""});
  for (const o of out) o.text = (o.ulid + " " + o.state).toLowerCase();
  const blocks = [];
  for (const m of data.blocks) {
    const g = data.groupOf.get(m.ulid), del = !!data.deletionMarks[m.ulid];
    if (del && hideDel) continue;
    if (r !== "" && g.resolution !== +r) continue;
    const mk = marks(m.ulid).join(", "), src = m.thanos ? m.thanos.source : "";
    blocks.push({m, ulid: m.ulid, group: g.title, res: g.resolution, level: m.compaction.level, minTime: m.minTime, maxTime: m.maxTime,
      span: m.maxTime - m.minTime, series: m.stats.numSeries || 0, samples: m.stats.numSamples || 0, chunks: m.stats.numChunks || 0,
      size: size(m), source: src, state: mk, cls: del ? "deleted" : "", text: (m.ulid + " " + g.key + " " + g.title + " " + src + " " + mk).toLowerCase()});
  }
  const dir = sortDesc ? -1 : 1;
  blocks.sort((p, q) => (p[sortKey] < q[sortKey] ? -1 : p[sortKey] > q[sortKey] ? 1 : p.ulid < q.ulid ? -1 : 1) * dir);
  return out.concat(blocks).filter(o => !f || o.text.includes(f));
}
function renderTable() {
  const all = rows(), pages = Math.max(1, Math.ceil(all.length / PAGE));
  page = Math.min(page, pages - 1);
  const cols = [["ulid", "ULID"], ["group", "group"], ["res", "res"], ["level", "level"], ["minTime", "from"], ["maxTime", "until"], ["span", "span"],
    ["series", "series"], ["samples", "samples"], ["chunks", "chunks"], ["size", "size"], ["source", "source"], ["state", "marks / state"]];
  const head = "<tr>" + cols.map(([k, t]) => '<th data-k="' + k + '">' + t + (k === sortKey ? (sortDesc ? " ▾" : " ▴") : "") + "</th>").join("") + "</tr>";
  const body = all.slice(page * PAGE, (page + 1) * PAGE).map(o => {
    if (!o.m) return '<tr class="' + o.cls + '"><td>' + o.ulid + '</td><td colspan="11"></td><td class="state">' + esc(o.state) + "</td></tr>";
    return '<tr class="' + o.cls + '"><td>' + o.ulid + "</td><td>" + esc(o.group) + "</td><td>" + res(o.res) + '</td><td class="n">' + o.level +
      "</td><td>" + time(o.minTime) + "</td><td>" + time(o.maxTime) + "</td><td>" + dur(o.span) + '</td><td class="n">' + num(o.series) +
      '</td><td class="n">' + num(o.samples) + '</td><td class="n">' + num(o.chunks) + '</td><td class="n">' + bytes(o.size) + "</td><td>" +
      esc(o.source) + "</td><td>" + esc(o.state) + "</td></tr>";
  }).join("");
  $("table").innerHTML = "<table>" + head + body + "</table>";
  $("table").querySelectorAll("th").forEach(th => th.onclick = () => { const k = th.dataset.k; sortDesc = k === sortKey ? !sortDesc : false; sortKey = k; renderTable(); });
  $("pager").innerHTML = '<button id="prev"' + (page ? "" : " disabled") + '>‹</button> page ' + (page + 1) + " / " + pages + " (" + all.length +
    ' rows) <button id="next"' + (page + 1 < pages ? "" : " disabled") + ">›</button>";
  $("prev").onclick = () => { page--; renderTable(); };
  $("next").onclick = () => { page++; renderTable(); };
}

// Settings from the address (#range=604800000&res=0&filter=eu): links that open a view.
for (const [k, v] of new URLSearchParams(location.hash.slice(1))) if (["range", "res", "filter"].includes(k)) $(k).value = v;
$("filter").oninput = () => { page = 0; if (data) render(); };
for (const id of ["res", "range", "hideDeleted"]) $(id).onchange = () => { page = 0; if (data) render(); };
$("reload").onclick = load;
window.addEventListener("resize", () => { if (data) renderTimeline(); });
setInterval(load, 60000);
// The first list through a script element: the load event waits for it (see the Swift doc comment).
requestStart = performance.now();
const first = document.createElement("script");
first.src = BASE + "api/v1/blocks.js";
first.onerror = () => { $("banner").className = "err"; $("banner").textContent = "Cannot load api/v1/blocks.js from this server."; };
document.body.appendChild(first);
</script>
</body></html>
"""#
}
