"""Reports of saved runs: one figure per run (PNG at 150 dpi and SVG) with the fitted
curve over the data and the fit's verdict (:mod:`labspin.analysis.figures`), a figure of
I_50 against ln t_p per sample when switching-probability runs of several widths are
among them, and a summary as CSV, Markdown and a self-contained HTML page.

Every table and caption shows the verdict (ok, poor, not determined) with its reason; a
quantity that is not determined is written "not determined", never as a number.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from labspin.analysis.batch import fit_many
from labspin.analysis.correlation import Correlation
from labspin.analysis.figures import draw_run, plot_run, save_figure, width_figure, width_series
from labspin.analysis.formatting import (
    QUANTITIES,
    VERDICT_COLOURS,
    format_quantities,
    reason_of,
    verdict_of,
)
from labspin.analysis.loaders import RunData, find_run_files, load_runs
from labspin.analysis.summary_units import write_summary

__all__ = ["QUANTITIES", "ReportResult", "draw_run", "format_quantities", "make_report",
           "plot_run"]


@dataclass
class ReportResult:
    """What :func:`make_report` wrote: the fit summary (one row per readable run), the
    PNG of each run (by run file; the SVG beside it), the figures across runs (I_50
    against ln t_p, by sample), the skipped files with the reason, and the tables."""

    out_dir: Path
    summary: pd.DataFrame
    images: dict[str, Path]
    skipped: list[tuple[Path, str]]
    summary_csv: Path
    summary_md: Path
    index_html: Path
    plot_errors: dict[str, str] = field(default_factory=dict)
    series_images: dict[str, Path] = field(default_factory=dict)
    #: the chip's correlation (spin loss, torque, switching per bar), when the runs hold one
    correlation: Correlation | None = None
    correlation_csv: Path | None = None

    def verdicts(self) -> dict[str, int]:
        """How many runs have each verdict."""
        out: dict[str, int] = {}
        for row in self.summary.to_dict("records"):
            out[verdict_of(row)] = out.get(verdict_of(row), 0) + 1
        return out

    @property
    def n_runs(self) -> int:
        return len(self.summary)

    @property
    def n_fitted(self) -> int:
        return int(self.summary["fitted"].astype(bool).sum()) if len(self.summary) else 0


# -- tables ------------------------------------------------------------------------------


def _status(row: dict) -> str:
    """The verdict and its reason, "ok" or "poor: <reason>"."""
    verdict, reason = verdict_of(row), reason_of(row)
    return verdict if verdict == "ok" or not reason else f"{verdict}: {reason}"


def _sample(row: dict) -> str:
    sample = row.get("meta: Sample")
    return sample if isinstance(sample, str) else ""


def _notes(row: dict) -> str:
    note = row.get("note")
    return note if isinstance(note, str) else ""


def _markdown(summary: pd.DataFrame, images: dict[str, Path],
              skipped: list[tuple[Path, str]], series: dict[str, Path],
              correlation: list[str] = ()) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["# labspin report", "",
             f"{len(summary)} run(s), {len(skipped)} skipped file(s).", "",
             "| Run | Sample | Procedure | Verdict | Fitted quantities | Notes | Plot |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in summary.to_dict("records"):
        image = images.get(row["file"])
        plot = (f"[PNG]({image.name}), [SVG]({_svg(image).name})" if image
                else "")
        verdict = verdict_of(row)
        lines.append("| " + " | ".join(cell(t) for t in (
            Path(row["file"]).name, _sample(row), str(row["procedure"]),
            f"**{verdict}**" + (f": {reason_of(row)}" if verdict != "ok" and reason_of(row)
                                else ""),
            "; ".join(format_quantities(row)) or ("not fitted" if not row.get("fitted")
                                                  else ""),
            _notes(row), plot)) + " |")
    if series:
        lines += ["", "## Across runs", ""]
        lines += [f"- {name}: [PNG]({path.name}), [SVG]({_svg(path).name})"
                  for name, path in series.items()]
    lines += ["", *correlation] if correlation else []
    lines += ["", "## Skipped files", ""]
    lines += [f"- `{path}`: {reason}" for path, reason in skipped] or ["None."]
    return "\n".join(lines) + "\n"


_CSS = ("body{font-family:sans-serif;margin:2em;max-width:1100px}"
        "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:4px 8px;"
        "vertical-align:top;text-align:left}th{background:#eee}"
        "figure{margin:2em 0}img{max-width:100%;border:1px solid #ddd}"
        ".verdict{font-weight:bold;color:white;padding:1px 6px;border-radius:3px;"
        "white-space:nowrap}.reason{font-size:90%}")


def _verdict_html(row: dict) -> str:
    verdict = verdict_of(row)
    reason = reason_of(row) if verdict != "ok" else ""
    badge = (f'<span class="verdict" style="background:{VERDICT_COLOURS[verdict]}">'
             f"{html.escape(verdict)}</span>")
    return badge + (f'<div class="reason">{html.escape(reason)}</div>' if reason else "")


def _html(summary: pd.DataFrame, images: dict[str, Path],
          skipped: list[tuple[Path, str]], series: dict[str, Path],
          correlation: str = "") -> str:
    e = html.escape
    counts: dict[str, int] = {}
    for row in summary.to_dict("records"):
        counts[verdict_of(row)] = counts.get(verdict_of(row), 0) + 1
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>labspin report</title>", f"<style>{_CSS}</style></head><body>",
             "<h1>labspin report</h1>",
             f"<p>{len(summary)} run(s), {len(skipped)} skipped file(s). Verdicts: "
             + (", ".join(f"{n} {e(v)}" for v, n in counts.items()) or "none") + ".</p>",
             "<table><thead><tr><th>Run</th><th>Sample</th><th>Procedure</th>"
             "<th>Verdict</th><th>Fitted quantities</th><th>Notes</th></tr></thead><tbody>"]
    for row in summary.to_dict("records"):
        name = Path(row["file"]).name
        image = images.get(row["file"])
        link = f'<a href="#{e(_anchor(image))}">{e(name)}</a>' if image else e(name)
        quantities = format_quantities(row) or (["not fitted"] if not row.get("fitted")
                                                else [])
        parts.append(f"<tr><td>{link}</td><td>{e(_sample(row))}</td>"
                     f"<td>{e(str(row['procedure']))}</td><td>{_verdict_html(row)}</td>"
                     f"<td>{'<br>'.join(e(q) for q in quantities)}</td>"
                     f"<td>{e(_notes(row))}</td></tr>")
    parts.append("</tbody></table>")
    if correlation:
        parts.append(correlation)
    parts.append("<h2>Skipped files</h2>")
    if skipped:
        parts.append("<ul>" + "".join(f"<li><code>{e(str(p))}</code>: {e(r)}</li>"
                                      for p, r in skipped) + "</ul>")
    else:
        parts.append("<p>None.</p>")
    if series:
        parts.append("<h2>Across runs</h2>")
        for name, path in series.items():
            parts.append(f'<figure id="{e(_anchor(path))}"><img src="{e(path.name)}" '
                         f'alt="{e(name)}"><figcaption>{e(name)}: I_50 against ln t_p '
                         f'(<a href="{e(_svg(path).name)}">SVG</a>)'
                         "</figcaption></figure>")
    parts.append("<h2>Runs</h2>")
    for row in summary.to_dict("records"):
        image = images.get(row["file"])
        if not image:
            continue
        caption = f"{row['file']} — {row['procedure']} — {_status(row)}"
        quantities = format_quantities(row)
        if quantities:
            caption += " — " + "; ".join(quantities)
        parts.append(f'<figure id="{e(_anchor(image))}"><img src="{e(image.name)}" '
                     f'alt="{e(Path(row["file"]).name)}"><figcaption>{e(caption)} '
                     f'(<a href="{e(_svg(image).name)}">SVG</a>)'
                     "</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# -- the report --------------------------------------------------------------------------


#: names the report's own files take (index.html, summary.*, correlation.*)
_RESERVED = {"index", "summary", "summary.units", "correlation"}
#: a figure name's length at most (a file name is at most 255 bytes on most disks)
_NAME_MAX = 150


def _safe(text: str) -> str:
    """``text`` as a file name: letters, digits, ``-``, ``_`` and ``.`` kept (a sample id
    ``chipB-NiO1.5`` stays whole), any other character ``_``; no leading dot (hidden)."""
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in text).lstrip(".")
    return name[:_NAME_MAX] or "figure"


class _Names:
    """File names of a report's figures, each used once (without regard to case: two
    runs never share a PNG on a case-insensitive disk either)."""

    def __init__(self) -> None:
        self.used = set(_RESERVED)

    def take(self, wanted: str) -> str:
        base = _safe(wanted)
        name, i = base, 2
        while name.lower() in self.used:
            name, i = f"{base}-{i}", i + 1
        self.used.add(name.lower())
        return name


def _image_names(runs: list[RunData], names: _Names) -> list[str]:
    """One figure name per run: its file's name without ``.csv`` (the whole sample id
    kept), with ``-2``, ``-3`` ... when runs of two folders have the same name."""
    return [names.take(run.path.name.removesuffix(".csv")) for run in runs]


def _svg(png: Path) -> Path:
    """The SVG saved beside the figure ``png`` (:func:`save_figure`)."""
    return png.with_name(png.name.removesuffix(".png") + ".svg")


def _anchor(png: Path) -> str:
    return png.name.removesuffix(".png")


def _series_figures(rows: list[dict], out: Path, errors: dict[str, str],
                    names: _Names) -> dict[str, Path]:
    images: dict[str, Path] = {}
    for name, points in width_series(rows).items():
        try:
            fig = width_figure(name, points)
            if fig is not None:
                stem = out / names.take(f"i50-vs-width-{name.replace(', ', '-')}")
                images[name] = save_figure(fig, stem)[0]
        except Exception as exc:  # one bad figure must not lose the report
            errors[name] = f"{type(exc).__name__}: {exc}"
    return images


def make_report(paths: str | Path | Iterable[str | Path], out_dir: str | Path, *,
                workers: int | None = None, control: str | None = None,
                **fit_kwargs: Any) -> ReportResult:
    """Load the run files (folders are searched for ``*.csv``), fit them with
    :func:`labspin.analysis.batch.fit_many` and write into ``out_dir``: one PNG and SVG
    per readable run, the figures across runs, ``summary.csv``, ``summary.md`` and
    ``index.html``.

    Unreadable files are skipped and listed with the reason; a run whose plot fails is
    kept in the tables and its error recorded in ``plot_errors``. ``fit_kwargs`` go to
    :func:`labspin.analysis.batch.fit_run` (width, thickness, r_ahe, r_phe, m_eff, ms,
    thickness_f).

    When the runs are a chip's bars measured by two or more of ST-FMR, harmonic Hall and
    switching loops, the report also holds the paper's correlation
    (:mod:`labspin.analysis.correlation`; ``control`` names the control bar):
    ``correlation.csv``, ``correlation.png``/``.svg`` and a section in the tables.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    runs, skipped = load_runs(find_run_files(paths))
    summary = fit_many(runs, workers=workers, **fit_kwargs)
    images: dict[str, Path] = {}
    plot_errors: dict[str, str] = {}
    rows = summary.to_dict("records")
    names = _Names()
    for run, row, name in zip(runs, rows, _image_names(runs, names), strict=True):
        try:
            images[row["file"]] = plot_run(run, row, out / name)[0]
        except Exception as exc:  # one bad plot must not lose the report
            plot_errors[row["file"]] = f"{type(exc).__name__}: {exc}"
    series = _series_figures(rows, out, plot_errors, names)
    from labspin.analysis.correlation_report import write_correlation

    correlation, correlation_csv, md_section, html_section = write_correlation(
        summary, out, control, plot_errors)
    csv_path, md_path, html_path = out / "summary.csv", out / "summary.md", out / "index.html"
    write_summary(summary, csv_path)  # with its units sidecar summary.units.csv
    md_path.write_text(_markdown(summary, images, skipped, series, md_section),
                       encoding="utf-8")
    html_path.write_text(_html(summary, images, skipped, series, html_section),
                         encoding="utf-8")
    return ReportResult(out_dir=out, summary=summary, images=images, skipped=skipped,
                        summary_csv=csv_path, summary_md=md_path, index_html=html_path,
                        plot_errors=plot_errors, series_images=series,
                        correlation=correlation, correlation_csv=correlation_csv)
