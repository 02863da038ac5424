"""The Neel temperature of the AFMI from a fitted quantity against temperature.

What is measurable (docs/physics-notes.md, "Which peak is T_N"): the AFMI absorbs spin
current best at its Neel temperature, where the dynamical susceptibility of its order
parameter peaks (Qiu et al., Nat. Commun. 7, 12670 (2016), CoO; Frangou et al., PRL 116,
077203 (2016), IrMn). A torque measured against temperature (B_DL per ampere or xi_DL
from harmonic Hall) carries that critical peak on top of slower dependences: the thermal
magnon hump of the AFMI, and the FM's own M_s(T), resistivity, spin diffusion length and
spin Hall angle. The raw maximum of the torque therefore sits a few kelvin to tens of
kelvin away from T_N, by the slope of that background times the square of the peak
width. The estimator here models the background instead of ignoring it:

    Q(T) = background + slope x + curvature x^2 + amplitude / (1 + (x / width)^2),
    x = T - T_N,

a Lorentzian critical peak centred at T_N on a smooth (quadratic) background; with fewer
than ``QUADRATIC_MIN_POINTS`` temperatures the background is linear (curvature fixed at
0). On the simulated bench the centre lies within about 3 K of the model's film T_N for
peak widths of 25-40 K (tests/analysis/test_neel.py, tests/procedures/test_neel_series.py).

Sampling it needs: temperatures on both sides of T_N, at least 2 widths either way, at
steps of about half the width or finer. Switching currents are a poor estimator: the bar
is tens of kelvin hotter during each pulse than the stage (Joule heating), so their
extremum lies below T_N by about that much.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from lmfit import Model
from lmfit.models import update_param_vals

from labspin.analysis.models._common import (
    DataError,
    as_array,
    check_fit,
    correlated,
    same_length,
    summarize,
)

__all__ = ["NeelCriticalPeakModel", "fit_neel_temperature", "neel_critical_peak"]

#: with fewer temperatures the background is linear
QUADRATIC_MIN_POINTS = 9
#: the narrowest and widest critical peak considered, K (guess grid and bounds)
MIN_WIDTH, MAX_WIDTH_FRACTION = 2.0, 1.0


def neel_critical_peak(temperature, t_neel, width, amplitude, background=0.0, slope=0.0,
                       curvature=0.0):
    """background + slope x + curvature x^2 + amplitude / (1 + (x / width)^2), x = T - T_N."""
    x = np.asarray(temperature, dtype=float) - t_neel
    return background + slope * x + curvature * x**2 + amplitude / (1.0 + (x / width) ** 2)


def _design(t: np.ndarray, t_neel: float, width: float, quadratic: bool) -> np.ndarray:
    x = t - t_neel
    columns = [np.ones_like(x), x] + ([x**2] if quadratic else [])
    return np.column_stack([*columns, 1.0 / (1.0 + (x / width) ** 2)])


class NeelCriticalPeakModel(Model):
    """Q(T): free ``t_neel`` (K), ``width`` (K), ``amplitude``, ``background``, ``slope``
    and ``curvature`` (fixed at 0 for a linear background)."""

    def __init__(self, independent_vars=("temperature",), prefix="", nan_policy="raise",
                 quadratic: bool = True, **kwargs):
        kwargs.update({"prefix": prefix, "nan_policy": nan_policy,
                       "independent_vars": list(independent_vars)})
        super().__init__(neel_critical_peak, **kwargs)
        self.quadratic = quadratic
        self.set_param_hint("width", min=MIN_WIDTH / 2)
        if not quadratic:
            self.set_param_hint("curvature", value=0.0, vary=False)

    def guess(self, data, temperature, weights=None, **kwargs):
        """Variable projection on a grid: for each (T_N, width) the linear parameters by
        weighted least squares; the best pair starts the non-linear fit. T_N runs over
        the measured range, the width from 2 K to the range."""
        t, q = as_array(temperature, "temperature"), as_array(data, "data")
        w = np.ones_like(q) if weights is None else np.asarray(weights, dtype=float)
        span = float(np.ptp(t))
        best = None
        for width in np.geomspace(MIN_WIDTH, max(MAX_WIDTH_FRACTION * span, 2 * MIN_WIDTH),
                                  30):
            for t_neel in np.linspace(t.min(), t.max(), min(int(span) + 1, 301)):
                a = _design(t, t_neel, width, self.quadratic)
                coef, *_ = np.linalg.lstsq(a * w[:, None], q * w, rcond=None)
                cost = float(np.sum(((a @ coef - q) * w) ** 2))
                if best is None or cost < best[0]:
                    best = (cost, t_neel, width, coef)
        _, t_neel, width, coef = best
        values = {"t_neel": t_neel, "width": width, "amplitude": coef[-1],
                  "background": coef[0], "slope": coef[1],
                  "curvature": coef[2] if self.quadratic else 0.0}
        pars = self.make_params(**values)
        pars["t_neel"].set(min=float(t.min()), max=float(t.max()))
        pars["width"].set(max=max(2 * span, 4 * MIN_WIDTH))
        return update_param_vals(pars, self.prefix, **kwargs)


#: the peak must lower chi-square by this much against the background alone (3 more
#: parameters; 16.3 is the 0.1 % tail of chi-square with 3 degrees of freedom)
PEAK_SIGNIFICANCE = 16.3


def _background_chi2(t: np.ndarray, q: np.ndarray, weights: np.ndarray | None,
                     quadratic: bool, scale: float) -> float:
    """Chi-square of the background alone (no peak), in units of the fit's errors."""
    w = np.ones_like(q) if weights is None else weights
    columns = [np.ones_like(t), t - t.mean()] + ([(t - t.mean()) ** 2] if quadratic else [])
    a = np.column_stack(columns)
    coef, *_ = np.linalg.lstsq(a * w[:, None], q * w, rcond=None)
    return float(np.sum(((a @ coef - q) * w) ** 2)) / scale


def _verdict(out: dict, t: np.ndarray, peak_chi2_gain: float) -> None:
    """ok / poor / not determined (the fit-verdict interface of the analysis)."""
    reasons, level = [], "ok"
    t_n, err = out["t_neel"], out["t_neel_stderr"]
    steps = np.diff(np.unique(t))
    step = float(np.median(steps)) if steps.size else math.inf
    if peak_chi2_gain < PEAK_SIGNIFICANCE:
        level = "not determined"
        reasons.append(f"t_neel: no critical peak stands out of the background (chi-square "
                       f"falls by {peak_chi2_gain:.3g} with it, {PEAK_SIGNIFICANCE} needed); "
                       "measure across T_N, closer or with smaller errors")
    elif not math.isfinite(err) or err > 0.25 * float(np.ptp(t)):
        level = "not determined"
        reasons.append(f"t_neel: sigma {err:.3g} K is comparable to the range measured")
    elif min(t_n - t.min(), t.max() - t_n) < step:
        level = "not determined"
        reasons.append(f"t_neel: the peak at {t_n:.4g} K is at the edge of the range "
                       f"{t.min():.4g}..{t.max():.4g} K; measure beyond it")
    elif out["width"] >= 0.99 * max(2 * float(np.ptp(t)), 4 * MIN_WIDTH):
        level = "poor"
        reasons.append(f"width: at its upper bound ({out['width']:.3g} K): no critical peak "
                       "is resolved, t_neel is the top of a broad hump")
    elif out["width"] < step / 2:
        level = "poor"
        reasons.append(f"width: the peak ({out['width']:.3g} K) is narrower than half the "
                       f"temperature step ({step:.3g} K); measure closer to T_N")
    out["verdict"] = level
    out["verdict_reason"] = "; ".join(reasons)
    out["undetermined"] = "t_neel" if level == "not determined" else ""
    if level == "not determined":
        out["t_neel"] = out["t_neel_stderr"] = math.nan


def fit_neel_temperature(table: pd.DataFrame, *, parameter: str, quantity: str,
                         weighted: bool = True) -> dict:
    """Fit :func:`neel_critical_peak` to a series table (``parameter`` in K, ``quantity``
    with its ``_stderr`` column). With ``weighted`` and finite errors they are absolute;
    otherwise the errors come from the scatter about the fit. Returns t_neel, width,
    amplitude, background, slope, curvature with ``_stderr``, the fit-verdict keys and
    ``background_order`` (1 or 2)."""
    t = as_array(table[parameter], parameter)
    q = as_array(table[quantity], quantity)
    same_length(temperature=t, quantity=q)
    quadratic = t.size >= QUADRATIC_MIN_POINTS
    model = NeelCriticalPeakModel(quadratic=quadratic)
    n_free = 6 if quadratic else 5
    if t.size <= n_free:
        raise DataError(f"a Neel fit has {n_free} free parameters and needs more than "
                        f"{t.size} temperatures: measure at least {n_free + 1}, on both "
                        "sides of T_N, at steps of about half the peak width")
    err = table.get(f"{quantity}_stderr")
    use_err = weighted and err is not None and bool(np.all(np.isfinite(err) & (err > 0)))
    weights = 1.0 / err.to_numpy(float) if use_err else None
    params = model.guess(q, temperature=t, weights=weights)
    result = model.fit(q, params, temperature=t, weights=weights, scale_covar=not use_err)
    check_fit(result, "Neel critical peak")
    names = ["t_neel", "width", "amplitude", "background", "slope"] + (
        ["curvature"] if quadratic else [])
    out = summarize(correlated(result, names), [result], trend="neel_critical_peak",
                    background_order=2 if quadratic else 1)
    # chi-square in units of the errors: absolute ones, or the scatter about the fit
    scale = 1.0 if use_err else max(float(result.redchi), 1e-300)
    gain = _background_chi2(t, q, weights, quadratic, scale) - float(result.chisqr) / scale
    out["peak_chi2_gain"] = gain
    _verdict(out, t, gain)
    return out
