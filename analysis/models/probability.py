"""Switching probability of thermally activated spin-orbit-torque reversal.

At one pulse width t_p (Neel-Brown with a current-lowered barrier; Lee et al., APL
104, 072413 (2014); Koch et al., PRL 92, 088302 (2004)):

    P(I) = 1 - exp(-t_p / tau(I)),   tau = tau_0 exp(Delta_0 (1 - I/I_c0)^n)

fitted with I_50 (P = 1/2) and Delta_0 as free parameters, which keeps them nearly
uncorrelated; I_c0 follows from I_50 = I_c0 [1 - (ln(t_p / (tau_0 ln 2)) / Delta_0)^(1/n)].
Across pulse widths the same relation, fitted to I_50(t_p), gives I_c0 and Delta_0.

tau_0 is fixed (3 ns by default): only ln(tau_0) - Delta_0 enters at fixed t_p and
I_c0 / Delta_0 across widths, so tau_0 and Delta_0 are degenerate; quote Delta_0 with
the tau_0 it assumed. n = 1 for SOT; other n is a fixed option, not fitted.
Amplitudes are magnitudes: fit each polarity separately.
"""

from __future__ import annotations

import numpy as np
from lmfit import Model
from lmfit.models import update_param_vals
from uncertainties import wrap

from labspin.analysis.models._common import (
    DataError,
    as_array,
    check_fit,
    correlated,
    same_length,
    summarize,
    weights_from_sigma,
)
from labspin.physics.constants import LN2
from labspin.physics.formulas import (
    activation_time,
    critical_drive_for_pulse,
    switching_probability,
)

#: s, tau_0: the attempt time of labspin's device model (SwitchingKinetics), that of the
#: reversal unit's macrospin dynamics; quote Delta_0 with it
DEFAULT_ATTEMPT_TIME = 3e-9


def switching_probability_curve(current, i_c0, delta_0, pulse_width,
                                tau_0=DEFAULT_ATTEMPT_TIME, exponent=1.0):
    """P(I) for one pulse of ``pulse_width``, with the threshold I_c0 as parameter."""
    tau = activation_time(tau_0, delta_0, np.abs(np.asarray(current, dtype=float)) / i_c0,
                          exponent)
    return switching_probability(pulse_width, tau)


def threshold_from_half_current(i_50, delta_0, pulse_width, tau_0=DEFAULT_ATTEMPT_TIME,
                                exponent=1.0):
    """I_c0 from I_50 at one width (inverse of :func:`half_switching_current`)."""
    return i_50 / critical_drive_for_pulse(pulse_width, tau_0, delta_0, exponent)


def half_switching_current(pulse_width, i_c0, delta_0, tau_0=DEFAULT_ATTEMPT_TIME,
                           exponent=1.0):
    """I_50(t_p) = I_c0 [1 - (ln(t_p / (tau_0 ln 2)) / Delta_0)^(1/n)]."""
    return i_c0 * critical_drive_for_pulse(pulse_width, tau_0, delta_0, exponent)


def probability_vs_current(current, i_50, delta_0, pulse_width, tau_0=DEFAULT_ATTEMPT_TIME,
                           exponent=1.0):
    """P(I) parametrised by the half-switching current I_50 (the fitted form)."""
    i_c0 = threshold_from_half_current(i_50, delta_0, pulse_width, tau_0, exponent)
    return switching_probability_curve(current, i_c0, delta_0, pulse_width, tau_0, exponent)


class SwitchingProbabilityModel(Model):
    """P vs pulse current at one width: free ``i_50`` and ``delta_0``; ``pulse_width``,
    ``tau_0`` and ``exponent`` are fixed parameters (set them with ``make_params``)."""

    def __init__(self, independent_vars=("current",), prefix="", nan_policy="raise",
                 **kwargs):
        kwargs.update({"prefix": prefix, "nan_policy": nan_policy,
                       "independent_vars": list(independent_vars)})
        super().__init__(probability_vs_current, **kwargs)
        self.set_param_hint("i_50", min=0.0)
        self.set_param_hint("delta_0", min=1.0)
        for name in ("pulse_width", "tau_0", "exponent"):
            self.set_param_hint(name, vary=False)
        self.set_param_hint("tau_0", value=DEFAULT_ATTEMPT_TIME)
        self.set_param_hint("exponent", value=1.0)

    def guess(self, data, current, pulse_width=None, tau_0=DEFAULT_ATTEMPT_TIME,
              exponent=1.0, **kwargs):
        """I_50 where P crosses 1/2, Delta_0 from the 25-75 % spread of the transition
        (for n = 1, dlnP/dI fixes Delta_0/I_c0)."""
        if pulse_width is None:
            raise DataError("the probability model needs the pulse_width (s)")
        p = as_array(data, "data")
        i = np.abs(as_array(current, "current"))
        order = np.argsort(i)
        i, p = i[order], np.maximum.accumulate(p[order])  # monotone envelope for the guess
        i_50 = float(np.interp(0.5, p + 1e-12 * np.arange(p.size), i))
        i_25 = float(np.interp(0.25, p + 1e-12 * np.arange(p.size), i))
        i_75 = float(np.interp(0.75, p + 1e-12 * np.arange(p.size), i))
        log_rate = np.log(pulse_width / (tau_0 * LN2))
        spread = max(i_75 - i_25, 1e-3 * max(i_50, 1e-12))
        # P = 1 - exp(-ln2 exp(k (I - I_50))) with k = Delta_0 / I_c0 (n = 1)
        k = (np.log(np.log(4) / LN2) - np.log(-np.log(0.75) / LN2)) / spread
        delta_0 = float(np.clip(k * i_50 + log_rate, log_rate + 1.0, 1e4))
        pars = self.make_params(i_50=i_50, delta_0=delta_0, pulse_width=pulse_width,
                                tau_0=tau_0, exponent=exponent)
        # below Delta_0 = ln(t_p / (tau_0 ln 2)) the bar reverses without current
        pars[f"{self.prefix}delta_0"].set(min=log_rate + 1e-3)
        return update_param_vals(pars, self.prefix, **kwargs)


def binomial_sigma(probability, trials) -> np.ndarray:
    """Standard error of a switched share from ``trials`` attempts, with the Laplace
    (rule of succession) estimate so that 0 and 1 do not get zero error."""
    p = np.asarray(probability, dtype=float)
    n = np.broadcast_to(np.asarray(trials, dtype=float), p.shape)
    p_hat = (p * n + 1.0) / (n + 2.0)
    return np.sqrt(p_hat * (1.0 - p_hat) / n)


def fit_switching_probability(current, probability, *, pulse_width: float, trials=None,
                              sigma=None, tau_0: float = DEFAULT_ATTEMPT_TIME,
                              exponent: float = 1.0) -> dict:
    """Fit P(I) at one pulse width.

    ``probability`` is the switched share per amplitude; give the number of ``trials``
    per point (binomial errors; the fit is reweighted once with the fitted curve) or an
    explicit ``sigma``. Returns i_50 (A), delta_0 and i_c0 (A, derived from both), each
    with ``_stderr``, the fixed pulse_width, tau_0 and exponent, and the lmfit report.
    """
    i = as_array(current, "current")
    p = as_array(probability, "probability")
    same_length(current=i, probability=p)
    if i.size < 3:
        raise DataError("a switching-probability curve needs at least 3 amplitudes")
    if np.any((p < 0) | (p > 1)):
        raise DataError("probabilities must lie between 0 and 1")
    explicit_sigma = sigma
    if sigma is None and trials is not None:
        sigma = binomial_sigma(p, trials)
    model = SwitchingProbabilityModel()
    params = model.guess(p, current=i, pulse_width=pulse_width, tau_0=tau_0,
                         exponent=exponent)
    weights = weights_from_sigma(sigma, p.size)
    result = model.fit(p, params, current=np.abs(i), weights=weights,
                       scale_covar=sigma is None)
    check_fit(result, "switching-probability")
    if trials is not None and explicit_sigma is None:
        # reweight once with the fitted curve: binomial errors of the model, not of the
        # noisy counts (closer to the maximum-likelihood fit; better-calibrated errors)
        n = np.broadcast_to(np.asarray(trials, dtype=float), p.shape)
        p_fit = np.clip(result.best_fit, 0.5 / n, 1.0 - 0.5 / n)
        weights = 1.0 / np.sqrt(p_fit * (1.0 - p_fit) / n)
        result = model.fit(p, result.params, current=np.abs(i), weights=weights,
                           scale_covar=False)
        check_fit(result, "switching-probability")
    q = correlated(result)
    i_c0 = wrap(lambda i_50, delta_0: float(threshold_from_half_current(
        i_50, delta_0, pulse_width, tau_0, exponent)))(q["i_50"], q["delta_0"])
    named = {"i_50": q["i_50"], "delta_0": q["delta_0"], "i_c0": i_c0}
    return summarize(named, [result], pulse_width=float(pulse_width), tau_0=float(tau_0),
                     exponent=float(exponent))


class PulseWidthModel(Model):
    """I_50 vs pulse width: free ``i_c0`` and ``delta_0``; ``tau_0`` and ``exponent``
    fixed (the logarithmic fall of J_c with pulse width, Koch et al. 2004)."""

    def __init__(self, independent_vars=("pulse_width",), prefix="", nan_policy="raise",
                 **kwargs):
        kwargs.update({"prefix": prefix, "nan_policy": nan_policy,
                       "independent_vars": list(independent_vars)})
        super().__init__(half_switching_current, **kwargs)
        self.set_param_hint("i_c0", min=0.0)
        self.set_param_hint("delta_0", min=1.0)
        self.set_param_hint("tau_0", value=DEFAULT_ATTEMPT_TIME, vary=False)
        self.set_param_hint("exponent", value=1.0, vary=False)

    def guess(self, data, pulse_width, tau_0=DEFAULT_ATTEMPT_TIME, exponent=1.0, **kwargs):
        """For n = 1, I_50 is linear in L = ln(t_p / (tau_0 ln 2)): I_c0 - (I_c0/Delta_0) L."""
        i_50 = as_array(data, "data")
        log_rate = np.log(as_array(pulse_width, "pulse_width") / (tau_0 * LN2))
        if np.ptp(log_rate) == 0:
            raise DataError("I_50 at a single pulse width cannot separate I_c0 and Delta_0")
        slope, intercept = np.polyfit(log_rate, i_50, 1)
        i_c0 = float(intercept) if intercept > 0 else float(np.max(i_50))
        delta_0 = float(-i_c0 / slope) if slope < 0 else 60.0
        delta_0 = float(np.clip(delta_0, np.max(log_rate) + 1.0, 1e4))
        pars = self.make_params(i_c0=i_c0, delta_0=delta_0, tau_0=tau_0, exponent=exponent)
        pars[f"{self.prefix}delta_0"].set(min=float(np.max(log_rate)) + 1e-3)
        return update_param_vals(pars, self.prefix, **kwargs)


def fit_pulse_width_dependence(pulse_width, i_50, i_50_stderr=None, *,
                               tau_0: float = DEFAULT_ATTEMPT_TIME,
                               exponent: float = 1.0) -> dict:
    """Fit I_50(t_p) = I_c0 [1 - (ln(t_p/(tau_0 ln 2))/Delta_0)^(1/n)] across widths.

    ``i_50_stderr`` (e.g. the ``i_50_stderr`` of :func:`fit_switching_probability`)
    weights the points and makes the errors absolute; without it they are scaled by the
    reduced chi-square. Returns i_c0 (A), delta_0 and the fixed tau_0, exponent.
    """
    t = as_array(pulse_width, "pulse_width")
    y = np.abs(as_array(i_50, "i_50"))
    same_length(pulse_width=t, i_50=y)
    if t.size < 3:
        raise DataError("need I_50 at 3 or more pulse widths for I_c0 and Delta_0")
    model = PulseWidthModel()
    params = model.guess(y, pulse_width=t, tau_0=tau_0, exponent=exponent)
    weights = weights_from_sigma(i_50_stderr, y.size)
    result = model.fit(y, params, pulse_width=t, weights=weights,
                       scale_covar=i_50_stderr is None)
    check_fit(result, "I_50 vs pulse width")
    q = correlated(result, ["i_c0", "delta_0"])
    return summarize(q, [result], tau_0=float(tau_0), exponent=float(exponent))


def _heated_half_current(x, i_c0, delta_0, reference_temperature=300.0,
                         threshold_coefficient=0.0, tau_0=DEFAULT_ATTEMPT_TIME, exponent=1.0):
    """I_50 of a bar at temperature T during pulses of width t_p, x = (t_p, T)."""
    width, temperature = x
    g = np.exp(threshold_coefficient * (np.asarray(temperature) - reference_temperature))
    barrier = delta_0 * g * reference_temperature / np.asarray(temperature)
    return i_c0 * g * critical_drive_for_pulse(width, tau_0, barrier, exponent)


def joule_corrected_threshold(pulse_width, i_50, i_50_stderr, pulse_temperature, *,
                              stage_temperature: float, threshold_coefficient: float = 0.0,
                              tau_0: float = DEFAULT_ATTEMPT_TIME,
                              exponent: float = 1.0) -> dict:
    """I_c0 and Delta_0 at the stage temperature from I_50 at several pulse widths, each
    taken with the bar at ``pulse_temperature`` (K) during the pulses.

    Joule heating makes the bar tens of kelvin hotter during a pulse than the stage, and
    the more so the more current a width needs. The law of
    :func:`fit_pulse_width_dependence` then mixes temperatures: it returns a threshold
    below the cold one (on the bench, 27 % below it for py-nio). Here each width keeps
    its own temperature T (from the bar's resistance during the pulse and its R(T)
    calibration, :func:`labspin.analysis.probability_runs.pulse_temperatures`):

        I_50 = I_c0 g(T) [1 - ln(t_p / (tau_0 ln 2)) / (Delta_0 g(T) T_0 / T)]^(1/n),
        g(T) = exp(threshold_coefficient (T - T_0)),

    the barrier an energy divided by k_B T, and the threshold and that energy scaling
    alike with temperature (both follow the anisotropy energy density, e.g. M_s(T)^2 in
    Liu's threshold and the Stoner-Wohlfarth barrier). ``threshold_coefficient`` is
    d ln I_c0 / dT (1/K); it must come from a measurement, e.g. I_50 at two stage
    temperatures. Left at 0 only the barrier's 1/T is corrected and the threshold's own
    temperature dependence still biases i_c0 (py-nio on the bench: 32.8 mA, against
    36.7 mA at the pulse temperature and 44.1 mA cold; with the coefficient 44.5 +- 1.3
    mA).

    Returns i_c0 and delta_0 (at ``stage_temperature``) with ``_stderr``,
    ``i_c0_uncorrected`` and ``delta_0_uncorrected`` (the fit that ignores the heating),
    ``pulse_temperature`` (mean, K), ``threshold_coefficient`` and ``tau_0``.
    """
    t = as_array(pulse_width, "pulse_width")
    y = np.abs(as_array(i_50, "i_50"))
    temps = as_array(pulse_temperature, "pulse_temperature")
    same_length(pulse_width=t, i_50=y, pulse_temperature=temps)
    if t.size < 3:
        raise DataError("need I_50 at 3 or more pulse widths for I_c0 and Delta_0")
    if np.any(temps <= 0):
        raise DataError("pulse temperatures must be positive kelvin; check the R(T) "
                        "calibration (resistance slope) and the cold resistance")
    plain = fit_pulse_width_dependence(t, y, i_50_stderr, tau_0=tau_0, exponent=exponent)
    model = Model(_heated_half_current, independent_vars=["x"])
    params = model.make_params(i_c0=plain["i_c0"], delta_0=plain["delta_0"],
                               reference_temperature=float(stage_temperature),
                               threshold_coefficient=float(threshold_coefficient),
                               tau_0=float(tau_0), exponent=float(exponent))
    for name in ("reference_temperature", "threshold_coefficient", "tau_0", "exponent"):
        params[name].set(vary=False)
    params["i_c0"].set(min=0.0)
    log_rate = np.log(t / (tau_0 * LN2))
    params["delta_0"].set(min=float(np.max(log_rate * temps / stage_temperature)) + 1e-3)
    weights = weights_from_sigma(i_50_stderr, y.size)
    result = model.fit(y, params, x=(t, temps), weights=weights,
                       scale_covar=i_50_stderr is None)
    check_fit(result, "heating-corrected I_50 vs pulse width")
    q = correlated(result, ["i_c0", "delta_0"])
    return summarize(q, [result], i_c0_uncorrected=plain["i_c0"],
                     i_c0_uncorrected_stderr=plain["i_c0_stderr"],
                     delta_0_uncorrected=plain["delta_0"],
                     delta_0_uncorrected_stderr=plain["delta_0_stderr"],
                     pulse_temperature=float(np.mean(temps)),
                     stage_temperature=float(stage_temperature),
                     threshold_coefficient=float(threshold_coefficient), tau_0=float(tau_0),
                     exponent=float(exponent))

