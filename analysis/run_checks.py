"""Checks of a whole run that no fit can make: a file cut short, infinite values, too few
rows, a loop branch that was never measured. Each only makes the row's verdict worse
(:func:`labspin.analysis.verdicts.worsen`).

The planned number of rows comes from the file's "Planned points" metadata (written by
labspin's procedures since this version) or, for older files, from the run parameters in
the header where they fix it unambiguously: the same arithmetic as the procedures'
``planned_points`` (``labspin.procedures``, not imported here: fitting runs without the
instrument stack).
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from labspin.analysis.loaders import RunData, describe_nonfinite
from labspin.analysis.verdicts import POOR, UNDETERMINED, worsen

__all__ = ["MIN_ROWS", "check_run", "planned_rows"]

#: per kind, fewer rows than this cannot give any quantity
MIN_ROWS = {"hall_loop": 8, "usmr_loop": 8, "switching_loop": 8, "harmonic_hall": 8,
            "switching_probability": 4, "pulse_sequence": 3}
_REPEAT = re.compile(r"\*\s*(\d+)\s*$")


def _int(run: RunData, label: str) -> int | None:
    value = run.parameters.get(label)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or value != int(value) or value < 0 or value > 1e9:
        return None
    return int(value)


def _positive(run: RunData, label: str) -> float | None:
    value = run.parameters.get(label)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) and value > 0 else None


def _items(run: RunData, label: str) -> list[str] | None:
    """The comma-separated items of a text parameter. The header parser reads a list of
    one ("2 ms", "+30 mA x 1 ms *5") as a number with a unit: put the text back."""
    value: Any = run.parameters.get(label)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        unit = run.units.get(label, "")
        value = f"{value:g} {unit}".strip()
    if not isinstance(value, str) or not value.strip():
        return None
    items = [t.strip() for t in value.split(",")]
    return items if all(items) else None


def _sweep_points(run: RunData) -> int | None:
    field_max, step = _positive(run, "Maximum field"), _positive(run, "Field step")
    if field_max is None or step is None or field_max / step > 1e7:
        return None
    return round(2 * field_max / step) + 1


def _from_parameters(run: RunData) -> int | None:
    """Planned rows from the run parameters (module doc), None when not unambiguous."""
    name = run.procedure
    if name in ("HallLoop", "USMRLoop"):
        loops, n = _int(run, "Loops"), _sweep_points(run)
        return 2 * loops * n if loops and n else None
    if name == "SwitchingLoop":
        steps, loops = _int(run, "Steps from zero to maximum"), _int(run, "Loops")
        return 4 * steps * loops + 1 if steps and loops else None
    if name == "SwitchingProbability":
        widths = _items(run, "Pulse widths")
        amplitudes, trials = _int(run, "Number of amplitudes"), _int(run, "Trials per point")
        return len(widths) * amplitudes * trials if widths and amplitudes and trials else None
    if name == "PulseSequence":
        items = _items(run, "Pulse sequence")
        if items is None:
            return None
        counts = [_REPEAT.search(item) for item in items]
        return 1 + sum(int(m.group(1)) if m else 1 for m in counts)
    if name == "HarmonicHall":
        mode = run.parameters.get("Mode")
        if mode == "angle scan":
            magnitudes = _items(run, "Field magnitudes (T)")
            step = _positive(run, "Angle step")
            if not magnitudes or step is None:
                return None
            n = round(360.0 / step)
            return len(magnitudes) * n if n >= 4 and abs(n * step - 360) < 1e-6 else None
        if mode == "field sweep":
            both, n = run.parameters.get("Sweep along y too"), _sweep_points(run)
            return (2 if both else 1) * n if isinstance(both, bool) and n else None
    return None


def planned_rows(run: RunData) -> int | None:
    """Rows the run was to write: the "Planned points" metadata, else from the run
    parameters where unambiguous (module doc); None when unknown."""
    value = run.metadata.get("Planned points")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return _from_parameters(run)


def _check_length(run: RunData, row: dict) -> None:
    rows = len(run.data)
    planned = planned_rows(run)
    if planned is None or rows >= planned:
        return
    share = 100.0 * rows / planned
    worsen(row, POOR, f"the file holds {share:.0f} % of its planned rows ({rows} of "
                      f"{planned}): the run stopped early")


def _check_branches(run: RunData, row: dict) -> None:
    """A loop's threshold must lie inside what its own branch swept: a file cut short
    may have no rising branch, or one that stops before the switch."""
    kind = row.get("kind")
    if kind in ("hall_loop", "usmr_loop"):
        xcol, names, unit = "Field (T)", ("b_c_plus", "b_c_minus"), "T"
    elif kind == "switching_loop":
        xcol, names, unit = "Pulse current (A)", ("i_c_plus", "i_c_minus"), "A"
    else:
        return
    data = run.data
    if not {xcol, "Branch"} <= set(data.columns):
        return
    x = data[xcol].to_numpy(dtype=float)
    branch = data["Branch"].to_numpy(dtype=float)
    if kind == "switching_loop" and "Loop" in data.columns:
        loops = data["Loop"].to_numpy(dtype=float)
        if np.isfinite(loops).any() and np.nanmax(loops) > 1:
            keep = loops == np.nanmax(loops)  # the batch fit takes the last loop
            x, branch = x[keep], branch[keep]
    from labspin.analysis.formatting import si

    for sign, name, what in ((1, names[0], "rising"), (-1, names[1], "falling")):
        sel = (branch == sign) & np.isfinite(x)
        if not sel.any():
            if name in row:
                worsen(row, POOR, f"{name}: the {what} branch was not measured", [name])
            continue
        try:
            value = float(row.get(name))
        except (TypeError, ValueError):
            continue
        if not math.isfinite(value):
            continue
        low, high = float(x[sel].min()), float(x[sel].max())
        if not low <= value <= high:
            worsen(row, POOR, f"{name}: threshold {si(value, unit)} outside what the "
                              f"{what} branch swept ({si(low, unit)} to {si(high, unit)})",
                   [name])


def check_run(run: RunData, row: dict) -> dict:
    """Apply the run-level checks to a summary row (verdict keys present); returns it."""
    kind = row.get("kind")
    minimum = MIN_ROWS.get(str(kind))
    if minimum is not None and len(run.data) < minimum:
        worsen(row, UNDETERMINED, f"the file holds {len(run.data)} data row(s); a "
                                  f"{str(kind).replace('_', ' ')} needs at least {minimum}")
    _check_length(run, row)
    if run.nonfinite:
        for text in describe_nonfinite(run.nonfinite):
            worsen(row, POOR, text)
    if row.get("fitted"):
        _check_branches(run, row)
    return row
