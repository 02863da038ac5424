"""Figures of saved runs, for reports and the GUI's past runs.

One figure per run: a title naming the sample, the procedure and its key parameters;
the data panels of its kind (:mod:`labspin.analysis.figure_panels`) in engineering
units; and under them the fitted quantities and the fit's verdict in a coloured box
(ok green, poor orange, not determined red with the reason). Saved at 150 dpi as PNG and
as SVG (text kept as text). A report holding switching-probability runs of several
pulse widths gets one more figure per sample: I_50 against ln t_p across the runs.

matplotlib's object API only (``Figure`` + the Agg canvas): no pyplot, no global
backend state, safe in worker processes and on headless machines.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from labspin.analysis import figure_panels as panels
from labspin.analysis.formatting import (
    VERDICT_COLOURS,
    format_quantities,
    number,
    reason_of,
    si,
    verdict_of,
)
from labspin.analysis.loaders import RunData
from labspin.analysis.verdicts import ensure_verdict, is_undetermined

__all__ = ["DPI", "draw_figure", "draw_run", "run_title", "save_figure", "width_figure",
           "width_series"]

DPI = 150
FIGSIZE = (7.5, 5.2)
PROCEDURE_NAMES = {"HallLoop": "Hall loop", "USMRLoop": "USMR loop",
                   "SwitchingLoop": "Current-switching loop",
                   "PulseSequence": "Pulse sequence",
                   "SwitchingProbability": "Switching probability",
                   "HarmonicHall": "Harmonic Hall"}
_LOOP_SIGNAL = {"hall_loop": "R_xy (ohm)", "usmr_loop": "R_xx 2w (ohm)"}
_READOUT = {"R_xx 2w": "$R_{xx}^{2\\omega}$", "R_xy": "$R_{xy}$"}
_WRAP = 100


# -- titles ---------------------------------------------------------------------------------


def _p(run: RunData, label: str) -> Any:
    return run.parameters.get(label)


def _num(run: RunData, label: str) -> float | None:
    value = _p(run, label)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if np.isfinite(value) else None


def _key_parameters(run: RunData) -> list[str]:
    """The parameters a colleague asks for first, per procedure."""
    name, out = run.procedure, []
    if name in ("HallLoop", "USMRLoop"):
        b, step = _num(run, "Maximum field"), _num(run, "Field step")
        if b is not None:
            out.append(f"$B \\parallel {_p(run, 'Field axis') or '?'}$, ±{si(b, 'T')}"
                       + (f" in {si(step, 'T')} steps" if step else ""))
        if name == "HallLoop" and _num(run, "Read current") is not None:
            out.append(f"read {si(_num(run, 'Read current'), 'A')} "
                       f"({_p(run, 'Readout') or 'dc'})")
        if name == "USMRLoop" and _num(run, "AC current density") is not None:
            out.append(f"$J_{{ac}}$ = {_num(run, 'AC current density'):.3g} A/m², "
                       f"{si(_num(run, 'AC frequency') or 0, 'Hz')}")
        loops = _num(run, "Loops")
        if loops and loops > 1:
            out.append(f"{loops:g} loops")
    elif name in ("SwitchingLoop", "PulseSequence", "SwitchingProbability"):
        if name == "SwitchingLoop":
            width, top = _num(run, "Pulse width"), _num(run, "Maximum pulse current")
            if width is not None and top is not None:
                out.append(f"{si(width, 's')} pulses up to ±{si(top, 'A')}")
            loops = _num(run, "Loops")
            if loops and loops > 1:
                out.append(f"{loops:g} loops")
        elif name == "PulseSequence" and {"Pulse current (A)", "Pulse width (s)"} <= set(
                run.data.columns):
            pulses = run.data[run.data["Pulse current (A)"] != 0]
            widths = sorted({float(w) for w in pulses["Pulse width (s)"] if np.isfinite(w)})
            out.append(f"{len(pulses)} pulses" + (f" of {si(widths[0], 's')}"
                                                  if len(widths) == 1 else ""))
        else:
            first, last = _num(run, "First pulse current"), _num(run, "Last pulse current")
            out.append(f"$t_p$ = {str(_p(run, 'Pulse widths')).replace(' us', ' µs')}")
            if first is not None and last is not None:
                out.append(f"{si(first, 'A')} to {si(last, 'A')}")
            trials = _num(run, "Trials per point")
            if trials:
                out.append(f"{trials:g} trials per point")
        readout = _p(run, "Readout")
        if readout:
            out.append(f"read-out {_READOUT.get(str(readout), readout)}")
        bias = _num(run, "Bias field")
        if bias:
            out.append(f"bias {si(bias, 'T')} $\\parallel$ {_p(run, 'Bias field axis')}")
    elif name == "HarmonicHall":
        current = _num(run, "AC current amplitude")
        if _p(run, "Mode") == "field sweep":
            b = _num(run, "Maximum field")
            axes = "x and y" if _p(run, "Sweep along y too") else "x"
            out.append(f"field sweeps ±{si(b or 0, 'T')} along {axes}")
            initial = _num(run, "Initialising field along z")
            if initial:
                out.append(f"initialised at {si(initial, 'T')} along z")
        else:
            out.append(f"angle scans at {_p(run, 'Field magnitudes (T)')} T")
        if current is not None:
            out.append(f"$I_{{ac}}$ = {si(current, 'A')}")
    temperature = _num(run, "Stage temperature")
    if temperature:
        out.append(f"stage at {temperature:g} K")
    return out


def run_title(run: RunData) -> tuple[str, str]:
    """("sample — procedure", key parameters) of a run, for figure titles."""
    sample = run.metadata.get("Sample") or "unknown sample"
    procedure = PROCEDURE_NAMES.get(run.procedure, run.procedure)
    return f"{sample} — {procedure}", ",  ".join(_key_parameters(run))


# -- the verdict strip under the panels -----------------------------------------------------


def _wrap(fig) -> int:
    """Characters per line of the strip's small font across the figure's width."""
    return max(40, int(13.5 * fig.get_figwidth()))


def _strip_lines(row: dict, wrap: int = _WRAP) -> tuple[list[str], list[str], str]:
    """(quantity lines, verdict lines, colour); quantities are not split across lines."""
    verdict = verdict_of(row)
    lines: list[str] = []
    for item in (format_quantities(row) if row.get("fitted") else ["not fitted"]):
        if lines and len(lines[-1]) + 4 + len(item) <= wrap:
            lines[-1] += "    " + item
        else:
            lines.append(item)
    reason = reason_of(row)
    text = f"Verdict: {verdict}" + (f" — {reason}" if reason and verdict != "ok" else "")
    return lines, textwrap.wrap(text, wrap), VERDICT_COLOURS[verdict]


def _strip_height(row: dict, wrap: int = _WRAP) -> float:
    quantities, verdict, _ = _strip_lines(row, wrap)
    return 0.19 * (len(quantities) + len(verdict)) + 0.3


def draw_strip(ax, row: dict, footer: str = "") -> None:
    """Fitted quantities, then the verdict in a box coloured by its level."""
    ax.set_axis_off()
    quantities, verdict, colour = _strip_lines(row, _wrap(ax.figure))
    ax.text(0.0, 1.0, "\n".join(quantities), transform=ax.transAxes, va="top", ha="left",
            fontsize="small")
    box = ax.annotate("\n".join(verdict), xy=(0.0, 1.0), xycoords="axes fraction",
                      xytext=(4, -13.5 * len(quantities) - 8), textcoords="offset points",
                      va="top", ha="left", fontsize="small", color="white",
                      bbox={"boxstyle": "round,pad=0.35", "facecolor": colour,
                            "edgecolor": colour})
    box.set_gid("verdict")
    if footer:
        ax.text(1.0, 0.0, footer, transform=ax.transAxes, va="bottom", ha="right",
                fontsize="xx-small", color="0.5")


# -- one run ---------------------------------------------------------------------------------


def _layout(run: RunData, row: dict) -> str:
    kind = row.get("kind")
    if kind == "pulse_sequence" and "Pulse current (A)" in run.data.columns:
        return "sequence"
    if kind == "switching_probability" and row.get("fitted"):
        return "probability"
    return "single"


def draw_run(ax, run: RunData, row: dict) -> None:
    """The main data panel of a run on one ``Axes`` (single-panel kinds; the others
    draw their first panel's data)."""
    _draw_single(ax, run, row)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="x-small", loc="best")
    ax.grid(True, alpha=0.3)


def _draw_single(ax, run: RunData, row: dict) -> None:
    kind = row.get("kind")
    columns = set(run.data.columns)
    if kind in _LOOP_SIGNAL and {"Field (T)", _LOOP_SIGNAL[kind]} <= columns:
        panels.draw_loop(ax, run, row, "Field (T)", _LOOP_SIGNAL[kind])
    elif kind == "switching_loop" and "Pulse current (A)" in columns:
        readout = row.get("readout")
        if not isinstance(readout, str) or readout not in columns:
            readout = next((c for c in ("R_xy (ohm)", "R_xx 2w (ohm)")
                            if c in columns and run.data[c].notna().any()), None)
        if readout:
            panels.draw_loop(ax, run, row, "Pulse current (A)", readout)
        else:
            panels.draw_data(ax, run)
    elif kind == "harmonic_hall" and str(run.parameters.get("Mode")) == "field sweep" \
            and {"Field (T)", "Field axis", "V_xy 2w (V)"} <= columns:
        panels.draw_field_sweeps(ax, run)
    elif kind == "harmonic_hall" and {"Field angle (deg)", "V_xy 2w (V)"} <= columns:
        panels.draw_angle_scans(ax, run, row)
    elif kind == "stfmr" and {"Field (T)", "Mixing voltage (V)", "DC current (A)"} <= columns:
        from labspin.analysis.stfmr_plot import plot_stfmr

        plot_stfmr(ax, run, row)
    else:
        panels.draw_data(ax, run)


def draw_figure(fig, run: RunData, row: dict, *, footer: bool = True,
                strip: bool = True) -> list:
    """Draw a run on a matplotlib ``Figure`` (module doc); returns the data axes. The
    figure should use the constrained layout (``Figure(layout="constrained")``).
    ``strip=False`` leaves out the quantities and the verdict (a run still running)."""
    row = ensure_verdict(dict(row)) if row.get("fitted") else dict(row)
    title, subtitle = run_title(run)
    fig.suptitle(title + ("\n" + subtitle if subtitle else ""), fontsize="medium")
    layout = _layout(run, row)
    height = fig.get_figheight()
    band = min(_strip_height(row, _wrap(fig)), 0.45 * height) if strip else 0.0
    grid = fig.add_gridspec(2 if strip else 1, 1,
                            height_ratios=[max(height - band - 0.6, 1.0), band][:1 + strip])
    if layout == "sequence":
        sub = grid[0].subgridspec(2, 1, height_ratios=[1, 2])
        top = fig.add_subplot(sub[0])
        axes = [top, fig.add_subplot(sub[1], sharex=top)]
        top.tick_params(labelbottom=False)
        panels.draw_pulse_sequence(axes, run, row)
    elif layout == "probability":
        sub = grid[0].subgridspec(1, 2, width_ratios=[3, 2])
        axes = [fig.add_subplot(sub[0]), fig.add_subplot(sub[1])]
        panels.draw_probability(axes, run, row)
    else:
        axes = [fig.add_subplot(grid[0])]
        _draw_single(axes[0], run, row)
    for ax in axes:
        if ax.get_legend_handles_labels()[0] and ax.get_legend() is None:
            ax.legend(fontsize="x-small", loc="best")
        ax.grid(True, alpha=0.3)
    if strip:
        draw_strip(fig.add_subplot(grid[1]), row,
                   footer=f"file: {_footer_path(run.path)}" if footer else "")
    return axes


def _footer_path(path: Path) -> str:
    """The run file's name with its two folders (``s3/2026-12-03/00001_...csv``): runs
    of two data folders with the same file name are told apart on the figure too."""
    parts = [p for p in Path(path).parts if p not in (Path(path).anchor, "")]
    shown = "/".join(parts[-3:])
    return shown if len(parts) <= 3 else ".../" + shown


def new_figure(size: tuple[float, float] = FIGSIZE):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig, stem: Path) -> tuple[Path, Path]:
    """``stem``.png (150 dpi) and ``stem``.svg (text as text, searchable). ``stem`` is
    kept whole: a dot in it (a sample id ``chipB-NiO1.5``) is not an extension."""
    import matplotlib

    stem = Path(stem)
    png, svg = stem.with_name(stem.name + ".png"), stem.with_name(stem.name + ".svg")
    fig.savefig(png, format="png", dpi=DPI)
    # the layout is settled by the first save: keep it for the second instead of solving
    # the constrained layout again (a third of a figure's time)
    fig.set_layout_engine("none")
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(svg, format="svg", dpi=DPI)
    return png, svg


def plot_run(run: RunData, row: dict, stem: str | Path) -> tuple[Path, Path]:
    """Draw one run (:func:`draw_figure`) and save it as PNG and SVG at ``stem``."""
    fig = new_figure()
    draw_figure(fig, run, row)
    return save_figure(fig, Path(stem))


# -- across runs: I_50 against ln t_p ---------------------------------------------------------


def width_series(rows: Sequence[dict]) -> dict[str, list[tuple[str, float, float, float]]]:
    """Per sample (and polarity), the determined I_50 of every switching-probability run
    as (file, t_p, |I_50|, sigma)."""
    out: dict[str, list[tuple[str, float, float, float]]] = {}
    for row in rows:
        if row.get("kind") != "switching_probability" or not row.get("fitted"):
            continue
        sample = str(row.get("meta: Sample") or "unknown sample")
        for k in range(int(number(row, "n_widths") or 0)):
            width, value = number(row, f"pulse_width_{k}"), number(row, f"i_50_{k}")
            if width is None or value is None or is_undetermined(row, f"i_50_{k}"):
                continue
            key = f"{sample}, {'positive' if value > 0 else 'negative'} pulses"
            out.setdefault(key, []).append((str(row["file"]), width, abs(value),
                                            number(row, f"i_50_{k}_stderr") or 0.0))
    return out


def width_figure(name: str, points: list[tuple[str, float, float, float]]):
    """I_50 of several runs against ln t_p with the activation-law fit across all of
    them (``fit_pulse_width_dependence``); the fit's verdict under it. None when the
    points do not span two runs and two widths."""
    from labspin.analysis.models.probability import fit_pulse_width_dependence

    files = sorted({p[0] for p in points})
    widths = np.array([p[1] for p in points])
    if len(files) < 2 or np.unique(widths).size < 2:
        return None
    i50 = np.array([p[2] for p in points])
    err = np.array([p[3] for p in points])
    row: dict[str, Any] = {"kind": "switching_probability", "fitted": True,
                           "n_widths": int(np.unique(widths).size)}
    if np.unique(widths).size >= 3:
        try:
            fit = fit_pulse_width_dependence(widths, i50, err if np.all(err > 0) else None)
            row.update({k: v for k, v in fit.items() if k != "report"})
        except Exception as exc:  # the points are shown regardless
            row.update(verdict="not determined", verdict_reason=f"fit failed: {exc}",
                       undetermined="", fitted=False, error=f"fit failed: {exc}")
    else:
        row.update(verdict="not determined", undetermined="",
                   verdict_reason="I_c0 and Delta_0 need 3 or more pulse widths")
    ensure_verdict(row)
    fig = new_figure()
    fig.suptitle(f"{name} — $I_{{50}}$ against $\\ln t_p$\n{len(files)} switching-"
                 f"probability runs, {np.unique(widths).size} pulse widths",
                 fontsize="medium")
    height = fig.get_figheight()
    strip = min(_strip_height(row, _wrap(fig)), 0.45 * height)
    grid = fig.add_gridspec(2, 1, height_ratios=[max(height - strip - 0.6, 1.0), strip])
    ax = fig.add_subplot(grid[0])
    colour_of = {f: f"C{i % 10}" for i, f in enumerate(files)}
    panels.draw_width_dependence(ax, widths, i50, err, row,
                                 colours=[colour_of[p[0]] for p in points])
    for f in files:
        ax.plot([], [], "o", color=colour_of[f], label=Path(f).name)
    ax.legend(fontsize="x-small", loc="best")
    ax.grid(True, alpha=0.3)
    draw_strip(fig.add_subplot(grid[1]), row)
    return fig
