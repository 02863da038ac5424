"""Switching phase diagram of a perpendicular magnet: J_c against the in-plane bias field.

Lee et al., APL 102, 112410 (2013) (``formulas.lee_threshold_perpendicular``):

    J_c = (2e/hbar) (M_s t_F / xi_DL) (B_K,eff / 2 - |B_x| / sqrt 2)

is a straight line in |B_x|, J_c = J_0 - s |B_x|, with K = (2e/hbar) M_s t_F / |xi_DL|:

    J_0 = K B_K,eff / 2,   s = K / sqrt 2
    =>  B_K,eff = sqrt 2 J_0 / s,   |xi_DL| = (2e/hbar) M_s t_F / (sqrt 2 s).

B_K,eff needs no material constants (a ratio); xi_DL needs M_s and t_F. The line is
fitted with lmfit and both follow with the slope-intercept covariance. Only the magnitude
of xi_DL is defined here: the sign needs the switching polarity (see harmonic Hall).

The line is the zero-temperature threshold, and measured pulses switch below it, not by
a common factor (:func:`pulse_regime_check` gives the verdict):

* pulses longer than a few ns switch by thermal activation (PHYSICS.md): each J_c is a
  lower bound of the threshold at its bias, but the share it is lowered by changes with
  the bias: the in-plane field lowers the energy barrier (Delta_0 (1 - B_x/B_K)^2, which
  steepens the line) and the pulse's Joule heating lowers it more at the larger currents
  of small bias (which flattens it). Neither the ratio nor the slope is then B_K,eff or
  xi_DL, nor a bound of them: on the simulated cofeb-nio-pma bar 1 ms thresholds give
  B_K,eff 15 % low and |xi_DL| 2.6 times the model's, 10 ns ones B_K,eff 19 % high and
  |xi_DL| 1.6 times. Not determined;
* pulses of a few ns approach the macrospin's threshold (0.86-0.89 of the line at 5 ns):
  B_K,eff 8 % high and |xi_DL| 1.28 times at 5 ns, 1 % and 1.09 times at 3 ns. Poor;
* harmonic Hall gives xi_DL directly, and a Hall loop in an in-plane field B_K.
"""

from __future__ import annotations

import math

import numpy as np
from lmfit import Model
from lmfit.models import update_param_vals

from labspin.analysis.models._common import (
    NOT_DETERMINED,
    POOR,
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
    worsen,
)
from labspin.physics.formulas import lee_threshold_perpendicular

__all__ = ["LeeLineModel", "critical_density", "fit_lee_phase_diagram", "lee_line",
           "pulse_regime_check"]

#: s: loops with longer pulses switch by thermal activation, far below the Lee line (on
#: the simulated bench 10 ns already gives |xi_DL| 1.6 times the model's, 5 ns 1.28 times)
INTRINSIC_PULSE_WIDTH = 5e-9
#: what the undetermined quantities are replaced by
MEASURE_INSTEAD = ("measure xi_DL by harmonic Hall (HarmonicHall field sweeps) and B_K by "
                   "a Hall loop in an in-plane field, or repeat the loops with pulses of at "
                   "most 5 ns")


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


def pulse_regime_check(result: dict, pulse_widths) -> dict:
    """The verdict of a Lee-line fit by the pulse width of its loops (module doc).

    Pulses longer than :data:`INTRINSIC_PULSE_WIDTH` (any loop): b_k_eff, xi_dl and
    b_x_zero not determined, the reason saying what the line's numbers are and what to
    measure instead; the line itself (intercept, slope: J_c of these pulses) stays.
    Shorter pulses: poor (a macrospin switches below the line too). Widths unknown
    (``None`` or NaN): poor, saying which regime would make the numbers meaningless."""
    from labspin.analysis.formatting import si

    widths = np.asarray(pulse_widths if pulse_widths is not None else [], dtype=float)
    widths = widths[np.isfinite(widths) & (widths > 0)]
    derived = [k for k in ("b_k_eff", "xi_dl", "b_x_zero") if k in result]
    names = ", ".join(derived)
    if widths.size == 0:
        return worsen(result, POOR, f"{names}: the pulse width is not in the runs' headers; "
                      "loops switched by pulses longer than a few ns switch by thermal "
                      "activation, below the Lee threshold, and their line gives neither "
                      "B_K,eff nor xi_DL")
    longest = float(widths.max())
    shown = si(longest, "s") if np.ptp(widths) == 0 else f"up to {si(longest, 's')}"
    if longest <= INTRINSIC_PULSE_WIDTH:
        return worsen(result, POOR, f"{names}: even {shown} pulses switch below the "
                      "zero-temperature Lee threshold (a macrospin at about 0.85-0.9 of "
                      "it, not evenly across the bias: on the simulated cofeb-nio-pma bar "
                      "5 ns loops give B_K,eff 8 % high and |xi_DL| 1.28 times the model's); "
                      "check xi_DL by harmonic Hall")
    line = [f"B_K,eff {si(result['b_k_eff'], 'T')}"] if "b_k_eff" in result else []
    if "xi_dl" in result:
        line.append(f"|xi_DL| {result['xi_dl']:.3g}")
    gives = f" (this line gives {' and '.join(line)})" if line else ""
    return worsen(result, NOT_DETERMINED if not _keeps_line(result) else POOR,
                  f"{names}: {shown} pulses switch by thermal activation, each J_c below "
                  "the Lee threshold at its bias (a lower bound of it) by a share that "
                  "changes with the bias (the field lowers the barrier, the pulse's Joule "
                  "heating lowers it more at the larger currents of small bias), so the "
                  "line's ratio and slope are not B_K,eff and xi_DL, nor bounds of them"
                  f"{gives}; {MEASURE_INSTEAD}", derived)


def _keeps_line(result: dict) -> bool:
    """The line itself (J_c of these pulses at zero bias and its slope) is a result."""
    return all(math.isfinite(float(result.get(k, math.nan))) for k in ("intercept", "slope"))
