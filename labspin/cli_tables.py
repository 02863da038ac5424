"""The command line's tables, readable at 80 columns (a pipe, a log, a small terminal).

Short key columns never wrap ("procedure" does not break as "procedur|e"); paths are
shown relative to the data folder named in the title; at narrow widths the long free
text (a fit's notes, a verdict's reason) goes under the table, one line per run, where
the terminal wraps it like prose instead of folding it into a column ten letters wide.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

#: below this width, tables keep their key columns and move free text under them
WIDE = 120
#: a file column narrower than this is not read but deciphered: the files go under it
FILE_MIN = 24
#: the gap between two columns of :func:`cli_table`
GAP = 2


def cli_table(title: str) -> Table:
    """A table without side borders and with narrow gaps: more room for the cells."""
    return Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                 collapse_padding=True,
                 title_justify="left")


def shown_path(file: str | None, base: str | Path) -> str:
    """``file`` relative to the folder ``base`` when it lies inside it, else as given."""
    if not file:
        return ""
    try:
        return str(Path(file).resolve().relative_to(Path(base).resolve()))
    except (ValueError, OSError):
        return file


def runs_table(records: list[Any], data_dir: str, width: int,
               display_index: Any) -> tuple[Table, list[str]]:
    """``labspin runs``: id, procedure, sample, status, rows, start, queue and file, the
    file relative to ``data_dir``; the queue column only when a run belongs to one.
    Returns the table and the lines to print under it: each run's file, when the key
    columns leave the file column too narrow to read (under ``FILE_MIN`` characters)."""
    wide = width >= WIDE
    when = "%Y-%m-%d %H:%M" if wide else "%m-%d %H:%M"
    queued = any(r.queue_id is not None for r in records)
    header = ["id", "procedure", "sample", "status", "rows", "started"] + \
        (["queue#run"] if queued else [])
    rows = []
    for r in records:
        started = dt.datetime.fromtimestamp(r.started).strftime(when) if r.started else ""
        cells = [str(r.id), r.procedure, r.sample or "", r.status, str(r.rows), started]
        if queued:
            cells.append(f"{r.queue_id}#{display_index(r.queue_index)}"
                         if r.queue_id is not None else "")
        rows.append((cells, shown_path(r.file, data_dir)))
    used = sum(max([len(h)] + [len(cells[k]) for cells, _ in rows]) + GAP
               for k, h in enumerate(header))
    files_below = width - used < FILE_MIN
    title = f"Runs in {data_dir}" + ("" if wide else " (files relative to it)")
    table = cli_table(title)
    for name in header:
        table.add_column(name, justify="right" if name in ("id", "rows") else "left",
                         no_wrap=True)
    if not files_below:
        table.add_column("file", overflow="fold")
    below = []
    for (cells, file), r in zip(rows, records, strict=True):
        table.add_row(*cells, *([] if files_below else [file]))
        if files_below and file:
            below.append(f"  run {r.id}: {file}")
    return table, below


def print_fits_table(console: Console, summary: Any, n_runs: int,
                     verdict_cell: Any) -> None:
    """``labspin fit``: per run its verdict and quantities. Wide: also sample, kind and
    notes as columns; narrow: the sample (in the title when there is one) and the kind
    left to the file's name (id_procedure_sample), each run's reason and notes under
    the table."""
    from labspin.analysis.formatting import format_quantities, reason_of, verdict_of

    rows = summary.to_dict("records")
    wide = console.width >= WIDE
    samples = {row.get("meta: Sample") for row in rows
               if isinstance(row.get("meta: Sample"), str)}
    one_sample = len(samples) == 1 and not wide
    title = f"Fits of {n_runs} run(s)" + (f" of {next(iter(samples))}" if one_sample else "")
    table = cli_table(title)
    table.add_column("run" if not wide else "file", overflow="fold",
                     min_width=12 if not wide else None)
    if wide:  # narrow: a run file's name (id_procedure_sample) names its sample
        table.add_column("sample", overflow="fold")
    if wide:
        table.add_column("kind", no_wrap=True)
    table.add_column("verdict", no_wrap=not wide, overflow="fold")
    table.add_column("quantities", no_wrap=True, overflow="fold")
    if wide:
        table.add_column("notes", overflow="fold")
    below: list[str] = []
    for row in rows:
        name = Path(row["file"]).name
        notes = row.get("note") if isinstance(row.get("note"), str) else ""
        if row.get("fitted"):
            quantities = "\n".join(escape(q) for q in format_quantities(row))
        else:
            quantities = "[red]not fitted[/red]"
        sample = row.get("meta: Sample")
        cells = [escape(name if wide else name.removesuffix(".csv"))]
        if wide:
            cells += [escape(sample) if isinstance(sample, str) else "", str(row["kind"]),
                      verdict_cell(row), quantities, escape(notes)]
        else:
            verdict = verdict_of(row)
            cells += [verdict_cell(row).split("\n")[0], quantities]
            reason = reason_of(row) if verdict != "ok" else ""
            said = "; ".join(text for text in (reason, notes) if text)
            if said:
                below.append(f"  {name.removesuffix('.csv')}: {said}")
        table.add_row(*cells)
    console.print(table)
    for line in below:
        console.print(line, highlight=False, markup=False)
