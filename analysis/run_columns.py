"""Shared by the per-kind batch fitters: reading columns of a saved run, and the one
exception that says "known kind, but not fittable as saved" (not a fit failure)."""

from __future__ import annotations

import numpy as np

from labspin.analysis.loaders import RunData
from labspin.analysis.models._common import DataError


class SkipRun(Exception):
    """The run is of a known kind but cannot be fitted as saved (not a fit failure)."""


def column(run: RunData, name: str) -> np.ndarray:
    if name not in run.data.columns:
        raise DataError(f"the file has no column {name!r}")
    return run.data[name].to_numpy(dtype=float)


def finite(*arrays: np.ndarray) -> list[np.ndarray]:
    keep = np.all([np.isfinite(a) for a in arrays], axis=0)
    if np.count_nonzero(keep) == 0:
        raise DataError("no finite data points")
    return [a[keep] for a in arrays]


def flat(result: dict) -> dict:
    """Fit dict without the (long, multi-line) lmfit report."""
    return {k: v for k, v in result.items() if k != "report"}


def missing_rows_note(run: RunData, names: tuple[str, ...], rows=None) -> str:
    """A note naming the file lines (counted as an editor does) of the rows among ``rows``
    (a boolean mask, default all) where any of the columns ``names`` is NaN (a missing
    value; infinite values are said by the run checks), which a fit leaves out; "" when
    there are none."""
    mask = np.zeros(len(run.data), dtype=bool)
    for name in names:
        if name in run.data.columns:
            mask |= np.isnan(run.data[name].to_numpy(dtype=float))
    if rows is not None:
        mask &= np.asarray(rows, dtype=bool)
    lines = [run.first_data_line + int(i) for i in np.flatnonzero(mask)]
    if not lines:
        return ""
    shown = ", ".join(str(n) for n in lines[:5]) + (", ..." if len(lines) > 5 else "")
    what = "a row" if len(lines) == 1 else f"{len(lines)} rows"
    columns = ", ".join(repr(n) for n in names)
    return (f"{what} with a missing value (nan) in {columns} left out of the fit "
            f"(line{'s' if len(lines) > 1 else ''} {shown}); the thresholds' errors use "
            "the actual spacing of the points left")
