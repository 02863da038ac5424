"""Shared plumbing of the fit models: errors, correlated uncertainties, result dicts.

Every family returns its fitted and derived quantities as a plain dict
``{"name": value, "name_stderr": err, ..., "report": lmfit fit report}`` so a batch
fitter can put many runs in one table. Derived quantities carry the fit covariance
through ``uncertainties`` (a dependency of lmfit itself), never a hand-rolled
quadrature sum that would drop the correlations.

Every result also carries a verdict (VERDICT.md in the design notes): ``verdict`` ("ok",
"poor" or "not determined"), ``verdict_reason`` (why, per quantity, joined by "; ") and
``undetermined`` (comma-separated names whose value and ``_stderr`` are NaN). The fit
families judge their own results with the checks below; anything later (a run-level
check of a truncated file) may only make a verdict worse, through :func:`worsen`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
from lmfit.model import ModelResult
from uncertainties import UFloat, correlated_values, ufloat

from labspin.analysis.models._lsq import LeastSquaresFit


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


def correlated(result: ModelResult | LeastSquaresFit,
               names: Iterable[str] | None = None) -> dict[str, UFloat | float]:
    """Fitted parameters as ``uncertainties`` numbers that keep their covariance.

    Fixed parameters come out as plain floats; if the fit could not estimate a covariance
    (the fit sits on a bound or the problem is degenerate) the errors are NaN rather than
    zero.
    """
    if isinstance(result, LeastSquaresFit):
        return result.ufloats(names)
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


def check_fit(result, what: str):
    """Raise :class:`FitError` when lmfit reports failure, naming the fit."""
    if not result.success:
        raise FitError(f"the {what} fit did not converge: {result.message}; check the "
                       "data range and the starting values (model.guess)")
    return result


# -- verdicts (the fit verdict interface, /work/shared/design VERDICT.md) ---------------------

OK, POOR, NOT_DETERMINED = "ok", "poor", "not determined"
#: the verdicts from best to worst; a verdict can only move to the right
VERDICTS = (OK, POOR, NOT_DETERMINED)


def _names(text) -> list[str]:
    return [n for n in text.split(",") if n] if isinstance(text, str) else []


def _reasons(text) -> list[str]:
    return [r for r in text.split("; ") if r] if isinstance(text, str) else []


def quantity_names(result: Mapping) -> list[str]:
    """The quantities of a result: every key with a ``<key>_stderr`` partner."""
    return [k for k in result if not k.endswith("_stderr") and f"{k}_stderr" in result]


def with_verdict(result: dict) -> dict:
    """Give ``result`` the three verdict keys (``ok``, no reason, nothing undetermined)
    unless it has them; returns the same dict."""
    if result.get("verdict") not in VERDICTS:
        result["verdict"] = OK
    if not isinstance(result.get("verdict_reason"), str):
        result["verdict_reason"] = ""
    if not isinstance(result.get("undetermined"), str):
        result["undetermined"] = ""
    return result


def worsen(result: dict, level: str, reason: str, quantities: Iterable[str] = ()) -> dict:
    """Make the verdict of a fit result (or batch row) at least ``level``, never better.

    ``reason`` names the quantity and the cause ("i_c_minus: threshold -123 mA outside
    the swept range -40..40 mA") and is appended to ``verdict_reason`` (joined by "; ",
    not repeated). ``quantities`` are not determined: they join ``undetermined`` and
    their value and ``_stderr`` become NaN, so nothing can print them with an error bar.
    With ``level`` "not determined" every quantity of the result (each key with a
    ``_stderr``) is not determined, as well as those named; to leave a number out but
    keep the others, pass level "poor" with its name. Returns the same dict.
    """
    if level not in VERDICTS:
        raise ValueError(f"verdict level must be one of {VERDICTS}, got {level!r}")
    with_verdict(result)
    if VERDICTS.index(level) > VERDICTS.index(result["verdict"]):
        result["verdict"] = level
    reasons = _reasons(result["verdict_reason"])
    if reason and reason not in reasons:
        reasons.append(reason)
    result["verdict_reason"] = "; ".join(reasons)
    names = list(quantities)
    if level == NOT_DETERMINED:
        names += quantity_names(result)
    undetermined = _names(result["undetermined"])
    for name in names:
        if name not in undetermined:
            undetermined.append(name)
        for key in (name, f"{name}_stderr"):
            if key in result:
                result[key] = math.nan
    result["undetermined"] = ",".join(undetermined)
    return result


def sigma_check(result: dict, names: Iterable[str], *, poor_fraction: float = 0.3,
                may_be_zero: Iterable[str] = (), units: Mapping[str, str] | None = None,
                also: Mapping[str, Iterable[str]] | None = None) -> dict:
    """Judge each quantity by its relative error: a sigma that could not be estimated or
    is as large as the value leaves it not determined (with the quantities derived from
    it, ``also[name]``); above ``poor_fraction`` of the value it is poor. Quantities in
    ``may_be_zero`` (a torque of a control sample, an exchange bias) are only called
    poor when their sigma exceeds them: "consistent with zero" is a result."""
    from labspin.analysis.formatting import si

    units = units or {}
    also = also or {}
    zero_ok = set(may_be_zero)
    for name in names:
        if name not in result or name in _names(result.get("undetermined")):
            continue
        value, err = float(result[name]), float(result.get(f"{name}_stderr", math.nan))
        unit = units.get(name, "")
        shown = f"{si(value, unit)} ± {si(err, unit, 2)}" if math.isfinite(err) else \
            si(value, unit)
        if not math.isfinite(value) or not math.isfinite(err):
            worsen(result, POOR, f"{name}: its uncertainty could not be estimated ({shown})",
                   [name, *also.get(name, ())])
        elif name in zero_ok:
            if err >= abs(value):
                worsen(result, POOR, f"{name}: {shown} is consistent with zero")
        elif err >= abs(value):
            worsen(result, POOR, f"{name}: sigma {si(err, unit, 2)} is as large as the "
                   f"value {si(value, unit)}", [name, *also.get(name, ())])
        elif err > poor_fraction * abs(value):
            worsen(result, POOR, f"{name}: sigma is {100 * err / abs(value):.0f} % of the "
                   f"value ({shown})")
    return result


def redchi_check(result: dict, redchi: float, dof: int, what: str = "") -> dict:
    """Poor when the reduced chi-square of a fit with absolute errors is far from 1: more
    than 5 standard deviations of its distribution (sqrt(2/dof)) and a factor 2 away."""
    if dof <= 0 or not math.isfinite(redchi):
        return result
    band = 5.0 * math.sqrt(2.0 / dof)
    label = f"{what} reduced chi-square" if what else "reduced chi-square"
    if redchi > max(2.0, 1.0 + band):
        worsen(result, POOR, f"{label} {redchi:.3g} (expected about 1): the model does "
               "not describe the data within their noise")
    elif redchi < min(0.5, 1.0 - band):
        worsen(result, POOR, f"{label} {redchi:.3g} (expected about 1): the given noise "
               "is larger than the scatter of the data")
    return result


def bounds_check(result: dict, values: Mapping[str, float],
                 bounds: Mapping[str, tuple[float, float]], what: str = "") -> dict:
    """Poor when a fitted parameter ends on (within 1e-6 of) one of its ``bounds``
    (name -> (low, high)): its value and error are then not those of a free fit."""
    for name, (low, high) in bounds.items():
        if name not in values:
            continue
        value = float(values[name])
        span = max(abs(value), abs(low) if math.isfinite(low) else 0.0,
                   abs(high) if math.isfinite(high) else 0.0, 1e-300)
        for bound, side in ((low, "lower"), (high, "upper")):
            if math.isfinite(bound) and abs(value - bound) <= 1e-6 * span:
                where = f"{what} " if what else ""
                worsen(result, POOR, f"{where}parameter {name} is at its {side} bound "
                       f"({bound:.4g}): its value and error are not from a free fit")
    return result


def range_check(result: dict, name: str, low: float, high: float, unit: str = "",
                also: Iterable[str] = ()) -> dict:
    """Not determined (``name`` and ``also``) when a fitted threshold lies outside the
    range swept, [low, high]: the data cannot place it there."""
    from labspin.analysis.formatting import si

    value = result.get(name)
    if value is None or not math.isfinite(float(value)):
        return result
    if not (low <= float(value) <= high):
        worsen(result, POOR, f"{name}: threshold {si(float(value), unit)} outside the swept "
               f"range {si(low, unit)}..{si(high, unit)}", [name, *also])
    return result


def escalate(result: dict, headline: Iterable[str], reason: str = "") -> dict:
    """Not determined when every headline quantity is (nothing of this kind is left to
    quote); ``reason`` is added when given."""
    headline = [h for h in headline if h in result]
    undetermined = set(_names(result.get("undetermined")))
    if headline and all(h in undetermined for h in headline):
        worsen(result, NOT_DETERMINED, reason)
    return result
