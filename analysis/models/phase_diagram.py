"""Switching phase diagram of a perpendicular magnet: J_c against the in-plane bias field.

Lee et al., APL 102, 112410 (2013) (``formulas.lee_threshold_perpendicular``):

    J_c = (2e/hbar) (M_s t_F / xi_DL) (B_K,eff / 2 - |B_x| / sqrt 2)

is a straight line in |B_x|, J_c = J_0 - s |B_x|, with K = (2e/hbar) M_s t_F / |xi_DL|:

    J_0 = K B_K,eff / 2,   s = K / sqrt 2
    =>  B_K,eff = sqrt 2 J_0 / s,   |xi_DL| = (2e/hbar) M_s t_F / (sqrt 2 s).

B_K,eff needs no material constants (a ratio); xi_DL needs M_s and t_F. The line is
fitted with lmfit and both follow with the slope-intercept covariance. Only the magnitude
of xi_DL is defined here: the sign needs the switching polarity (see harmonic Hall).
Measured pulses switch below this zero-temperature line (a macrospin at about 0.85-0.9
of it, thermally activated pulses lower still, PHYSICS.md), and not by a common factor:
the activation lowers J_0 more than the slope. So xi_DL from a phase diagram is an upper
estimate and B_K,eff comes out low (on the simulated bench, cofeb-nio-pma with 1 ms
pulses: xi_DL about 2x the model's, B_K,eff about 30 % below the preset); harmonic Hall
gives xi_DL directly.
"""

from __future__ import annotations

import math

import numpy as np
from lmfit import Model
from lmfit.models import update_param_vals

from labspin.analysis.models._common import (
    DataError,
    as_array,
    check_fit,
    correlated,
    redchi_check,
    same_length,
    sigma_check,
    summarize,
    weights_from_sigma,
    with_verdict,
)
from labspin.physics.formulas import lee_threshold_perpendicular

__all__ = ["LeeLineModel", "critical_density", "fit_lee_phase_diagram", "lee_line"]


def lee_line(b_x, intercept, slope):
    """J_c = intercept - slope |B_x| (slope > 0 for the Lee threshold)."""
    return intercept - slope * np.abs(np.asarray(b_x, dtype=float))


def critical_density(b_x, xi_dl, b_k_eff, ms, t_f):
    """The Lee threshold itself (A/m^2), for plotting a fit against data."""
    return lee_threshold_perpendicular(ms, t_f, xi_dl, b_k_eff, b_x)


class LeeLineModel(Model):
    """|J_c| against |B_x|: parameters ``intercept`` (A/m^2) and ``slope`` (A/m^2/T)."""

    def __init__(self, independent_vars=("b_x",), prefix="", nan_policy="raise", **kwargs):
        kwargs.update({"prefix": prefix, "nan_policy": nan_policy,
                       "independent_vars": list(independent_vars)})
        super().__init__(lee_line, **kwargs)

    def guess(self, data, b_x, **kwargs):
        """Straight-line least squares in |B_x|."""
        x = np.abs(as_array(b_x, "b_x"))
        y = np.abs(as_array(data, "data"))
        if np.ptp(x) == 0:
            raise DataError("J_c at a single |B_x| cannot give a slope; vary the bias field")
        slope, intercept = np.polyfit(x, y, 1)
        pars = self.make_params(intercept=float(intercept), slope=float(-slope))
        return update_param_vals(pars, self.prefix, **kwargs)


def _efficiency_prefactor(ms: float, t_f: float) -> float:
    """(2e/hbar) M_s t_F in A/(m^2 T): the Lee threshold for xi_DL = 1 per tesla of
    B_K,eff/2, taken from the formula rather than restated."""
    return float(lee_threshold_perpendicular(ms, t_f, 1.0, 2.0, 0.0))


def fit_lee_phase_diagram(b_x, j_c, *, ms: float | None = None, t_f: float | None = None,
                          sigma=None) -> dict:
    """Fit J_c(|B_x|) with the Lee line and derive B_K,eff and |xi_DL|.

    ``b_x`` (T) may hold both bias polarities; ``j_c`` (A/m^2) is taken as a magnitude.
    ``sigma`` is the error of each J_c (absolute errors); without it errors scale with
    the reduced chi-square. Returns intercept (J_c at zero bias), slope, b_k_eff (T),
    b_x_zero (the bias where J_c extrapolates to zero, sqrt 2 B_K,eff / 2) and, with
    ``ms`` (A/m) and ``t_f`` (m), xi_dl (magnitude); each with ``_stderr``.
    """
    x = as_array(b_x, "b_x")
    y = np.abs(as_array(j_c, "j_c"))
    same_length(b_x=x, j_c=y)
    if x.size < 3:
        raise DataError("a phase diagram needs J_c at 3 or more bias fields")
    model = LeeLineModel()
    params = model.guess(y, b_x=x)
    weights = weights_from_sigma(sigma, y.size)
    result = model.fit(y, params, b_x=x, weights=weights, scale_covar=sigma is None)
    check_fit(result, "Lee phase-diagram")
    q = correlated(result)
    intercept, slope = q["intercept"], q["slope"]
    if slope.nominal_value <= 0:
        raise DataError("J_c does not fall with |B_x|: this is not a Lee-type threshold "
                        "(check that the bias field is along the current)")
    named = {
        "intercept": intercept,
        "slope": slope,
        "b_k_eff": math.sqrt(2.0) * intercept / slope,
        "b_x_zero": intercept / slope,
    }
    if (ms is None) != (t_f is None):
        raise DataError("give both ms and t_f to derive xi_DL")
    if ms is not None:
        named["xi_dl"] = _efficiency_prefactor(ms, t_f) / (math.sqrt(2.0) * slope)
    out = with_verdict(summarize(named, [result]))
    sigma_check(out, ["intercept", "slope", "b_k_eff", "xi_dl"],
                units={"b_k_eff": "T"}, also={"slope": ("b_k_eff", "b_x_zero", "xi_dl")})
    if sigma is not None:
        redchi_check(out, float(result.redchi), int(result.nfree), "Lee line")
    return out
