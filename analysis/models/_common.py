"""Shared plumbing of the fit models: errors, correlated uncertainties, result dicts.

Every family returns its fitted and derived quantities as a plain dict
``{"name": value, "name_stderr": err, ..., "report": lmfit fit report}`` so a batch
fitter can put many runs in one table. Derived quantities carry the fit covariance
through ``uncertainties`` (a dependency of lmfit itself), never a hand-rolled
quadrature sum that would drop the correlations.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
from lmfit.model import ModelResult
from uncertainties import UFloat, correlated_values, ufloat


class FitError(RuntimeError):
    """A fit could not be done or did not converge; the message says what to check."""


class DataError(ValueError):
    """The data cannot be fitted as given (too few points, wrong shapes, no step)."""


def as_array(values, name: str) -> np.ndarray:
    """A finite 1-D float array, or a :class:`DataError` naming the argument."""
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size == 0:
        raise DataError(f"{name} is empty")
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name} contains NaN or infinite values; drop or mask them first")
    return arr


def same_length(**arrays: np.ndarray) -> None:
    sizes = {name: a.size for name, a in arrays.items()}
    if len(set(sizes.values())) > 1:
        raise DataError(f"arrays must have the same length, got {sizes}")


def weights_from_sigma(sigma, n: int) -> np.ndarray | None:
    """lmfit weights 1/sigma from a scalar or per-point noise level (None: unweighted)."""
    if sigma is None:
        return None
    s = np.broadcast_to(np.asarray(sigma, dtype=float), (n,))
    if np.any(~np.isfinite(s)) or np.any(s <= 0):
        raise DataError("sigma must be positive and finite")
    return 1.0 / s


def correlated(result: ModelResult,
               names: Iterable[str] | None = None) -> dict[str, UFloat | float]:
    """Fitted parameters as ``uncertainties`` numbers that keep their covariance.

    Fixed parameters come out as plain floats; if lmfit could not estimate a covariance (the fit
    sits on a bound or the problem is degenerate) the errors are NaN rather than zero.
    """
    params = result.params
    names = list(params) if names is None else list(names)
    varied = [n for n in result.var_names if n in params]
    out: dict[str, UFloat] = {}
    if result.covar is not None and varied:
        values = correlated_values([params[n].value for n in varied], result.covar)
        out.update(dict(zip(varied, values, strict=True)))
    for n in names:
        if n not in out:
            p = params[n]
            # a fixed parameter is an exact float (a zero-error ufloat makes
            # uncertainties warn); a varied one without covariance has a NaN error
            out[n] = float(p.value) if not p.vary else ufloat(p.value, math.nan)
    return {n: out[n] for n in names}


def nominal(x) -> float:
    return float(x.nominal_value) if isinstance(x, UFloat) else float(x)


def std(x) -> float:
    return float(x.std_dev) if isinstance(x, UFloat) else 0.0


def summarize(quantities: Mapping[str, object], results: Iterable[ModelResult] = (),
              **extra) -> dict:
    """Plain result dict: each quantity and its ``_stderr``, then ``redchi`` (the largest
    reduced chi-square when several fits contribute), ``success`` and the lmfit
    report(s) under ``"report"``."""
    out: dict = {}
    for name, value in quantities.items():
        out[name] = nominal(value)
        out[f"{name}_stderr"] = std(value)
    results = list(results)
    if results:
        out["redchi"] = max(float(r.redchi) for r in results)  # the worst of the fits
        out["success"] = all(bool(r.success) for r in results)
        out["report"] = "\n\n".join(r.fit_report() for r in results)
    out.update(extra)
    return out


def check_fit(result: ModelResult, what: str) -> ModelResult:
    """Raise :class:`FitError` when lmfit reports failure, naming the fit."""
    if not result.success:
        raise FitError(f"the {what} fit did not converge: {result.message}; check the "
                       "data range and the starting values (model.guess)")
    return result
