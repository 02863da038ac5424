"""What ``labspin run`` shows while a run goes and after it: a progress bar of the points
and the time left, then the run's fit with its verdict.

Rich is imported when a bar is made, the analysis when a fit is printed, so that
``labspin --help`` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console


class RunProgress:
    """A bar of one run's points: points done of the planned ones, the wall time spent,
    and the time left.

    The time left comes from the station's clock: on the simulated bench that is the
    bench clock (the time the run would take on hardware, which passes much faster
    than the wall), on hardware the wall. Before the first point it is the procedure's
    hardware estimate; after it, the pace of the points so far on that clock, which
    includes the start-up (a temperature to settle, reset pulses)."""

    def __init__(self, console: Console, procedure: Any, station: Any,
                 label: str | None = None) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.station = station
        self.total = max(int(procedure.planned_points()), 1)
        self.estimate = float(procedure.estimated_duration())
        self.bench = bool(getattr(station, "sim", False))
        self.done = 0
        self._start = station.now()
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(),
            TextColumn("{task.completed}/{task.total} points"), TimeElapsedColumn(),
            TextColumn("{task.fields[left]}"), console=console, transient=False)
        self.task = self.progress.add_task(label or type(procedure).__name__,
                                           total=self.total, left=self._left_text())

    def _left(self) -> float:
        if self.done == 0:
            return self.estimate
        spent = self.station.now() - self._start
        return spent / self.done * max(self.total - self.done, 0)

    def _left_text(self) -> str:
        from labspin.procedures.base import format_duration

        left = format_duration(self._left())
        if self.done == 0:
            return f"~{left} on hardware"
        return f"~{left} left" + (" (bench clock)" if self.bench else "")

    def row(self, _record: dict | None = None) -> None:
        """One point measured (the ``on_row`` hook of ``run_procedure``)."""
        self.done += 1
        self.progress.update(self.task, completed=min(self.done, self.total),
                             left=self._left_text())

    def __enter__(self) -> RunProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.stop()


def fit_summary(path: str | Path) -> tuple[str, str, str]:
    """The fitted quantities of a run file, its verdict and the reason, as text
    (``labspin.analysis.batch.fit_run`` with what the file holds). A file that cannot be
    read or fitted is a reason, never an exception."""
    try:
        from labspin.analysis.batch import fit_run
        from labspin.analysis.formatting import format_quantities, reason_of, verdict_of
        from labspin.analysis.loaders import load_run

        row = fit_run(load_run(path))
    except Exception as exc:  # the run is on disk whatever the fit says
        return "", "not determined", f"the file could not be fitted: {exc}"
    return "; ".join(format_quantities(row)), verdict_of(row), reason_of(row)


def print_fit(console: Console, path: str | Path) -> None:
    """One or two lines: "fit: I_c+ = 25.3 mA ± 0.2 mA; ... (verdict ok)"."""
    from rich.markup import escape

    quantities, verdict, reason = fit_summary(path)
    colour = {"ok": "green", "poor": "yellow"}.get(verdict, "red")
    text = f"fit: {escape(quantities)}  " if quantities else "fit: "
    text += f"[bold {colour}]{verdict}[/bold {colour}]"
    if reason and verdict != "ok":
        text += f": {escape(reason)}"
    console.print(text, highlight=False, soft_wrap=True)
