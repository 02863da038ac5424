"""The data panels of each kind of run: measured points, the fitted model where the fit
determined it, engineering units (:mod:`labspin.analysis.figure_units`).

A fitted curve or threshold is drawn only for what the verdict leaves determined: a
quantity that is not determined (NaN in the row) has no line and no number on the plot.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from labspin.analysis.figure_units import axis_text, column_label, plain_ticks, scaled
from labspin.analysis.formatting import number, si
from labspin.analysis.loaders import RunData
from labspin.analysis.verdicts import is_undetermined

log = logging.getLogger(__name__)

UP, DOWN, EARLIER = "#1f77b4", "#d62728", "#b0b0b0"
_NOT_SIGNALS = {"Branch", "Loop", "Time (s)", "Trial", "Pulse index"}


def col(run: RunData, name: str) -> np.ndarray:
    return run.data[name].to_numpy(dtype=float)


def label_axes(ax, xcol: str, xunit: str, ycol: str, yunit: str) -> None:
    ax.set_xlabel(axis_text(column_label(xcol)[0], xunit))
    ax.set_ylabel(axis_text(column_label(ycol)[0], yunit))
    plain_ticks(ax)


# -- loops: Hall, USMR, current switching -------------------------------------------------


def _loop_fit(ax, row: dict, grid: np.ndarray, xscale: float, yscale: float,
              branches: set[int]) -> None:
    from labspin.analysis.models.loops import hysteresis_loop

    plus, minus = ("i_c_plus", "i_c_minus") if row.get("kind") == "switching_loop" \
        else ("b_c_plus", "b_c_minus")
    shared = {n: number(row, n) for n in ("offset", "slope", "step", "width_up",
                                          "width_down")}
    if any(v is None for v in shared.values()) or is_undetermined(row, "step"):
        return
    shape = row.get("shape") if row.get("shape") in ("tanh", "erf") else "tanh"
    for sign, centre, colour, name in ((1, plus, UP, "up"), (-1, minus, DOWN, "down")):
        value = number(row, centre)
        if sign not in branches or value is None or is_undetermined(row, centre):
            continue
        y = hysteresis_loop(grid, np.full(grid.size, sign), shape=shape, center_up=value,
                            center_down=value, **shared)
        ax.plot(grid / xscale, y / yscale, "-", color=colour, lw=1.5, label=f"fit ({name})")


def _thresholds(ax, row: dict, unit: str, xscale: float) -> None:
    """Each determined threshold as a dashed line with its 1-sigma band."""
    names = (("i_c_plus", "$I_c^+$"), ("i_c_minus", "$I_c^-$")) \
        if row.get("kind") == "switching_loop" else (("b_c_plus", "$B_c^+$"),
                                                     ("b_c_minus", "$B_c^-$"))
    for (key, label), colour in zip(names, (UP, DOWN), strict=True):
        value = number(row, key)
        if value is None or is_undetermined(row, key):
            continue
        err = number(row, f"{key}_stderr") or 0.0
        ax.axvline(value / xscale, color=colour, ls="--", lw=0.8, alpha=0.8)
        if err > 0:
            ax.axvspan((value - err) / xscale, (value + err) / xscale, color=colour,
                       alpha=0.15, lw=0)
        text = f"{label} = {si(value, unit)}" + (f"\n± {si(err, unit, 2)}" if err else "")
        # beside the line, away from zero: a loop's middle height is empty out there;
        # towards zero when the label would cross the frame (a threshold near the edge)
        outward = value >= 0
        label = ax.annotate(text, xy=(value / xscale, 0.5), xycoords=("data", "axes fraction"),
                            xytext=(6 if outward else -6, 0), textcoords="offset points",
                            va="center", ha="left" if outward else "right",
                            fontsize="x-small", color=colour,
                            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white",
                                  "edgecolor": "none", "alpha": 0.85})
        if not _inside_frame(ax, label, value / xscale, outward):
            label.xyann = (-6 if outward else 6, 0)
            label.set_horizontalalignment("right" if outward else "left")


def _inside_frame(ax, label, x: float, rightwards: bool) -> bool:
    """Whether ``label``, drawn rightwards (or leftwards) of the data ``x``, stays inside
    the axes' frame. Measured against the frame before the figure's layout, which is
    narrower than after it: a label that fits here fits in the saved figure."""
    renderer = getattr(ax.figure.canvas, "get_renderer", lambda: None)()
    if renderer is None:
        return True
    width = label.get_window_extent(renderer).width
    lo, hi = ax.get_xlim()
    frame = ax.get_position().width * ax.figure.get_figwidth() * ax.figure.dpi
    offset = 6 * ax.figure.dpi / 72  # the 6 points between the line and the label
    room = (hi - x if rightwards else x - lo) / (hi - lo) * frame if hi != lo else 0.0
    return width + offset <= room


def draw_loop(ax, run: RunData, row: dict, xcol: str, ycol: str) -> None:
    x, y = col(run, xcol), col(run, ycol)
    branch = col(run, "Branch") if "Branch" in run.data.columns else np.ones_like(x)
    _, xunit = column_label(xcol)
    _, yunit = column_label(ycol)
    xs, xscale, xshown = scaled(x, xunit)
    ys, yscale, yshown = scaled(y, yunit)
    fitted = np.ones(x.size, bool)
    if row.get("kind") == "switching_loop" and "Loop" in run.data.columns:
        loops = col(run, "Loop")
        if np.isfinite(loops).any() and np.nanmax(loops) > 1:
            fitted = loops == np.nanmax(loops)
            ax.plot(xs[~fitted], ys[~fitted], "o", color=EARLIER, ms=3, ls="none",
                    label="earlier loops (set the state)")
    for sign, colour, marker, name in ((1, UP, "^", "up sweep"),
                                       (-1, DOWN, "v", "down sweep")):
        sel = (branch == sign) & fitted
        if np.any(sel):
            ax.plot(xs[sel], ys[sel], marker, color=colour, ms=4, ls="none", alpha=0.75,
                    label=name)
    if row.get("fitted"):
        finite = x[np.isfinite(x)]
        if finite.size:
            grid = np.linspace(finite.min(), finite.max(), 600)
            branches = {int(b) for b in branch[fitted & np.isfinite(branch)]}
            try:
                _loop_fit(ax, row, grid, xscale, yscale, branches)
            except Exception:  # the data are shown regardless
                log.debug("no loop fit curve for %s", run.path, exc_info=True)
        _thresholds(ax, row, xunit, xscale)
    label_axes(ax, xcol, xshown, ycol, yshown)


# -- harmonic Hall --------------------------------------------------------------------------


def draw_angle_scans(ax, run: RunData, row: dict) -> None:
    from labspin.analysis.models.harmonic import avci_angle_scan, fit_angle_scans

    bcol = "Field setpoint (T)" if "Field setpoint (T)" in run.data.columns else "Field (T)"
    acol, vcol = "Field angle (deg)", "V_xy 2w (V)"
    b, deg, v = col(run, bcol), col(run, acol), col(run, vcol)
    ok = np.isfinite(b) & np.isfinite(deg) & np.isfinite(v)
    b, deg, v = b[ok], deg[ok], v[ok]
    vs, vscale, vshown = scaled(v, "V")
    table = None
    if row.get("fitted") and row.get("verdict") != "not determined":
        try:
            table = fit_angle_scans(b, np.deg2rad(deg), v)
        except Exception:  # the plot shows the data regardless
            log.debug("no angle-scan fit curves for %s", run.path, exc_info=True)
    grid = np.linspace(np.min(deg), np.max(deg), 361) if deg.size else np.array([])
    for i, value in enumerate(np.unique(b)):
        sel = b == value
        colour = f"C{i % 10}"
        ax.plot(deg[sel], vs[sel], "o", color=colour, ms=4, label=f"B = {si(value, 'T')}")
        if table is not None:
            fit = table[table["field"] == value]
            if len(fit):
                f = fit.iloc[0]
                ax.plot(grid, avci_angle_scan(np.deg2rad(grid), f["dl_amplitude"],
                                              f["fl_amplitude"], f["offset"], f["phi_0"])
                        / vscale, "-", color=colour, lw=1.2)
    if deg.size and np.ptp(deg) >= 180:
        ax.set_xticks(np.arange(0, np.max(deg) + 1, 90))
    label_axes(ax, acol, "°", vcol, vshown)


def draw_field_sweeps(ax, run: RunData) -> None:
    """Hayashi field sweeps: V_xy^2w against the swept field, one curve per axis."""
    b, v, code = col(run, "Field (T)"), col(run, "V_xy 2w (V)"), col(run, "Field axis")
    bs, _, bshown = scaled(b, "T")
    vs, _, vshown = scaled(v, "V")
    for i, value in enumerate(np.unique(code[np.isfinite(code)])):
        sel = (code == value) & np.isfinite(b) & np.isfinite(v)
        name = {0: "x", 1: "y"}.get(int(value), f"code {value:g}")  # the file's axis codes
        ax.plot(bs[sel], vs[sel], "o-", color=f"C{i % 10}", ms=4, lw=0.8,
                label=f"field along {name}")
    label_axes(ax, "Field (T)", bshown, "V_xy 2w (V)", vshown)


# -- pulse sequence: the train above, the read-out after each pulse below -------------------


def draw_pulse_sequence(axes, run: RunData, row: dict) -> None:
    top, bottom = axes
    index = col(run, "Pulse index") if "Pulse index" in run.data.columns \
        else np.arange(len(run.data), dtype=float)
    current, width = col(run, "Pulse current (A)"), col(run, "Pulse width (s)")
    readout = row.get("readout") if isinstance(row.get("readout"), str) else None
    if readout not in run.data.columns:
        readout = next((c for c in ("R_xx 2w (ohm)", "R_xy (ohm)") if c in run.data.columns
                        and np.isfinite(col(run, c)).any()), None)
    cs, _, cshown = scaled(current, "A")
    pulses = current != 0
    colours = np.where(current > 0, UP, DOWN)
    top.bar(index[pulses], cs[pulses], width=0.6, color=colours[pulses])
    top.axhline(0, color="0.3", lw=0.6)
    widths = sorted({w for w in width[pulses] if np.isfinite(w)})
    if len(widths) > 1:
        for i, c, w in zip(index[pulses], cs[pulses], width[pulses], strict=True):
            top.annotate(si(w, "s"), (i, c), xytext=(0, 2 if c > 0 else -2),
                         textcoords="offset points", ha="center",
                         va="bottom" if c > 0 else "top", fontsize="xx-small")
    top.set_ylabel(axis_text("Pulse current", cshown))
    plain_ticks(top)
    if readout is None:
        bottom.text(0.5, 0.5, "no read-out column holds data", ha="center", va="center",
                    transform=bottom.transAxes)
        return
    r = col(run, readout)
    rs, rscale, rshown = scaled(r, column_label(readout)[1])
    bottom.plot(index, rs, "-", color="0.6", lw=0.8, drawstyle="steps-mid")
    threshold = number(row, "threshold")
    if threshold is not None:
        high = r > threshold
        bottom.plot(index[high], rs[high], "o", color="#6a3d9a", ms=5, label="state high")
        bottom.plot(index[~high], rs[~high], "s", color="#ff7f00", ms=5, label="state low")
    else:
        bottom.plot(index, rs, "o", color="0.2", ms=5)
    for key in ("level_high", "level_low"):
        value = number(row, key)
        if value is not None and not is_undetermined(row, key):
            bottom.axhline(value / rscale, color="0.4", ls="--", lw=0.8)
    bottom.set_xlabel("Pulse number (0: read-out before the first pulse)")
    bottom.set_ylabel(axis_text(column_label(readout)[0], rshown))
    bottom.xaxis.get_major_locator().set_params(integer=True)
    plain_ticks(bottom)


# -- switching probability ------------------------------------------------------------------


def wilson(p: np.ndarray, n: np.ndarray, z: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper 1-sigma error of a binomial share (Wilson score interval): never
    below 0 or above 1, and not zero at p = 0 or 1 where sqrt(p(1-p)/n) would be."""
    n = np.maximum(n, 1)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return np.clip(p - (centre - half), 0, None), np.clip(centre + half - p, 0, None)


def draw_probability(axes, run: RunData, row: dict) -> None:
    from labspin.analysis.probability_runs import probability_table

    left, right = axes
    share, curves = probability_table(run)
    scale_values = np.concatenate([c[1] for c in curves]) if curves else np.array([])
    _, iscale, ishown = scaled(scale_values, "A")
    widths, i50, i50_err, colours = [], [], [], []
    for k, (width, current, probability, trials, spread) in enumerate(curves):
        colour = f"C{k % 10}"
        low, high = wilson(probability, trials)
        left.errorbar(current / iscale, probability, yerr=[low, high], fmt="o", ms=4,
                      color=colour, capsize=2, lw=0.8, label=f"$t_p$ = {si(width, 's')}")
        key = f"i_50_{k}"
        value = number(row, key) if number(row, f"pulse_width_{k}") == width else None
        if value is None or is_undetermined(row, key):
            continue
        widths.append(width)
        colours.append(colour)
        i50.append(abs(value))
        i50_err.append(number(row, f"{key}_stderr") or 0.0)
        _probability_curve(left, current, probability, trials, spread, width, iscale, colour)
    left.axhline(0.5, color="0.5", ls=":", lw=0.8)
    left.set_ylim(-0.05, 1.05)
    left.set_xlabel(axis_text("Pulse current $I_p$", ishown))
    left.set_ylabel("Switching probability $P_{sw}$" if share == "Switched" else
                    "Switched share $P_{sw}$ (fraction reversed)")
    plain_ticks(left)
    draw_width_dependence(right, np.array(widths), np.array(i50), np.array(i50_err), row,
                          colours=colours)


def _probability_curve(ax, current, probability, trials, spread, width, iscale,
                       colour) -> None:
    from labspin.analysis.models.probability import (
        fit_switching_probability,
        probability_vs_current,
    )

    try:
        fit = fit_switching_probability(current, probability, pulse_width=width,
                                        trials=trials, sample_sd=spread)
    except Exception:  # the points are shown regardless
        log.debug("no P(I) curve drawn for %g s", width, exc_info=True)
        return
    if not all(math.isfinite(fit.get(k, math.nan)) for k in ("i_50", "delta_0")):
        return
    grid = np.linspace(np.min(current), np.max(current), 300)
    ax.plot(grid / iscale, probability_vs_current(grid, fit["i_50"], fit["delta_0"], width),
            "-", color=colour, lw=1.2)


def draw_width_dependence(ax, widths: np.ndarray, i50: np.ndarray, err: np.ndarray,
                          row: dict | None, colours=None) -> None:
    """I_50 against ln t_p with its error bars and, when determined, the activation law
    I_50 = I_c0 [1 - ln(t_p / (tau_0 ln 2)) / Delta_0] through them."""
    from labspin.analysis.models.probability import half_switching_current

    _, iscale, ishown = scaled(i50, "A")
    if widths.size:
        colours = colours if colours is not None else ["C0"] * widths.size
        for w, i, e, c in zip(widths, i50, err, colours, strict=True):
            ax.errorbar([w], [i / iscale], yerr=[e / iscale], fmt="o", color=c, ms=5,
                        capsize=3)
    ax.set_xscale("log")
    i_c0 = number(row or {}, "i_c0")
    delta_0 = number(row or {}, "delta_0")
    if (row is not None and widths.size >= 2 and i_c0 is not None and delta_0 is not None
            and not is_undetermined(row, "i_c0") and not is_undetermined(row, "delta_0")):
        grid = np.geomspace(widths.min() / 2, widths.max() * 2, 200)
        tau_0 = number(row, "tau_0") or 1e-9
        ax.plot(grid, half_switching_current(grid, abs(i_c0), delta_0, tau_0) / iscale,
                "-", color="0.3", lw=1.2,
                label=f"$I_{{c0}}$ = {si(abs(i_c0), 'A')}, $\\Delta_0$ = {delta_0:.3g}")
        ax.legend(fontsize="x-small", loc="best")
    if widths.size == 0:
        ax.text(0.5, 0.5, "no $I_{50}$ determined", ha="center", va="center",
                transform=ax.transAxes, color="0.4")
    elif widths.size < 3:
        ax.text(0.5, 0.04, "measure 3 or more widths\nfor $I_{c0}$ and $\\Delta_0$",
                ha="center", va="bottom", transform=ax.transAxes, fontsize="x-small",
                color="0.4")
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: si(v, "s", 2)))
    ax.set_xlabel("Pulse width $t_p$ (log scale)")
    ax.set_ylabel(axis_text("Half-switching current $I_{50}$", ishown))
    ax.yaxis.get_major_formatter().set_useOffset(False)


# -- anything else ----------------------------------------------------------------------------


def draw_data(ax, run: RunData) -> None:
    numeric = [c for c in run.data.columns
               if pd.api.types.is_numeric_dtype(run.data[c]) and run.data[c].notna().any()]
    if len(numeric) < 2:
        ax.text(0.5, 0.5, "no numeric data to plot", ha="center", va="center",
                transform=ax.transAxes)
        return
    xcol = numeric[0]
    ycol = next((c for c in numeric[1:] if c not in _NOT_SIGNALS), numeric[1])
    xs, _, xshown = scaled(col(run, xcol), column_label(xcol)[1])
    ys, _, yshown = scaled(col(run, ycol), column_label(ycol)[1])
    ax.plot(xs, ys, "o-", ms=3, lw=0.8)
    label_axes(ax, xcol, xshown, ycol, yshown)
