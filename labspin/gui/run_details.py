"""The right half of the Past runs view as text: a run's fit, facts and parameters
(each with its label and unit, as the form shows them), selectable and copyable."""

from __future__ import annotations

import html

from labspin.analysis.formatting import (
    VERDICT_COLOURS,
    format_quantities,
    reason_of,
    verdict_of,
)
from labspin.gui.describe import labelled
from labspin.gui.runs_table import STATUS_COLOURS, format_time, queue_place
from labspin.runs import RunRecord

__all__ = ["details_html"]


def details_html(record: RunRecord, row: dict | None) -> str:
    """Fit, run facts and parameters as rich text (selectable, copyable)."""
    e = html.escape
    colour = STATUS_COLOURS.get(record.status, "#000000")
    title = (f"<p style='font-size:large; margin-bottom:6px'><b>Run {record.id}</b>"
             f" &nbsp;{e(record.procedure)} on {e(record.sample or '?')}"
             f" &nbsp;<b style='color:{colour}'>{e(record.status)}</b></p>")
    parts = []
    if row is not None:
        parts.append("<h4>Fit</h4>")
        if row.get("fitted"):
            verdict, reason = verdict_of(row), reason_of(row)
            parts.append(f"<p style='margin:0 0 4px 0'><b style='color:"
                         f"{VERDICT_COLOURS[verdict]}'>{e(verdict)}</b>"
                         + (f": {e(reason)}" if reason and verdict != "ok" else "")
                         + "</p>")
            lines = format_quantities(row) or ["fitted (no headline quantity)"]
            parts.append("<br>".join(e(line) for line in lines))
        else:
            parts.append(f"<span style='color:#b26a00'>not fitted: "
                         f"{e(str(row.get('error') or ''))}</span>")
        if isinstance(row.get("note"), str) and row["note"]:
            parts.append(f"<br><i style='color:#555'>{e(row['note'])}</i>")
    facts = [("Created", format_time(record.created)), ("Started", format_time(record.started)),
             ("Finished", format_time(record.finished)), ("Rows", str(record.rows))]
    if record.started is not None and record.finished is not None:
        facts.append(("Duration", f"{record.finished - record.started:.1f} s"))
    if record.queue_id is not None:
        facts.append(("Queue", queue_place(record, long=True)))
    parts.append("<h4>Run</h4>" + _table(facts))
    if record.error:
        parts.append(f"<p style='color:#c62828'><b>Error:</b> {e(record.error)}</p>")
    parameters = ""
    if record.parameters:
        parameters = "<h4>Parameters</h4>" + _parameter_table(
            labelled(record.procedure, record.parameters))
    # two columns: the fit and the run's facts beside its parameters, so that the usual
    # run fits the pane without scrolling
    return (f"{title}<table width='100%' cellspacing='0' cellpadding='0'><tr>"
            f"<td width='50%' valign='top' style='padding-right:16px'>{''.join(parts)}</td>"
            f"<td width='50%' valign='top'>{parameters}</td></tr></table>")


def _table(pairs: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><td style='color:#555;padding-right:12px'>{html.escape(k)}</td>"
                    f"<td>{html.escape(v)}</td></tr>" for k, v in pairs)
    return f"<table cellspacing='0' cellpadding='1'>{cells}</table>"


def _parameter_table(rows: list[tuple[str, str, str]]) -> str:
    """Label and value with its unit, as the Measure view's form shows them."""
    return _table([(label, text) for _, label, text in rows])
