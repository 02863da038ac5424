"""Units of the columns of a fit summary (``labspin fit --out``, ``labspin report``).

The column names stay as they are (second stages, the GUI, the correlation and users'
scripts read them); the units travel beside them:

* JSON: every record gets a ``units`` object, column -> unit, for its own quantities (a
  ``sweep_step`` is in A for a switching loop, in T for a field loop);
* CSV: a sidecar ``<name>.units.csv`` next to the summary with the columns ``column``,
  ``kind`` and ``unit``, one line per quantity column and kind of run in the summary.

Units are ASCII as in the run files' headers (ohm, A/m^2); "" is a dimensionless
number. Header columns carry their unit in their name already (``param: Pulse width
(s)``); the leading columns (file, verdict, ...) are text.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from labspin.analysis.formatting import unit_of

__all__ = ["column_units", "units_path", "write_summary"]

#: the swept variable (x) and the signal (y) of each kind of loop
_AXES = {"hall_loop": ("T", "Ω"), "usmr_loop": ("T", "Ω"), "switching_loop": ("A", "Ω")}
#: loop quantities by what they are measured in: x, y, y per x, or none
_LOOP = {"sweep_step": "x", "width_up": "x", "width_down": "x", "b_c_plus": "x",
         "b_c_minus": "x", "i_c_plus": "x", "i_c_minus": "x", "i_c": "x", "i_c_shift": "x",
         "exchange_bias": "x", "coercivity": "x", "step": "y", "half_step": "y",
         "level_high": "y", "level_low": "y", "offset": "y", "read_noise": "y",
         "slope": "y/x", "r_ahe": "y", "r_ohe": "y/x", "reversing_regions": "",
         "squareness": "", "switching_ratio": "", "redchi": ""}
_LEADING = {"file", "procedure", "kind", "fitted", "verdict", "verdict_reason",
            "undetermined", "error", "note", "shape", "readout", "energy_basis", "success"}


_ASCII = {"Ω": "ohm", "²": "^2", "μ": "u", "µ": "u", "°": "deg"}


def _ascii(unit: str) -> str:
    for a, b in _ASCII.items():
        unit = unit.replace(a, b)
    return unit


def _unit(kind: str, name: str) -> str | None:
    unit = _any_unit(kind, name)
    return None if unit is None else _ascii(unit)


def _any_unit(kind: str, name: str) -> str | None:
    """The unit of quantity ``name`` of a run of ``kind``; None when not a quantity."""
    if name in _LEADING or name.startswith(("param: ", "meta: ")):
        return None
    base = name.removesuffix("_stderr")
    if kind in _AXES and base in _LOOP:
        x, y = _AXES[kind]
        return {"x": x, "y": y, "y/x": f"{y}/{x}", "": ""}[_LOOP[base]]
    if base in ("j_c_plus", "j_c_minus"):
        return "A/m²"
    return unit_of(kind, base)


def column_units(summary: pd.DataFrame) -> dict[str, dict[str, str]]:
    """kind -> {column: unit} for the quantity columns each kind of run fills."""
    out: dict[str, dict[str, str]] = {}
    if summary.empty or "kind" not in summary.columns:
        return out
    for kind, rows in summary.groupby("kind", sort=True):
        units = {}
        for column in rows.columns:
            if not rows[column].notna().any():
                continue
            unit = _unit(str(kind), str(column))
            if unit is not None:
                units[str(column)] = unit
        out[str(kind)] = units
    return out


def units_path(out: str | Path) -> Path:
    """The units sidecar of a CSV summary: ``summary.csv`` -> ``summary.units.csv``."""
    out = Path(out)
    return out.with_name(f"{out.stem}.units.csv")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_summary(summary: pd.DataFrame, out: str | Path) -> Path | None:
    """Write the summary as JSON (``.json``; undetermined quantities are null, each record
    with its ``units``) or CSV (empty cells) with the units sidecar, whose path is
    returned (None for JSON). OSError propagates."""
    out = Path(out)
    units = column_units(summary)
    if out.suffix.lower() == ".json":
        records = json.loads(summary.to_json(orient="records", double_precision=15,
                                             default_handler=str))
        for record in records:
            kind = str(record.get("kind"))
            record["units"] = {c: u for c, u in units.get(kind, {}).items()
                               if _clean(record.get(c)) is not None}
        out.write_text(json.dumps(records, indent=1, ensure_ascii=False), encoding="utf-8")
        return None
    summary.to_csv(out, index=False)
    sidecar = units_path(out)
    lines = [{"column": c, "kind": k, "unit": u} for k, table in units.items()
             for c, u in table.items()]
    pd.DataFrame(lines, columns=["column", "kind", "unit"]).to_csv(sidecar, index=False)
    return sidecar
