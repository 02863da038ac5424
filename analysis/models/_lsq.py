"""A lean least-squares fit that reports like lmfit.

lmfit spends most of a small fit in its own bookkeeping: on every model evaluation it
rebuilds a Parameters object, evaluates constraint expressions and converts between
bounded and internal values. On a 200-point loop that makes a fit about 9x slower than
``scipy.optimize.curve_fit`` for the same ~41 evaluations (PITFALLS.md). The fit helpers
of :mod:`labspin.analysis.models` therefore hand a vectorised model straight to MINPACK
(``scipy.optimize.leastsq``, the Levenberg-Marquardt code curve_fit uses, finite
differences taken inside MINPACK) and keep what lmfit gave them: named parameters with
starting values, fixed parameters, positive parameters (fitted as their logarithm, so no
bound is needed), the covariance (scaled by the reduced chi-square unless the errors are
absolute), the Jacobian at the optimum (for sandwich covariances), ``uncertainties``
numbers that keep the correlations, and a report in lmfit's layout. The lmfit ``Model``
classes stay the public, lmfit-compatible way to fit one of our lineshapes by hand.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import leastsq
from uncertainties import UFloat, correlated_values, ufloat

__all__ = ["LeastSquaresFit", "fit_least_squares"]


@dataclass
class LeastSquaresFit:
    """The result of :func:`fit_least_squares` (attribute names as lmfit's ModelResult)."""

    title: str
    values: dict[str, float]
    init: dict[str, float]
    var_names: list[str]
    covar: np.ndarray | None  # of the varied parameters, natural units
    jac: np.ndarray  # d(weighted residual)/d(varied parameter), natural units
    residual: np.ndarray  # weighted
    best_fit: np.ndarray
    nfev: int
    success: bool
    message: str
    scale_covar: bool
    ndata: int = field(init=False)
    nvarys: int = field(init=False)

    def __post_init__(self) -> None:
        self.ndata = int(self.residual.size)
        self.nvarys = len(self.var_names)

    @property
    def nfree(self) -> int:
        return self.ndata - self.nvarys

    @property
    def chisqr(self) -> float:
        return float(self.residual @ self.residual)

    @property
    def redchi(self) -> float:
        return self.chisqr / self.nfree if self.nfree > 0 else math.nan

    def stderr(self, name: str) -> float:
        if name not in self.var_names:
            return 0.0
        if self.covar is None:
            return math.nan
        i = self.var_names.index(name)
        return float(math.sqrt(max(self.covar[i, i], 0.0)))

    def ufloats(self, names: Iterable[str] | None = None) -> dict[str, UFloat | float]:
        """Parameters as ``uncertainties`` numbers with their covariance; fixed ones as
        plain floats, varied ones without a covariance with a NaN error."""
        names = list(self.values) if names is None else list(names)
        out: dict[str, UFloat | float] = {}
        if self.covar is not None and self.var_names and np.all(np.isfinite(self.covar)):
            got = correlated_values([self.values[n] for n in self.var_names], self.covar)
            out.update(zip(self.var_names, got, strict=True))
        for n in names:
            if n not in out:
                out[n] = ufloat(self.values[n], math.nan) if n in self.var_names \
                    else float(self.values[n])
        return {n: out[n] for n in names}

    def fit_report(self) -> str:
        """The fit in lmfit's report layout."""
        lines = ["[[Model]]", f"    {self.title}", "[[Fit Statistics]]",
                 "    # fitting method   = leastsq (MINPACK)",
                 f"    # function evals   = {self.nfev}",
                 f"    # data points      = {self.ndata}",
                 f"    # variables        = {self.nvarys}",
                 f"    chi-square         = {self.chisqr:.8g}",
                 f"    reduced chi-square = {self.redchi:.8g}", "[[Variables]]"]
        width = max((len(n) for n in self.values), default=1) + 1
        for name, value in self.values.items():
            head = f"    {name + ':':<{width}} {value: .8g}"
            if name in self.var_names:
                err = self.stderr(name)
                rel = f" ({100 * err / abs(value):.2f}%)" if value and math.isfinite(err) \
                    else ""
                lines.append(f"{head} +/- {err:.8g}{rel} (init = {self.init[name]:.8g})")
            else:
                lines.append(f"{head} (fixed)")
        if self.covar is not None and self.nvarys > 1:
            corr = []
            sd = np.sqrt(np.clip(np.diag(self.covar), 1e-300, None))
            c = self.covar / np.outer(sd, sd)
            for i in range(self.nvarys):
                for j in range(i + 1, self.nvarys):
                    if abs(c[i, j]) >= 0.1:
                        corr.append((abs(c[i, j]), self.var_names[i], self.var_names[j],
                                     c[i, j]))
            if corr:
                lines.append("[[Correlations]] (unreported correlations are < 0.100)")
                for _, a, b, value in sorted(corr, reverse=True):
                    lines.append(f"    C({a}, {b}) = {value:+.4f}")
        if not self.success:
            lines.append(f"[[Message]]\n    {self.message}")
        return "\n".join(lines)


def _covariance(jac: np.ndarray) -> np.ndarray | None:
    """inv(J^T J) through the SVD, as curve_fit does; None if J is rank-deficient."""
    if jac.size == 0:
        return None
    _, s, vt = np.linalg.svd(jac, full_matrices=False)
    if s.size == 0 or not np.all(np.isfinite(s)):
        return None
    tol = np.finfo(float).eps * max(jac.shape) * s[0]
    if np.any(s <= tol):
        return None
    return (vt.T / s**2) @ vt


def _jacobian(residual: Callable[[np.ndarray], np.ndarray], q: np.ndarray) -> np.ndarray:
    """Forward-difference Jacobian at ``q`` with MINPACK's step, sqrt(eps) |q_j|."""
    r0 = residual(q)
    jac = np.empty((r0.size, q.size))
    eps = math.sqrt(np.finfo(float).eps)
    for j in range(q.size):
        h = eps * max(abs(q[j]), 1e-8)
        shifted = q.copy()
        shifted[j] += h
        jac[:, j] = (residual(shifted) - r0) / h
    residual(q)  # leave the model's parameters at the optimum
    return jac


def fit_least_squares(model: Callable[..., np.ndarray], data: np.ndarray,
                      params: Mapping[str, float], *, vary: Iterable[str] | None = None,
                      positive: Iterable[str] = (), lower: Mapping[str, float] | None = None,
                      weights: np.ndarray | None = None,
                      scale_covar: bool = True, title: str = "",
                      max_nfev: int | None = None,
                      gradient: Callable[..., dict[str, np.ndarray] | np.ndarray] | None = None,
                      gradient_columns: Iterable[str] | None = None,
                      covariance: bool = True) -> LeastSquaresFit:
    """Least squares of ``model(**params) - data`` (times ``weights``).

    ``params`` gives every parameter with its starting value; ``vary`` names those that
    are fitted (default: all); parameters in ``positive`` are fitted as their logarithm
    and so stay above zero, those in ``lower`` (name -> bound) as bound + exp(q). The
    model takes the parameters as keywords (bind the independent variables first, e.g.
    with a lambda) and returns an array like ``data``. ``gradient``, called like the
    model, may give the model's derivatives {name: d model / d name}: MINPACK then takes
    them instead of finite differences (far fewer model evaluations); with
    ``gradient_columns`` it returns instead one 2-D array, a column per name given there
    (a compiled Jacobian, say). ``covariance=False``
    leaves the covariance to the caller (None here; a sandwich estimate, say).
    """
    names = list(params)
    init = {n: float(params[n]) for n in names}
    varied = names if vary is None else [n for n in names if n in set(vary)]
    floors = {n: 0.0 for n in positive}
    floors.update(lower or {})
    logged = [n in floors for n in varied]
    floor = np.array([floors.get(n, 0.0) for n in varied])
    for n in varied:
        if n in floors and not init[n] > floors[n]:
            raise ValueError(f"parameter {n} must start above {floors[n]!r}, got {init[n]!r}")
    data = np.asarray(data, dtype=float)
    w = None if weights is None else np.asarray(weights, dtype=float)
    current = dict(init)
    logged_arr = np.array(logged, dtype=bool)

    any_logged = bool(logged_arr.any())

    def natural(q: np.ndarray) -> np.ndarray:
        if not any_logged:
            return q
        out = q.copy()
        out[logged_arr] = floor[logged_arr] + np.exp(np.clip(q[logged_arr], -700, 700))
        return out

    def residual(q: np.ndarray) -> np.ndarray:
        current.update(zip(varied, natural(q).tolist(), strict=True))
        r = model(**current) - data
        return r if w is None else r * w

    q0 = np.array([math.log(init[n] - floors[n]) if is_log else init[n]
                   for n, is_log in zip(varied, logged, strict=True)])
    if varied:
        if data.size < len(varied):
            raise ValueError(f"{len(varied)} free parameters and only {data.size} points")
        columns = None if gradient_columns is None else list(gradient_columns)
        picked = None if columns is None else np.array([columns.index(n) for n in varied])

        def derivative(q: np.ndarray) -> np.ndarray:
            natural_q = natural(q)
            current.update(zip(varied, natural_q, strict=True))
            parts = gradient(**current)
            d = parts[:, picked] if picked is not None else \
                np.column_stack([parts[n] for n in varied])
            d = d * np.where(logged_arr, natural_q - floor, 1.0)  # d/dq of a logged one
            return d if w is None else d * w[:, None]

        with np.errstate(over="ignore", invalid="ignore"):  # trial steps may overflow
            q, _, info, message, ier = leastsq(
                residual, q0, Dfun=derivative if gradient is not None else None,
                full_output=True, maxfev=max_nfev or 200 * (len(varied) + 1))
        nfev, success, message = int(info["nfev"]), ier in (1, 2, 3, 4), str(message)
        if gradient is not None:
            jac_internal = derivative(q)
        else:
            jac_internal = _jacobian(residual, q)
            nfev += len(varied)
    else:
        q, jac_internal, nfev, success, message = q0, np.zeros((data.size, 0)), 0, True, ""
    values = natural(q)
    current.update(zip(varied, values, strict=True))
    best = np.asarray(model(**current), dtype=float)
    resid = best - data if w is None else (best - data) * w
    # chain rule back to natural units: d/dp = d/dq / (p - floor) for a logged parameter
    above = np.where(logged_arr, values - floor, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = np.asarray(jac_internal, dtype=float) / above
    jac[:, logged_arr & (above <= 0)] = 0.0
    covar = _covariance(jac) if covariance else None
    fit = LeastSquaresFit(title=title or getattr(model, "__name__", "model"),
                          values=dict(current), init=init, var_names=list(varied),
                          covar=covar, jac=jac, residual=resid, best_fit=best, nfev=nfev,
                          success=success and bool(np.all(np.isfinite(resid))),
                          message=message, scale_covar=scale_covar)
    if covar is not None and scale_covar and fit.nfree > 0:
        fit.covar = covar * fit.redchi
    return fit
