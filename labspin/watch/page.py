"""The status page: static HTML and a small script that polls ``api/status``.

Everything from the data directory is put into the page with ``textContent`` (never as
HTML), so a run's error text cannot inject markup. The page has no form, button or
input: it only shows.
"""

HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>labspin watch</title>
<link rel="stylesheet" href="style.css">
</head>
<body>
<header>
  <h1>labspin watch</h1>
  <span id="where"></span>
  <span class="readonly">read-only: nothing here can change the bench or the runs</span>
  <span id="updated"></span>
</header>
<main>
<section id="queue-section">
  <h2>Queue</h2>
  <div id="queue">no queue has run in this data directory</div>
</section>
<section id="running-section">
  <h2>Running run</h2>
  <div id="running">nothing is running</div>
  <img id="plot" alt="live plot of the running run" hidden>
</section>
<section id="bench-section">
  <h2>Bench</h2>
  <div id="bench">no bench state yet (written after each run)</div>
</section>
<section id="runs-section">
  <h2>Last runs</h2>
  <table id="runs"><thead><tr><th>run</th><th>procedure</th><th>sample</th><th>status</th>
  <th>ended</th><th>fitted</th><th>verdict</th></tr></thead><tbody></tbody></table>
  <p id="catalog"></p>
</section>
</main>
<script src="app.js"></script>
</body>
</html>
"""

CSS = """
body { font-family: system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; }
header { background: #263238; color: #eceff1; padding: 10px 18px; display: flex;
         gap: 18px; align-items: baseline; flex-wrap: wrap; }
header h1 { font-size: 20px; margin: 0; }
.readonly { font-size: 12px; color: #b0bec5; }
#updated { margin-left: auto; font-size: 12px; }
main { display: grid; grid-template-columns: minmax(360px, 1fr) minmax(360px, 1fr);
       gap: 14px; padding: 14px 18px; }
section { background: white; border: 1px solid #dde1e4; border-radius: 6px;
          padding: 8px 14px 12px; }
#running-section { grid-column: 2; grid-row: 1 / span 2; }
#runs-section { grid-column: 1 / -1; }
h2 { font-size: 15px; margin: 4px 0 8px; color: #37474f; }
.bar { height: 14px; background: #e0e0e0; border-radius: 7px; overflow: hidden;
       margin: 6px 0; }
.bar > div { height: 100%; background: #43a047; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px;
      font-size: 14px; }
.kv .k { color: #607d8b; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eceff1;
         vertical-align: top; }
.status-finished { color: #2e7d32; } .status-failed, .status-interrupted { color: #c62828; }
.status-running { color: #1565c0; font-weight: 600; } .status-aborted { color: #ef6c00; }
.verdict-ok { color: #2e7d32; } .verdict-poor { color: #ef6c00; }
.verdict-not-determined { color: #c62828; }
.safe { color: #2e7d32; font-weight: 600; } .unsafe { color: #c62828; font-weight: 700; }
.small { font-size: 12px; color: #607d8b; }
#plot { max-width: 100%; margin-top: 8px; border: 1px solid #eceff1; }
"""

JS = r"""
"use strict";
const $ = (id) => document.getElementById(id);
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function duration(s) {
  if (s === null || s === undefined || !isFinite(s)) return "—";
  if (s < 60) return s < 1 ? "under a second" : Math.round(s) + " s";
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h + ":" + String(m).padStart(2, "0") + ":" + String(r).padStart(2, "0");
}
function when(t) { return t ? new Date(t * 1000).toLocaleString() : ""; }
function kv(pairs) {
  const d = el("div", null, "kv");
  for (const [k, v, cls] of pairs) { d.append(el("span", k, "k"), el("span", v, cls)); }
  return d;
}
function bar(fraction) {
  const b = el("div", null, "bar"), f = el("div");
  f.style.width = (100 * Math.max(0, Math.min(1, fraction || 0))).toFixed(1) + "%";
  b.append(f); return b;
}
function showQueue(q) {
  const box = $("queue");
  if (!q) { box.textContent = "no queue has run in this data directory"; return; }
  box.replaceChildren(
    kv([["queue", q.id + " '" + q.name + "'"], ["file", q.file],
        ["status", q.status, "status-" + q.status.split(" ")[0]],
        ["progress", q.finished + " of " + q.total + " runs finished, " + q.failed +
          " failed" + (q.aborted ? ", " + q.aborted + " aborted" : "")],
        ["now", q.current ? "run " + q.current.run + " (" + (q.current.index + 1) + " of " +
          q.total + (q.current.label ? ": " + q.current.label : "") + ")" : "—"],
        ["time left", q.time_left === null ? "—" : "about " + duration(q.time_left)]]),
    bar(q.progress));
  if (q.time_left_basis) box.append(el("div", "time left from the " + q.time_left_basis, "small"));
}
let plotKey = "";
function showRunning(r) {
  const box = $("running"), img = $("plot");
  if (!r) { box.textContent = "nothing is running"; img.hidden = true; plotKey = ""; return; }
  const last = Object.entries(r.last_row || {}).map(([k, v]) =>
    k + " = " + (typeof v === "number" ? v.toPrecision(5) : v)).join(", ");
  const pairs = [["run", r.id + ": " + r.procedure + ", sample " + r.sample],
    ["started", when(r.started)],
    ["rows", r.rows + (r.planned ? " of " + r.planned : "")],
    ["time left", r.time_left === null ? "—" : "about " + duration(r.time_left)],
    ["last row", last || "—"]];
  if (r.process_alive === false)
    pairs.push(["process", "gone: the run will be marked interrupted", "unsafe"]);
  box.replaceChildren(kv(pairs), bar(r.progress));
  const key = r.id + "-" + r.rows;
  if (key !== plotKey) { img.src = "plot.png?run=" + r.id + "&rows=" + r.rows; plotKey = key; }
  img.hidden = false;
}
function showBench(b, running) {
  const box = $("bench");
  if (!b) { box.textContent = "no bench state yet (written after each run)"; return; }
  const pairs = [["state", b.safe ? "safe" : "NOT confirmed safe", b.safe ? "safe" : "unsafe"],
    ["as of", "end of run " + b.after_run + " (" + b.run_status + "), " + when(b.when)]];
  for (const [axis, value] of Object.entries(b.fields || {}))
    pairs.push(["field " + axis, (value * 1e3).toFixed(2) + " mT"]);
  for (const [name, on] of Object.entries(b.outputs || {}))
    pairs.push([name, on ? "ON" : "off", on ? "unsafe" : ""]);
  pairs.push(["stage temperature", b.temperature === null ? "—" : b.temperature.toFixed(2) + " K"]);
  for (const f of b.safety_failures || []) pairs.push(["make-safe failed", f, "unsafe"]);
  for (const [what, why] of Object.entries(b.unread || {})) pairs.push(["not read: " + what, why]);
  box.replaceChildren(kv(pairs));
  if (running) box.append(el("div", "run " + running.id + " is measuring now: its outputs are on " +
    "as it needs them; the state above is from before it started.", "small"));
}
function showRuns(runs, catalog) {
  const body = $("runs").tBodies[0];
  body.replaceChildren(...runs.map((r) => {
    const tr = el("tr");
    const fit = r.fit || {};
    const fitted = fit.error ? fit.error : (fit.quantities || []).join("; ");
    const reason = fit.verdict_reason ? ": " + fit.verdict_reason : "";
    const verdict = fit.verdict ? fit.verdict + reason : (r.fit ? "—" : "");
    tr.append(el("td", r.id), el("td", r.procedure), el("td", r.sample),
      el("td", r.status + (r.error ? ": " + r.error : ""), "status-" + r.status),
      el("td", when(r.finished)), el("td", fitted),
      el("td", verdict, fit.verdict ? "verdict-" + fit.verdict.replace(" ", "-") : ""));
    return tr;
  }));
  $("catalog").textContent = "catalog: " + catalog.total + " runs (" +
    Object.entries(catalog.by_status).map(([s, n]) => n + " " + s).join(", ") + ")";
}
async function refresh() {
  try {
    const response = await fetch("api/status", {cache: "no-store"});
    if (!response.ok) throw new Error(response.status + " " + response.statusText);
    const s = await response.json();
    $("where").textContent = s.data_dir;
    showQueue(s.queue); showRunning(s.running); showBench(s.bench, s.running);
    showRuns(s.last_runs, s.catalog);
    $("updated").textContent = "updated " + new Date(s.now * 1000).toLocaleTimeString();
    document.body.dataset.loaded = "1";
  } catch (e) {
    $("updated").textContent = "cannot reach labspin watch: " + e.message;
  }
}
refresh();
setInterval(refresh, 3000);
"""
