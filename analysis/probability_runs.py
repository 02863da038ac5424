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
from labspin.analysis.models._common import DataError
from labspin.analysis.models.probability import (
    fit_pulse_width_dependence,
    fit_switching_probability,
)

_SHARES = ("Switched fraction", "Switched")


def probability_table(run: RunData) -> tuple[str, list[tuple[float, np.ndarray, np.ndarray,
                                                            np.ndarray]]]:
    """(column used, [(width, amplitudes, switched share, trials per amplitude), ...])."""
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
        stats = group.groupby("Pulse current (A)", sort=True)[share].agg(["mean", "count"])
        curves.append((float(width), stats.index.to_numpy(float),
                       np.clip(stats["mean"].to_numpy(float), 0.0, 1.0),
                       stats["count"].to_numpy(float)))
    return share, curves


def fit_probability_run(run: RunData, **_: Any) -> dict:
    """One flat dict: i_50 (A) per width as ``i_50_<k>`` with ``pulse_width_<k>``, the
    first width's also as ``i_50``; ``i_c0`` and ``delta_0`` with their ``_stderr``."""
    share, curves = probability_table(run)
    out: dict[str, Any] = {"share": share, "n_widths": len(curves)}
    notes = []
    fits = []
    for k, (width, current, probability, trials) in enumerate(curves):
        try:
            fit = fit_switching_probability(current, probability, pulse_width=width,
                                            trials=trials)
        except (DataError, RuntimeError, ValueError) as exc:
            notes.append(f"{width:g} s: {exc}")
            continue
        fits.append((width, fit))
        out[f"pulse_width_{k}"] = width
        out[f"i_50_{k}"], out[f"i_50_{k}_stderr"] = fit["i_50"], fit["i_50_stderr"]
    if not fits:
        raise DataError("no pulse width could be fitted: " + "; ".join(notes))
    first = fits[0][1]
    out["i_50"], out["i_50_stderr"] = first["i_50"], first["i_50_stderr"]
    if len(fits) >= 3:
        widths = np.array([w for w, _ in fits])
        i_50 = np.array([abs(f["i_50"]) for _, f in fits])
        err = np.array([f["i_50_stderr"] for _, f in fits])
        dependence = fit_pulse_width_dependence(widths, i_50, err)
        for key in ("i_c0", "delta_0"):
            out[key], out[f"{key}_stderr"] = dependence[key], dependence[f"{key}_stderr"]
        notes.append(f"I_c0 and Delta_0 from I_50 at {len(fits)} pulse widths")
    else:
        for key in ("i_c0", "delta_0"):
            out[key], out[f"{key}_stderr"] = first[key], first[f"{key}_stderr"]
        notes.append("I_c0 and Delta_0 from the slope of one curve (measure 3 or more "
                     "pulse widths to fix them by the width dependence)")
    out["note"] = "; ".join(notes)
    return out
