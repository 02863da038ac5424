"""A fitted quantity across runs: against temperature, AFMI thickness or any run parameter.

Tidy tables (one row per run: parameter, value, stderr) and two optional fits for the
trends PHYSICS.md expects of a magnon spin sink:

* thickness saturation Q(t) = Q_inf (1 - exp(-(t - t_0) / l)): the absorption of an AFMI
  saturates over a magnon length (t_0 a dead layer, fixed at 0 unless freed);
* a peak near the Neel temperature, Q(T) = floor + amplitude [tau exp(1 - tau)]^p with
  tau = T / T_peak, the phenomenological magnon-absorption profile of labspin.physics
  (maximal at T = T_peak; Qiu et al., Nat. Commun. 7, 12670 (2016) for CoO).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from lmfit import Model
from lmfit.models import update_param_vals

from labspin.analysis.models._common import (
    DataError,
    as_array,
    bounds_check,
    check_fit,
    correlated,
    redchi_check,
    same_length,
    sigma_check,
    summarize,
    with_verdict,
)


def series_table(runs: Iterable[tuple[float, Mapping]], quantity: str,
                 parameter: str = "parameter") -> pd.DataFrame:
    """Table of ``quantity`` (and its ``_stderr``) from fit-result dicts, one per run.

    ``runs`` yields (parameter value, result dict) pairs, e.g. (temperature, the dict of
    :func:`labspin.analysis.models.harmonic.fit_avci_field_dependence`). Sorted by the
    parameter; columns ``parameter``, ``quantity``, ``quantity_stderr``.
    """
    rows = []
    for value, result in runs:
        if quantity not in result:
            raise DataError(f"a run at {parameter}={value!r} has no {quantity!r}; "
                            f"it has {sorted(k for k in result if not k.endswith('_stderr'))}")
        rows.append({parameter: float(value), quantity: float(result[quantity]),
                     f"{quantity}_stderr": float(result.get(f"{quantity}_stderr", np.nan))})
    if not rows:
        raise DataError("no runs given")
    return pd.DataFrame(rows).sort_values(parameter, ignore_index=True)


def thickness_saturation(thickness, q_inf, length, t_0=0.0):
    """Q(t) = Q_inf (1 - exp(-(t - t_0) / l)), zero below the dead layer t_0."""
    t = np.asarray(thickness, dtype=float)
    return q_inf * -np.expm1(-np.clip(t - t_0, 0.0, None) / length)


def neel_peak(temperature, amplitude, t_peak, exponent=2.0, floor=0.0):
    """floor + amplitude [tau exp(1 - tau)]^p, tau = T / T_peak: maximal at T_peak."""
    tau = np.clip(np.asarray(temperature, dtype=float) / t_peak, 0.0, None)
    return floor + amplitude * (tau * np.exp(1.0 - tau)) ** exponent


class ThicknessSaturationModel(Model):
    """Q(t): free ``q_inf`` and ``length``; ``t_0`` fixed at zero unless freed."""

    def __init__(self, independent_vars=("thickness",), prefix="", nan_policy="raise",
                 **kwargs):
        kwargs.update({"prefix": prefix, "nan_policy": nan_policy,
                       "independent_vars": list(independent_vars)})
        super().__init__(thickness_saturation, **kwargs)
        self.set_param_hint("length", min=0.0)
        self.set_param_hint("t_0", value=0.0, vary=False)

    def guess(self, data, thickness, **kwargs):
        """Q_inf from the thickest films, l where Q reaches 1 - 1/e of it."""
        t, q = as_array(thickness, "thickness"), as_array(data, "data")
        order = np.argsort(t)
        t, q = t[order], q[order]
        q_inf = float(np.mean(q[-max(1, t.size // 5):]))
        frac = np.clip(q / q_inf, 0.0, 0.999) if q_inf else np.zeros_like(q)
        below = t[frac < 1 - np.exp(-1.0)]
        length = float(below[-1]) if below.size else float(t[0])
        length = max(length, 1e-3 * float(np.ptp(t)), 1e-300)
        pars = self.make_params(q_inf=q_inf, length=length, t_0=0.0)
        return update_param_vals(pars, self.prefix, **kwargs)


class NeelPeakModel(Model):
    """Q(T): free ``amplitude``, ``t_peak`` (K), ``exponent`` and ``floor``."""

    def __init__(self, independent_vars=("temperature",), prefix="", nan_policy="raise",
                 **kwargs):
        kwargs.update({"prefix": prefix, "nan_policy": nan_policy,
                       "independent_vars": list(independent_vars)})
        super().__init__(neel_peak, **kwargs)
        self.set_param_hint("t_peak", min=0.0)
        self.set_param_hint("exponent", min=0.05, max=50.0)

    def guess(self, data, temperature, **kwargs):
        """Peak at the extreme of |Q - edge|, floor from the edges, p = 2."""
        t, q = as_array(temperature, "temperature"), as_array(data, "data")
        edges = q[np.argsort(t)][[0, -1]]
        i = int(np.argmax(np.abs(q - np.mean(edges))))
        floor = float(np.min(edges) if q[i] > np.mean(edges) else np.max(edges))
        pars = self.make_params(amplitude=float(q[i] - floor), t_peak=float(t[i]),
                                exponent=2.0, floor=floor)
        return update_param_vals(pars, self.prefix, **kwargs)


_TRENDS = {"thickness_saturation": ThicknessSaturationModel, "neel_peak": NeelPeakModel}


def fit_series(table: pd.DataFrame, trend: str, *, parameter: str, quantity: str,
               weighted: bool = True, **param_values) -> dict:
    """Fit a trend ("thickness_saturation" or "neel_peak") to a :func:`series_table`.

    The parameter column is passed as thickness (m) or temperature (K). With
    ``weighted`` the ``_stderr`` column gives absolute errors; otherwise the errors are
    scaled by the reduced chi-square. Extra keywords set starting values. Returns
    the model's parameters (q_inf, length, t_0 or amplitude, t_peak, exponent, floor)
    with ``_stderr``.
    """
    if trend not in _TRENDS:
        raise DataError(f"unknown trend {trend!r}; choose one of {sorted(_TRENDS)}")
    model = _TRENDS[trend]()
    x = as_array(table[parameter], parameter)
    y = as_array(table[quantity], quantity)
    same_length(x=x, y=y)
    n_free = sum(1 for name in model.param_names
                 if model.param_hints.get(name, {}).get("vary", True))
    if x.size <= n_free:
        raise DataError(f"a {trend} fit has {n_free} free parameters and needs more than "
                        f"{x.size} points")
    err = table.get(f"{quantity}_stderr")
    use_err = weighted and err is not None and bool(np.all(np.isfinite(err) & (err > 0)))
    xname = model.independent_vars[0]
    params = model.guess(y, **{xname: x}, **param_values)
    result = model.fit(y, params, weights=1.0 / err.to_numpy(float) if use_err else None,
                       scale_covar=not use_err, **{xname: x})
    check_fit(result, trend)
    out = with_verdict(summarize(correlated(result), [result], trend=trend))
    headline = {"neel_peak": ["t_peak", "amplitude"], "thickness_saturation": ["q_inf",
                                                                            "length"]}[trend]
    sigma_check(out, headline)
    bounds = {name: (result.params[name].min, result.params[name].max)
              for name in result.var_names}
    bounds_check(out, {n: result.params[n].value for n in result.var_names}, bounds, trend)
    if use_err:
        redchi_check(out, float(result.redchi), int(result.nfree), trend)
    return out
