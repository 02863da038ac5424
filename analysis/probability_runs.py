"""Batch fit of a SwitchingProbability run: I_50 per pulse width, then I_c0 and Delta_0.

The run holds N single-pulse trials per (amplitude, width). Per width, the switched
share against amplitude is fitted with the thermal-activation law
(``models.probability.fit_switching_probability``, binomial weights); with three or
more widths, I_50(t_p) gives I_c0 and Delta_0 through the logarithmic fall of the
switching current with pulse width (``fit_pulse_width_dependence``). With fewer widths
each curve's own I_c0 and Delta_0 are reported, which the curve's slope alone fixes
less well.

The share is the mean "Switched fraction" (the part of the bar reversed, clipped to
[0, 1]), which compares with the device model's grain-averaged probability; "Switched"
(more than half reversed) is steeper and is used only when the fraction is missing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labspin.analysis.loaders import RunData
from labspin.analysis.models._common import (
    NOT_DETERMINED,
    OK,
    POOR,
    DataError,
    with_verdict,
    worsen,
)
from labspin.analysis.models.probability import (
    fit_pulse_width_dependence,
    fit_switching_probability,
)

_SHARES = ("Switched fraction", "Switched")


def probability_table(run: RunData) -> tuple[str, list[tuple[float, np.ndarray, np.ndarray,
                                                            np.ndarray, np.ndarray]]]:
    """(column used, [(width, amplitudes, switched share, trials per amplitude, standard
    deviation of one trial's outcome), ...])."""
    data = run.data
    share = next((c for c in _SHARES if c in data.columns and data[c].notna().any()), None)
    if share is None or not {"Pulse width (s)", "Pulse current (A)"} <= set(data.columns):
        raise DataError("the file has no 'Switched fraction' or 'Switched' with pulse "
                        "widths and currents")
    frame = data[["Pulse width (s)", "Pulse current (A)", share]].dropna()
    if frame.empty:
        raise DataError("no valid trials (every reset failed?)")
    curves = []
    for width, group in frame.groupby("Pulse width (s)", sort=True):
        stats = group.groupby("Pulse current (A)", sort=True)[share].agg(
            ["mean", "count", "std"])
        curves.append((float(width), stats.index.to_numpy(float),
                       np.clip(stats["mean"].to_numpy(float), 0.0, 1.0),
                       stats["count"].to_numpy(float),
                       stats["std"].fillna(0.0).to_numpy(float)))
    return share, curves


def _width_fits(curves, notes: list[str]) -> list[tuple[int, float, dict]]:
    """P(I) fitted per width; widths that cannot be fitted go to ``notes``."""
    fits = []
    for k, (width, current, probability, trials, spread) in enumerate(curves):
        try:
            # quasi-binomial errors from the trials' own scatter: a "Switched fraction"
            # varies far less per trial than a whole-bar switch would
            fit = fit_switching_probability(current, probability, pulse_width=width,
                                            trials=trials, sample_sd=spread)
        except (DataError, RuntimeError, ValueError) as exc:
            notes.append(f"{width:g} s: {exc}")
            continue
        fits.append((k, width, fit))
    return fits


def _carry(out: dict, fit: dict, prefix: str, names: dict[str, str]) -> None:
    """Copy a fit's quantities into the row under ``names`` (fit key -> row key) and its
    verdict, each reason prefixed (e.g. by the pulse width)."""
    for key, row_key in names.items():
        out[row_key], out[f"{row_key}_stderr"] = fit[key], fit[f"{key}_stderr"]
    if fit["verdict"] != OK:
        undetermined = [names[n] for n in fit["undetermined"].split(",") if n in names]
        worsen(out, POOR, f"{prefix}{fit['verdict_reason']}", undetermined)


def fit_probability_run(run: RunData, **_: Any) -> dict:
    """One flat dict: i_50 (A) per width as ``i_50_<k>`` with ``pulse_width_<k>``, the
    first determined width's also as ``i_50``; ``i_c0`` and ``delta_0`` with their
    ``_stderr``; the verdict of the whole (VERDICT.md)."""
    share, curves = probability_table(run)
    out: dict[str, Any] = with_verdict({"share": share, "n_widths": len(curves)})
    notes: list[str] = []
    fits = _width_fits(curves, notes)
    if not fits:
        raise DataError("no pulse width could be fitted: " + "; ".join(notes))
    for k, width, fit in fits:
        out[f"pulse_width_{k}"] = width
        _carry(out, fit, f"{width:g} s: ", {"i_50": f"i_50_{k}"})
    good = [(w, f) for _, w, f in fits if f["verdict"] != NOT_DETERMINED]
    if not good:
        return worsen(out, NOT_DETERMINED, "no pulse width gives a half-switching current",
                      ["i_50", "i_c0", "delta_0"]) | {"note": "; ".join(notes)}
    out["i_50"], out["i_50_stderr"] = good[0][1]["i_50"], good[0][1]["i_50_stderr"]
    if len(good) >= 3:
        dependence = fit_pulse_width_dependence(
            [w for w, _ in good], [abs(f["i_50"]) for _, f in good],
            [f["i_50_stderr"] for _, f in good])
        _carry(out, dependence, "I_50(t_p): ", {"i_c0": "i_c0", "delta_0": "delta_0"})
        notes.append(f"I_c0 and Delta_0 from I_50 at {len(good)} pulse widths")
    else:
        _carry(out, good[0][1], f"{good[0][0]:g} s: ", {"i_c0": "i_c0", "delta_0": "delta_0"})
        notes.append("I_c0 and Delta_0 from the slope of one curve (measure 3 or more "
                     "pulse widths to fix them by the width dependence)")
    out["note"] = "; ".join(notes)
    return out
