"""Reports of saved runs: one PNG per run with the fitted curve over the data, and a
summary as CSV, Markdown and a self-contained HTML page.

Uses matplotlib's object API (``Figure`` + the Agg canvas): no pyplot, no global
backend state, safe in worker processes and on headless machines.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from labspin.analysis.batch import fit_many
from labspin.analysis.formatting import QUANTITIES, format_quantities, number
from labspin.analysis.loaders import RunData, find_run_files, load_runs

__all__ = ["QUANTITIES", "ReportResult", "format_quantities", "make_report", "plot_run"]

_LOOP_SIGNAL = {"hall_loop": "R_xy (ohm)", "usmr_loop": "R_xx 2w (ohm)"}
_NOT_SIGNALS = {"Branch", "Loop", "Time (s)"}


@dataclass
class ReportResult:
    """What :func:`make_report` wrote: the fit summary (one row per readable run), the
    PNG of each run (by run file), the skipped files with the reason, and the tables."""

    out_dir: Path
    summary: pd.DataFrame
    images: dict[str, Path]
    skipped: list[tuple[Path, str]]
    summary_csv: Path
    summary_md: Path
    index_html: Path
    plot_errors: dict[str, str] = field(default_factory=dict)

    @property
    def n_runs(self) -> int:
        return len(self.summary)

    @property
    def n_fitted(self) -> int:
        return int(self.summary["fitted"].astype(bool).sum()) if len(self.summary) else 0


# -- plots -------------------------------------------------------------------------------


def _col(run: RunData, name: str) -> np.ndarray:
    return run.data[name].to_numpy(dtype=float)


def _loop_curve(ax, x: np.ndarray, branch: np.ndarray, row: dict) -> None:
    from labspin.analysis.models.loops import hysteresis_loop

    names = ("offset", "slope", "step", "width_up", "width_down")
    values = {n: number(row, n) for n in names}
    plus, minus = ("i_c_plus", "i_c_minus") if row["kind"] == "switching_loop" \
        else ("b_c_plus", "b_c_minus")
    values["center_up"], values["center_down"] = number(row, plus), number(row, minus)
    if any(v is None for v in values.values()):
        return
    shape = row.get("shape") if row.get("shape") in ("tanh", "erf") else "tanh"
    grid = np.linspace(np.nanmin(x), np.nanmax(x), 400)
    for sign, colour, name in ((1, "C0", "up"), (-1, "C3", "down")):
        if np.any(branch == sign):
            y = hysteresis_loop(grid, np.full(grid.size, sign), shape=shape, **values)
            ax.plot(grid, y, "-", color=colour, lw=1.5, label=f"fit ({name})")


def _plot_loop(ax, run: RunData, row: dict, xcol: str, ycol: str) -> None:
    x, y = _col(run, xcol), _col(run, ycol)
    branch = _col(run, "Branch") if "Branch" in run.data.columns else np.ones_like(x)
    for sign, colour, marker, name in ((1, "C0", "^", "up sweep"),
                                       (-1, "C3", "v", "down sweep")):
        sel = branch == sign
        if np.any(sel):
            ax.plot(x[sel], y[sel], marker, color=colour, ms=4, ls="none",
                    alpha=0.7, label=name)
    if row.get("fitted"):
        _loop_curve(ax, x, branch, row)
    ax.set_xlabel(xcol)
    ax.set_ylabel(ycol)


def _plot_harmonic(ax, run: RunData, row: dict) -> None:
    from labspin.analysis.models.harmonic import avci_angle_scan, fit_angle_scans

    bcol = "Field setpoint (T)" if "Field setpoint (T)" in run.data.columns else "Field (T)"
    acol, vcol = "Field angle (deg)", "V_xy 2w (V)"
    b, deg, v = _col(run, bcol), _col(run, acol), _col(run, vcol)
    ok = np.isfinite(b) & np.isfinite(deg) & np.isfinite(v)
    b, deg, v = b[ok], deg[ok], v[ok]
    table = None
    if row.get("fitted"):
        try:
            table = fit_angle_scans(b, np.deg2rad(deg), v)
        except Exception:  # the plot shows the data regardless
            table = None
    grid = np.linspace(np.min(deg), np.max(deg), 361) if deg.size else np.array([])
    for i, value in enumerate(np.unique(b)):
        sel = b == value
        colour = f"C{i % 10}"
        ax.plot(deg[sel], v[sel], "o", color=colour, ms=4, label=f"B = {value:g} T")
        if table is not None:
            fit = table[table["field"] == value]
            if len(fit):
                f = fit.iloc[0]
                ax.plot(grid, avci_angle_scan(np.deg2rad(grid), f["dl_amplitude"],
                                              f["fl_amplitude"], f["offset"], f["phi_0"]),
                        "-", color=colour, lw=1.2)
    ax.set_xlabel(acol)
    ax.set_ylabel(vcol)


def _plot_field_sweep(ax, run: RunData) -> None:
    """Hayashi field sweeps: V_xy^2w against the swept field, one curve per axis (the
    fitted quantities are in the title; the per-axis parabola/line fits are not drawn)."""
    b, v, code = _col(run, "Field (T)"), _col(run, "V_xy 2w (V)"), _col(run, "Field axis")
    for i, value in enumerate(np.unique(code[np.isfinite(code)])):
        sel = (code == value) & np.isfinite(b) & np.isfinite(v)
        name = {0: "x", 1: "y"}.get(int(value), f"code {value:g}")  # the file's axis codes
        ax.plot(b[sel], v[sel], "o-", color=f"C{i % 10}", ms=4, lw=0.8,
                label=f"field along {name}")
    ax.set_xlabel("Field (T)")
    ax.set_ylabel("V_xy 2w (V)")


def _plot_data(ax, run: RunData) -> None:
    numeric = [c for c in run.data.columns
               if pd.api.types.is_numeric_dtype(run.data[c]) and run.data[c].notna().any()]
    if len(numeric) < 2:
        ax.text(0.5, 0.5, "no numeric data to plot", ha="center", va="center",
                transform=ax.transAxes)
        return
    xcol = numeric[0]
    ycol = next((c for c in numeric[1:] if c not in _NOT_SIGNALS), numeric[1])
    ax.plot(_col(run, xcol), _col(run, ycol), "o-", ms=3, lw=0.8)
    ax.set_xlabel(xcol)
    ax.set_ylabel(ycol)


def draw_run(ax, run: RunData, row: dict) -> None:
    """Draw one run on a matplotlib ``Axes``: data as markers, the fitted model over it
    when the fit (``row``, from :func:`labspin.analysis.batch.fit_run`) succeeded, the
    main quantities in the title. Shared by the report's PNGs and the GUI's browser."""
    kind = row.get("kind")
    columns = set(run.data.columns)
    if kind in _LOOP_SIGNAL and {"Field (T)", _LOOP_SIGNAL[kind]} <= columns:
        _plot_loop(ax, run, row, "Field (T)", _LOOP_SIGNAL[kind])
    elif kind == "switching_loop" and "Pulse current (A)" in columns:
        readout = row.get("readout")
        if not isinstance(readout, str) or readout not in columns:
            readout = next((c for c in ("R_xy (ohm)", "R_xx 2w (ohm)")
                            if c in columns and run.data[c].notna().any()), None)
        if readout:
            _plot_loop(ax, run, row, "Pulse current (A)", readout)
        else:
            _plot_data(ax, run)
    elif kind == "harmonic_hall" and str(run.parameters.get("Mode")) == "field sweep" \
            and {"Field (T)", "Field axis", "V_xy 2w (V)"} <= columns:
        _plot_field_sweep(ax, run)
    elif kind == "harmonic_hall" and {"Field angle (deg)", "V_xy 2w (V)"} <= columns:
        _plot_harmonic(ax, run, row)
    elif kind == "stfmr" and {"Field (T)", "Mixing voltage (V)", "DC current (A)"} <= columns:
        from labspin.analysis.stfmr_plot import plot_stfmr

        plot_stfmr(ax, run, row)
    else:
        _plot_data(ax, run)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small", loc="best")
    ax.grid(True, alpha=0.3)
    title = f"{run.path.name} — {run.procedure}"
    if row.get("fitted"):
        numbers = format_quantities(row, errors=False)[:3]
        if numbers:
            title += "\n" + ",  ".join(numbers)
    else:
        title += "\nnot fitted: " + _short(str(row.get("error") or ""), 80)
    ax.set_title(title, fontsize="medium")


def plot_run(run: RunData, row: dict, path: str | Path) -> Path:
    """Draw one run (:func:`draw_run`) and save it as a PNG at ``path``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 5.0), dpi=100)
    FigureCanvasAgg(fig)
    draw_run(fig.add_subplot(), run, row)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, format="png")
    return path


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# -- tables ------------------------------------------------------------------------------


def _status(row: dict) -> str:
    if row.get("fitted"):
        return "fitted"
    return f"not fitted: {row.get('error') or ''}"


def _notes(row: dict) -> str:
    note = row.get("note")
    return note if isinstance(note, str) else ""


def _markdown(summary: pd.DataFrame, images: dict[str, Path],
              skipped: list[tuple[Path, str]]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["# labspin report", "",
             f"{len(summary)} run(s), {len(skipped)} skipped file(s).", "",
             "| Run | Procedure | Status | Fitted quantities | Notes | Plot |",
             "| --- | --- | --- | --- | --- | --- |"]
    for row in summary.to_dict("records"):
        image = images.get(row["file"])
        lines.append("| " + " | ".join(cell(t) for t in (
            Path(row["file"]).name, str(row["procedure"]), _status(row),
            "; ".join(format_quantities(row)), _notes(row),
            f"[{image.name}]({image.name})" if image else "")) + " |")
    lines += ["", "## Skipped files", ""]
    lines += [f"- `{path}`: {reason}" for path, reason in skipped] or ["None."]
    return "\n".join(lines) + "\n"


_CSS = ("body{font-family:sans-serif;margin:2em;max-width:1100px}"
        "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:4px 8px;"
        "vertical-align:top;text-align:left}th{background:#eee}"
        "figure{margin:2em 0}img{max-width:100%;border:1px solid #ddd}")


def _html(summary: pd.DataFrame, images: dict[str, Path],
          skipped: list[tuple[Path, str]]) -> str:
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>labspin report</title>", f"<style>{_CSS}</style></head><body>",
             "<h1>labspin report</h1>",
             f"<p>{len(summary)} run(s), {len(skipped)} skipped file(s).</p>",
             "<table><thead><tr><th>Run</th><th>Procedure</th><th>Status</th>"
             "<th>Fitted quantities</th><th>Notes</th></tr></thead><tbody>"]
    for row in summary.to_dict("records"):
        name = Path(row["file"]).name
        image = images.get(row["file"])
        link = f'<a href="#{e(image.stem)}">{e(name)}</a>' if image else e(name)
        parts.append(f"<tr><td>{link}</td><td>{e(str(row['procedure']))}</td>"
                     f"<td>{e(_status(row))}</td>"
                     f"<td>{'<br>'.join(e(q) for q in format_quantities(row))}</td>"
                     f"<td>{e(_notes(row))}</td></tr>")
    parts.append("</tbody></table>")
    parts.append("<h2>Skipped files</h2>")
    if skipped:
        parts.append("<ul>" + "".join(f"<li><code>{e(str(p))}</code>: {e(r)}</li>"
                                      for p, r in skipped) + "</ul>")
    else:
        parts.append("<p>None.</p>")
    parts.append("<h2>Runs</h2>")
    for row in summary.to_dict("records"):
        image = images.get(row["file"])
        if not image:
            continue
        caption = f"{row['file']} — {row['procedure']} — {_status(row)}"
        quantities = format_quantities(row)
        if quantities:
            caption += " — " + "; ".join(quantities)
        parts.append(f'<figure id="{e(image.stem)}"><img src="{e(image.name)}" '
                     f'alt="{e(Path(row["file"]).name)}"><figcaption>{e(caption)}'
                     "</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# -- the report --------------------------------------------------------------------------


def _image_names(runs: list[RunData]) -> list[str]:
    names, used = [], set()
    for run in runs:
        stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in run.path.stem)
        name, i = f"{stem}.png", 2
        while name.lower() in used or name.lower() == "index.png":
            name, i = f"{stem}-{i}.png", i + 1
        used.add(name.lower())
        names.append(name)
    return names


def make_report(paths: str | Path | Iterable[str | Path], out_dir: str | Path, *,
                workers: int | None = None, **fit_kwargs: Any) -> ReportResult:
    """Load the run files (folders are searched for ``*.csv``), fit them with
    :func:`labspin.analysis.batch.fit_many` and write into ``out_dir``: one PNG per
    readable run, ``summary.csv``, ``summary.md`` and ``index.html``.

    Unreadable files are skipped and listed with the reason; a run whose plot fails is
    kept in the tables and its error recorded in ``plot_errors``. ``fit_kwargs`` go to
    :func:`labspin.analysis.batch.fit_run` (width, thickness, r_ahe, r_phe, m_eff).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    runs, skipped = load_runs(find_run_files(paths))
    summary = fit_many(runs, workers=workers, **fit_kwargs)
    images: dict[str, Path] = {}
    plot_errors: dict[str, str] = {}
    rows = summary.to_dict("records")
    for run, row, name in zip(runs, rows, _image_names(runs), strict=True):
        try:
            images[row["file"]] = plot_run(run, row, out / name)
        except Exception as exc:  # one bad plot must not lose the report
            plot_errors[row["file"]] = f"{type(exc).__name__}: {exc}"
    csv_path, md_path, html_path = out / "summary.csv", out / "summary.md", out / "index.html"
    summary.to_csv(csv_path, index=False)
    md_path.write_text(_markdown(summary, images, skipped), encoding="utf-8")
    html_path.write_text(_html(summary, images, skipped), encoding="utf-8")
    return ReportResult(out_dir=out, summary=summary, images=images, skipped=skipped,
                        summary_csv=csv_path, summary_md=md_path, index_html=html_path,
                        plot_errors=plot_errors)
