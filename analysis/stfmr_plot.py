"""The report's picture of an STFMR run: each line without DC current at the lowest RF
level, as measured, with its fitted Lorentzians (the shape with the slow changes of the
macrospin when the run's M_eff and B_K are known)."""

from __future__ import annotations

import math

import numpy as np

from labspin.analysis.loaders import RunData
from labspin.analysis.models.stfmr import fit_line, stfmr_line, stfmr_lorentzian


def _finite(row: dict, key: str) -> float | None:
    try:
        value = float(row.get(key))
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def plot_stfmr(ax, run: RunData, row: dict) -> None:
    """Mixing voltage against field, one colour per frequency, fits drawn over it."""
    data = run.data
    current = data["DC current (A)"].to_numpy(float)
    power = data["RF power (dBm)"].to_numpy(float)
    keep = (current == 0) & (power == np.nanmin(power))
    if not np.any(keep):
        keep = np.isfinite(current)
    m_eff, b_k = _finite(row, "m_eff"), _finite(row, "b_k") or 0.0
    sweeps = data.loc[keep, "Sweep"] if "Sweep" in data.columns else data.loc[
        keep, "RF frequency (Hz)"]
    for i, label in enumerate(dict.fromkeys(sweeps)):
        sweep = data[keep & (sweeps.reindex(data.index) == label).to_numpy()]
        b = sweep["Field (T)"].to_numpy(float)
        v = sweep["Mixing voltage (V)"].to_numpy(float)
        f = float(sweep["RF frequency (Hz)"].iloc[0])
        angle = math.radians(float(sweep["Field angle (deg)"].iloc[0]))
        colour = f"C{i % 10}"
        ax.plot(b * 1e3, v * 1e6, "o", ms=3, color=colour, label=f"{f / 1e9:g} GHz")
        if not row.get("fitted") or b.size < 10:
            continue
        try:
            fit = fit_line(b, v, frequency=f, angle=angle, m_eff=m_eff, b_k=b_k)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError):
            continue  # the data are drawn regardless
        grid = np.linspace(b.min(), b.max(), 300)
        args = [fit[k] for k in ("s", "a", "b_res", "linewidth", "offset", "slope",
                                 "curvature")]
        if m_eff is None:
            curve = stfmr_lorentzian(grid, *args)
        else:
            curve = stfmr_line(grid, *args, fit.get("thermal", 0.0), frequency=f,
                               angle=angle, m_eff=m_eff, b_k=b_k)
        ax.plot(grid * 1e3, curve * 1e6, "-", lw=1.2, color=colour)
    ax.axhline(0.0, color="0.7", lw=0.8)
    ax.set_xlabel("Field (mT)")
    ax.set_ylabel("Mixing voltage (µV)")
