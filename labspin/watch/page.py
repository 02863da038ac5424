"""The status page, rendered on the server from :meth:`StatusSource.status`.

Every text from the data directory is escaped here, so a run's error cannot inject
markup; the page reads the same without JavaScript, and its small script only fetches
a fresh ``<main>`` every few seconds. There is no form, button or input: it only shows.
"""

from __future__ import annotations

import datetime as dt
import math
import shlex
from html import escape
from typing import Any

REFRESH_MS = 3000


def duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "—"
    if seconds < 60:
        return "under a second" if seconds < 1 else f"{seconds:.0f} s"
    h, rest = divmod(round(seconds), 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}"


def when(timestamp: float | None) -> str:
    if not timestamp:
        return ""
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _kv(pairs: list[tuple[str, str] | tuple[str, str, str]]) -> str:
    items = []
    for pair in pairs:
        key, value, cls = (*pair, "")[:3]
        items.append(f'<span class="k">{escape(key)}</span>'
                     f'<span class="{escape(cls)}">{escape(value)}</span>')
    return f'<div class="kv">{"".join(items)}</div>'


def _bar(fraction: float | None) -> str:
    value = min(max(fraction or 0.0, 0.0), 1.0)  # a <progress>: no inline style (CSP)
    return f'<progress max="1" value="{value:.4f}">{100 * value:.0f} %</progress>'


def _status_class(status: str) -> str:
    return "status-" + status.split(" ")[0]


def clock(timestamp: float | None) -> str:
    """HH:MM, with the date when it is not today."""
    if not timestamp:
        return "?"
    moment = dt.datetime.fromtimestamp(timestamp)
    return moment.strftime("%H:%M" if moment.date() == dt.date.today() else "%Y-%m-%d %H:%M")


def gone_text(gone: dict[str, Any]) -> str:
    """A queue whose runner died: what happened, since when, how to go on."""
    pid = f" (pid {gone['pid']})" if gone.get("pid") else ""
    return (f"interrupted: the process running it{pid} is gone (kill -9 or a crash) since "
            f"about {clock(gone.get('last_heard'))}; resume with {gone['resume']}")


def _queue(q: dict[str, Any] | None) -> str:
    if not q:
        return "no queue has run in this data directory"
    current = q.get("current")
    gone = q.get("gone")
    now = "—"
    if current:
        now = f"run {current['run']} ({current['index'] + 1} of {q['total']}" \
              + (f": {current['label']}" if current["label"] else "") + ")"
    progress = f"{q['finished']} of {q['total']} runs finished, {q['failed']} failed" \
        + (f", {q['aborted']} aborted" if q["aborted"] else "")
    left = "—" if q["time_left"] is None else f"about {duration(q['time_left'])}"
    status = gone_text(gone) if gone else q["status"]
    pairs: list[tuple[str, str] | tuple[str, str, str]] = [
        ("queue", f"{q['id']} '{q['name']}'"), ("file", q["file"]),
        ("status", status, _status_class(q["status"])), ("progress", progress)]
    # a runner that is gone measures nothing now and has no time left
    pairs += [("stopped in", now)] if gone else [("now", now), ("time left", left)]
    html = _kv(pairs) + _bar(q["progress"])
    if q["time_left_basis"]:
        html += f'<div class="small">time left from the {escape(q["time_left_basis"])}</div>'
    return html


def _number(value: Any) -> str:
    return f"{value:.5g}" if isinstance(value, int | float) else str(value)


def _running(r: dict[str, Any] | None) -> str:
    if not r:
        return "nothing is running"
    last = ", ".join(f"{k} = {_number(v)}" for k, v in (r.get("last_row") or {}).items())
    pairs = [("run", f"{r['id']}: {r['procedure']}, sample {r['sample']}"),
             ("started", when(r["started"])),
             ("rows", f"{r['rows']}" + (f" of {r['planned']}" if r["planned"] else "")),
             ("time left", "—" if r["time_left"] is None else f"about {duration(r['time_left'])}"),
             ("last row", last or "—")]
    if r.get("process_alive") is False:
        pairs.append(("process", "gone: the run will be marked interrupted", "unsafe"))
    plot = f'<img id="plot" alt="live plot of run {r["id"]}" ' \
           f'src="plot.png?run={r["id"]}&amp;rows={r["rows"]}">'
    return _kv(pairs) + _bar(r["progress"]) + plot


UNKNOWN = ("unknown: the last run did not end; what it left on was not read back; run "
           "labspin station check")


def _as_of(b: dict[str, Any]) -> str:
    if b.get("after_run") is None:
        return f"{b.get('as_of') or 'a check of the bench'}, {when(b['when'])}"
    return f"end of run {b['after_run']} ({b['run_status']}), {when(b['when'])}"


def _bench_unknown(b: dict[str, Any] | None, unknown: dict[str, Any],
                   data_dir: str | None = None) -> str:
    """The runner died mid-run: nothing was made safe or read back since. The advice
    names the station file and this page's data folder, so the check updates the page."""
    advice = UNKNOWN + (f" {shlex.quote(unknown['station_file'])}"
                        if unknown.get("station_file") else "") \
        + (f" --data-dir {shlex.quote(data_dir)}" if data_dir else "")
    pairs: list[tuple[str, str] | tuple[str, str, str]] = [
        ("state", advice, "unsafe"),
        ("did not end", f"run {unknown['run']} ({unknown['procedure']}): its process is gone "
                        f"(kill -9 or a crash) since about {clock(unknown.get('last_heard'))}")]
    if b:  # the last state read back, plainly: it says nothing of the bench now
        pairs.append(("last read back", f"{'safe' if b['safe'] else 'NOT confirmed safe'} "
                                        f"at the {_as_of(b)}"))
    return _kv(pairs)


def _bench(b: dict[str, Any] | None, running: dict[str, Any] | None,
           unknown: dict[str, Any] | None = None, data_dir: str | None = None) -> str:
    if unknown:
        return _bench_unknown(b, unknown, data_dir)
    if not b:
        return "no bench state yet (written after each run)"
    pairs: list[tuple[str, str] | tuple[str, str, str]] = [
        ("state", "safe" if b["safe"] else "NOT confirmed safe", "safe" if b["safe"] else "unsafe"),
        ("as of", _as_of(b))]
    pairs += [(f"field {axis}", f"{value * 1e3:.2f} mT") for axis, value in b["fields"].items()]
    pairs += [(name, "ON" if on else "off", "unsafe" if on else "")
              for name, on in b["outputs"].items()]
    pairs.append(("stage temperature",
                  "—" if b["temperature"] is None else f"{b['temperature']:.2f} K"))
    pairs += [("make-safe failed", failure, "unsafe") for failure in b["safety_failures"]]
    pairs += [(f"not read: {what}", why) for what, why in b["unread"].items()]
    html = _kv(pairs)
    if running and running.get("process_alive") is not False:
        html += (f'<div class="small">run {running["id"]} is measuring now: its outputs are on '
                 "as it needs them; the state above is from before it started.</div>")
    return html


def _runs(runs: list[dict[str, Any]]) -> str:
    rows = []
    for r in runs:
        fit = r.get("fit") or {}
        fitted = fit.get("error") or "; ".join(fit.get("quantities") or [])
        verdict, cls = "", ""
        if fit.get("verdict"):
            verdict = fit["verdict"] + (f": {fit['verdict_reason']}" if fit.get(
                "verdict_reason") else "")
            cls = "verdict-" + fit["verdict"].replace(" ", "-")
        elif r.get("fit"):
            verdict = "—"
        status = r["status"] + (f": {r['error']}" if r.get("error") else "")
        cells = [(str(r["id"]), ""), (r["procedure"], ""), (r["sample"] or "", ""),
                 (status, _status_class(r["status"])), (when(r["finished"]), ""),
                 (fitted, ""), (verdict, cls)]
        rows.append("<tr>" + "".join(f'<td class="{c}">{escape(t)}</td>' for t, c in cells)
                    + "</tr>")
    return "".join(rows)


def render_main(status: dict[str, Any]) -> str:
    """The ``<main>`` of the page: every section, from one status snapshot."""
    catalog = status["catalog"]
    counts = ", ".join(f"{n} {s}" for s, n in sorted(catalog["by_status"].items()))
    waiting = (f'<p id="waiting" class="small">{escape(status["waiting"])}</p>'
               if status.get("waiting") else "")
    bench = _bench(status["bench"], status["running"], status.get("bench_unknown"),
                   status.get("data_dir"))
    return f"""<main data-updated="{escape(when(status['now']))}">{waiting}
<div class="column">
<section id="queue-section"><h2>Queue</h2><div id="queue">{_queue(status['queue'])}</div>
</section>
<section id="bench-section"><h2>Bench</h2>
<div id="bench">{bench}</div>
</section>
</div>
<div class="column">
<section id="running-section"><h2>Running run</h2>
<div id="running">{_running(status['running'])}</div></section>
</div>
<section id="runs-section"><h2>Last runs</h2>
<table id="runs"><thead><tr><th>run</th><th>procedure</th><th>sample</th><th>status</th>
<th>ended</th><th>fitted</th><th>verdict</th></tr></thead>
<tbody>{_runs(status['last_runs'])}</tbody></table>
<p id="catalog" class="small">catalog: {catalog['total']} runs ({escape(counts)})</p></section>
</main>"""


def render_page(status: dict[str, Any]) -> str:
    return f"""<!doctype html>
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
  <span id="where">{escape(status['data_dir'])}</span>
  <span class="readonly">read-only: nothing here can change the bench or the runs</span>
  <span id="updated">updated {escape(when(status['now']))}</span>
</header>
{render_main(status)}
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
       gap: 14px; padding: 14px 18px; align-items: start; }
section { background: white; border: 1px solid #dde1e4; border-radius: 6px;
          padding: 8px 14px 12px; }
.column { display: flex; flex-direction: column; gap: 14px; }
#runs-section { grid-column: 1 / -1; }
h2 { font-size: 15px; margin: 4px 0 8px; color: #37474f; }
progress { width: 100%; height: 14px; margin: 6px 0; accent-color: #43a047; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px;
      font-size: 14px; }
.kv .k { color: #607d8b; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eceff1;
         vertical-align: top; }
.status-finished { color: #2e7d32; } .status-failed, .status-interrupted { color: #c62828; }
.status-running { color: #1565c0; font-weight: 600; } .status-aborted { color: #ef6c00; }
.status-stopped { color: #ef6c00; }
.verdict-ok { color: #2e7d32; } .verdict-poor { color: #ef6c00; }
.verdict-not-determined { color: #c62828; }
.safe { color: #2e7d32; font-weight: 600; } .unsafe { color: #c62828; font-weight: 700; }
.small { font-size: 12px; color: #607d8b; }
#plot { max-width: 100%; margin-top: 8px; border: 1px solid #eceff1; }
"""

JS = f"""
"use strict";
// Fetch a fresh <main> (rendered and escaped by the server) and swap it in.
async function refresh() {{
  const updated = document.getElementById("updated");
  try {{
    const response = await fetch("fragment", {{cache: "no-store"}});
    if (!response.ok) throw new Error(response.status + " " + response.statusText);
    const html = await response.text();
    const next = new DOMParser().parseFromString(html, "text/html").querySelector("main");
    document.querySelector("main").replaceWith(next);
    updated.textContent = "updated " + next.dataset.updated;
    document.body.dataset.loaded = "1";
  }} catch (e) {{
    updated.textContent = "cannot reach labspin watch: " + e.message;
  }}
}}
document.body.dataset.loaded = "1";
setInterval(refresh, {REFRESH_MS});
"""
