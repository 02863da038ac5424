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
