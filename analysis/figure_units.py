"""Axis quantities in engineering units: the prefix from the data, the label from the
column ("Field (T)" with fields of a few mT -> "Field B (mT)", values in mT)."""

from __future__ import annotations

import math
import re

import numpy as np

#: column of a run file -> (axis label, SI unit); mathtext for the symbols
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "Field (T)": ("Field $B$", "T"),
    "Field setpoint (T)": ("Field $B$", "T"),
    "R_xy (ohm)": ("Hall resistance $R_{xy}$", "Ω"),
    "R_xx (ohm)": ("Resistance $R_{xx}$", "Ω"),
    "R_xx 1w (ohm)": ("$R_{xx}^{1\\omega}$", "Ω"),
    "R_xx 2w (ohm)": ("USMR signal $R_{xx}^{2\\omega}$", "Ω"),
    "R_xy 1w (ohm)": ("$R_{xy}^{1\\omega}$", "Ω"),
    "V_xy 1w (V)": ("$V_{xy}^{1\\omega}$", "V"),
    "V_xy 2w (V)": ("Second harmonic $V_{xy}^{2\\omega}$", "V"),
    "Pulse current (A)": ("Pulse current $I_p$", "A"),
    "Pulse width (s)": ("Pulse width $t_p$", "s"),
    "Pulse energy (J)": ("Pulse energy", "J"),
    "Field angle (deg)": ("Field angle $\\varphi$", "°"),
    "Time (s)": ("Time", "s"),
}
_UNIT_WORDS = {"ohm": "Ω", "deg": "°", "A/m^2": "A/m²"}
_PREFIXES = ((1e-15, "f"), (1e-12, "p"), (1e-9, "n"), (1e-6, "µ"), (1e-3, "m"), (1.0, ""),
             (1e3, "k"), (1e6, "M"), (1e9, "G"))
#: units that take an SI prefix on an axis
PREFIXABLE = {"T", "A", "Ω", "V", "s", "J", "W", "Hz"}
_COLUMN = re.compile(r"^(?P<name>.*?)\s*\((?P<unit>[^()]*)\)$")


def column_label(column: str) -> tuple[str, str]:
    """(label, unit) of a run-file column; "Name (unit)" for columns not in the table."""
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column]
    match = _COLUMN.match(column)
    if not match:
        return column, ""
    unit = match["unit"]
    return match["name"], _UNIT_WORDS.get(unit, unit)


def prefix_for(values, unit: str) -> tuple[float, str]:
    """(scale, prefixed unit): divide by ``scale`` so the largest magnitude lies in
    [1, 1000) ("" and scale 1 for units without prefixes or no finite data)."""
    if unit not in PREFIXABLE:
        return 1.0, unit
    v = np.abs(np.asarray(values, dtype=float))
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return 1.0, unit
    top = float(v.max())
    scale, prefix = _PREFIXES[0]
    for s, p in _PREFIXES:
        if top >= s * (1 - 1e-9):
            scale, prefix = s, p
    return scale, prefix + unit


def axis_text(label: str, unit: str) -> str:
    return f"{label} ({unit})" if unit else label


def scaled(values, unit: str) -> tuple[np.ndarray, float, str]:
    """(values / scale, scale, prefixed unit)."""
    scale, shown = prefix_for(values, unit)
    return np.asarray(values, dtype=float) / scale, scale, shown


def plain_ticks(ax) -> None:
    """No offset or scientific multiplier on the axes: the prefix already says it."""
    for axis in (ax.xaxis, ax.yaxis):
        formatter = axis.get_major_formatter()
        if hasattr(formatter, "set_useOffset"):
            formatter.set_useOffset(False)
        if hasattr(formatter, "set_scientific"):
            formatter.set_scientific(False)


def number_text(value: float, digits: int = 3) -> str:
    if not math.isfinite(value):
        return "—"
    text = f"{value:.{digits}g}"
    return text if "e" not in text else f"{value:.0f}"
