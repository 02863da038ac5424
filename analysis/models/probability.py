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
    NOT_DETERMINED,
    POOR,
    DataError,
    FitError,
    as_array,
    escalate,
    range_check,
    redchi_check,
    same_length,
    sigma_check,
    summarize,
    with_verdict,
    worsen,
)
from labspin.analysis.models._lsq import fit_least_squares
from labspin.physics.constants import LN2
from labspin.physics.formulas import (
    activation_time,
    critical_drive_for_pulse,
    switching_probability,
)

#: s, tau_0: the attempt time of labspin's device model (SwitchingKinetics), that of the
#: reversal unit's macrospin dynamics; quote Delta_0 with it
DEFAULT_ATTEMPT_TIME = 3e-9
LOG_LN2 = float(np.log(LN2))


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


def share_dispersion(model_p, sample_sd, trials) -> tuple[float, int]:
    """phi of a quasi-binomial share: the variance of one trial's outcome over p (1 - p).
    One for a whole-bar switch (0 or 1); about 1/n when each trial reports the reversed
    fraction of a bar of n independently reversing regions. Pooled over the amplitudes
    whose model p lies between 2 % and 98 %, with its degrees of freedom."""
    p = np.asarray(model_p, dtype=float)
    n = np.broadcast_to(np.asarray(trials, dtype=float), p.shape)
    s = np.asarray(sample_sd, dtype=float)
    use = (p > 0.02) & (p < 0.98) & (n > 1) & np.isfinite(s)
    if not np.any(use):
        return 1.0, 0
    dof = int(np.sum(n[use] - 1))
    phi = float(np.sum((n[use] - 1) * s[use] ** 2) / np.sum((n[use] - 1) * p[use]
                                                             * (1 - p[use])))
    return min(max(phi, 1e-4), 1.0), dof


def _probability_sigma(p_model, trials, phi) -> np.ndarray:
    """Error of a mean share: phi p (1 - p) / N with p kept at least half a region's
    worth (phi / 2) inside (0, 1), so that a curve at 0 or 1 is not weightless."""
    n = np.broadcast_to(np.asarray(trials, dtype=float), np.shape(p_model))
    floor = np.maximum(0.5 * phi, 0.5 / n)
    p = np.clip(p_model, floor, 1.0 - floor)
    return np.sqrt(phi * p * (1.0 - p) / n)


def fit_switching_probability(current, probability, *, pulse_width: float, trials=None,
                              sigma=None, sample_sd=None, tau_0: float = DEFAULT_ATTEMPT_TIME,
                              exponent: float = 1.0) -> dict:
    """Fit P(I) at one pulse width.

    ``probability`` is the switched share per amplitude (the mean over its trials).
    Errors, in order of preference: an explicit ``sigma``; ``trials`` per point with the
    ``sample_sd`` of the single-trial outcomes (quasi-binomial: a whole-bar switch or the
    reversed fraction of the bar, :func:`share_dispersion`); ``trials`` alone (binomial,
    each trial switches the whole bar or not). The fit is redone once with the errors of
    the fitted curve. Returns i_50 (A: one pulse reverses half the bar), delta_0 and
    i_c0 (A, derived from both), each with ``_stderr``, the fixed pulse_width, tau_0 and
    exponent, dispersion (phi), the verdict and the report.
    """
    i = np.abs(as_array(current, "current"))
    p = as_array(probability, "probability")
    same_length(current=i, probability=p)
    if i.size < 3:
        raise DataError("a switching-probability curve needs at least 3 amplitudes")
    if np.any((p < 0) | (p > 1)):
        raise DataError("probabilities must lie between 0 and 1")
    model = SwitchingProbabilityModel()
    start = model.guess(p, current=i, pulse_width=pulse_width, tau_0=tau_0,
                        exponent=exponent)
    log_rate = float(np.log(pulse_width / (tau_0 * LN2)))
    values = {"i_50": start["i_50"].value, "delta_0": start["delta_0"].value}

    def curve(i_50, delta_0):
        with np.errstate(over="ignore"):  # far below threshold tau overflows: P = 0
            return probability_vs_current(i, i_50, delta_0, pulse_width, tau_0, exponent)

    phi = 1.0
    if sigma is not None:
        weights = 1.0 / np.broadcast_to(np.asarray(sigma, dtype=float), p.shape)
    elif trials is not None:
        weights = 1.0 / binomial_sigma(p, trials)
    else:
        weights = None
    fit = fit_least_squares(curve, p, values, lower={"i_50": 0.0, "delta_0": log_rate},
                            weights=weights, scale_covar=weights is None,
                            title="switching probability P(I)")
    if sigma is None and trials is not None:
        # errors of the fitted curve: binomial (or quasi-binomial) errors of the model, not
        # of the noisy counts (closer to the maximum-likelihood fit)
        if sample_sd is not None:
            phi, _ = share_dispersion(fit.best_fit, sample_sd, trials)
        weights = 1.0 / _probability_sigma(fit.best_fit, trials, phi)
        fit = fit_least_squares(curve, p, fit.values, lower={"i_50": 0.0,
                                                             "delta_0": log_rate},
                                weights=weights, scale_covar=False,
                                title="switching probability P(I)")
    if not np.all(np.isfinite(fit.residual)):
        raise FitError(f"the switching-probability fit failed: {fit.message}")
    absolute = weights is not None and not fit.scale_covar
    law_misfit = absolute and fit.nfree > 0 and fit.redchi > 1.0
    if law_misfit and fit.covar is not None:
        fit.covar = fit.covar * fit.redchi  # Birge ratio: the law is an effective one
    q = fit.ufloats()
    i_c0 = wrap(lambda i_50, delta_0: float(threshold_from_half_current(
        i_50, delta_0, pulse_width, tau_0, exponent)))(q["i_50"], q["delta_0"])
    half = _half_current(i, p, fit, weights) if absolute else None
    named = {"i_50": q["i_50"] if half is None else half.ufloats(["i_50"])["i_50"],
             "delta_0": q["delta_0"], "i_c0": i_c0}
    result = with_verdict(summarize(named, [fit] if half is None else [fit, half],
                                    pulse_width=float(pulse_width), tau_0=float(tau_0),
                                    exponent=float(exponent), dispersion=phi))
    return _judge_probability(result, fit, half, i, p, log_rate, absolute=absolute)


def _half_current(current, p, law, weights):
    """I_50 from a curve of free shape near it, log(-log(1 - P)) = log ln 2 + a (I - I_50)
    + b (I - I_50)^2: Joule heating during the pulse and a scatter of grain barriers bend
    the activation law's straight line, and bias an I_50 that the straight line sets by
    up to a few of its sigmas. None when the shape cannot be fitted."""
    i_50 = law.values["i_50"]
    slope = max(law.values["delta_0"] / max(abs(i_50), 1e-300), 1e-300)

    def curve(i_50, a, b):
        u = LOG_LN2 + a * (current - i_50) + b * (current - i_50) ** 2
        return -np.expm1(-np.exp(np.minimum(u, 50.0)))

    if current.size < 4:
        return None
    fit = fit_least_squares(curve, p, {"i_50": i_50, "a": slope, "b": 0.0}, positive=["a"],
                            weights=weights, scale_covar=False,
                            title="switching probability near I_50 (free shape)")
    if not (fit.success and np.all(np.isfinite(fit.residual))) or fit.covar is None:
        return None
    if fit.nfree > 0 and fit.redchi > 1.0:
        fit.covar = fit.covar * fit.redchi
    return fit


def _judge_probability(result: dict, fit, half, current, p, log_rate, absolute: bool
                       ) -> dict:
    """Never or always switched, I_50 outside the amplitudes, Delta_0 on its bound, the
    sigmas and (absolute errors) the reduced chi-squares: of the activation law (Delta_0
    and I_c0 then effective values) and of the curve I_50 comes from."""
    if np.ptp(p) < 0.2 or not (np.min(p) < 0.5 < np.max(p)):
        return worsen(result, NOT_DETERMINED,
                      f"the switched share runs only from {np.min(p):.2f} to {np.max(p):.2f}: "
                      "the amplitudes do not cross the 50 % point")
    range_check(result, "i_50", float(np.min(current)), float(np.max(current)), "A",
                also=("i_c0", "delta_0"))
    if fit.values["delta_0"] - log_rate < 1e-3 * log_rate:
        worsen(result, POOR, f"delta_0 is at its lower bound ln(t_p/(tau_0 ln 2)) = "
               f"{log_rate:.3g}: the curve is as broad as a barrier-free reversal",
               ("delta_0", "i_c0"))
    sigma_check(result, ["i_50", "delta_0", "i_c0"], units={"i_50": "A", "i_c0": "A"},
                also={"delta_0": ("i_c0",)})
    if absolute:
        redchi_check(result, fit.redchi, fit.nfree, "activation law P(I): delta_0 and i_c0 "
                     "are effective values;")
        if half is not None:
            redchi_check(result, half.redchi, half.nfree, "P(I) near I_50")
    return escalate(result, ["i_50"], "the half-switching current is not determined")


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
    reduced chi-square. Returns i_c0 (A), delta_0 and the fixed tau_0, exponent, the
    verdict and the report.
    """
    t = as_array(pulse_width, "pulse_width")
    y = np.abs(as_array(i_50, "i_50"))
    same_length(pulse_width=t, i_50=y)
    if t.size < 3:
        raise DataError("need I_50 at 3 or more pulse widths for I_c0 and Delta_0")
    model = PulseWidthModel()
    start = model.guess(y, pulse_width=t, tau_0=tau_0, exponent=exponent)
    log_rate = float(np.max(np.log(t / (tau_0 * LN2))))
    weights = None if i_50_stderr is None else 1.0 / np.broadcast_to(
        np.asarray(i_50_stderr, dtype=float), y.shape)
    fit = fit_least_squares(
        lambda i_c0, delta_0: half_switching_current(t, i_c0, delta_0, tau_0, exponent), y,
        {"i_c0": start["i_c0"].value, "delta_0": start["delta_0"].value},
        lower={"i_c0": 0.0, "delta_0": log_rate}, weights=weights,
        scale_covar=weights is None, title="I_50 vs pulse width")
    if not np.all(np.isfinite(fit.residual)):
        raise FitError(f"the I_50 vs pulse width fit failed: {fit.message}")
    result = with_verdict(summarize(fit.ufloats(["i_c0", "delta_0"]), [fit],
                                    tau_0=float(tau_0), exponent=float(exponent)))
    sigma_check(result, ["i_c0", "delta_0"], units={"i_c0": "A"})
    if weights is not None:
        redchi_check(result, fit.redchi, fit.nfree, "I_50(t_p)")
    return result


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
    fixed = {"reference_temperature": float(stage_temperature),
             "threshold_coefficient": float(threshold_coefficient), "tau_0": float(tau_0),
             "exponent": float(exponent)}
    log_rate = np.log(t / (tau_0 * LN2))
    floor = float(np.max(log_rate * temps / stage_temperature)) + 1e-3
    weights = None if i_50_stderr is None else 1.0 / np.broadcast_to(
        np.asarray(i_50_stderr, dtype=float), y.shape)
    start_delta = plain["delta_0"] if plain["delta_0"] > floor else floor + 1.0
    fit = fit_least_squares(
        lambda i_c0, delta_0: _heated_half_current((t, temps), i_c0, delta_0, **fixed), y,
        {"i_c0": plain["i_c0"], "delta_0": start_delta},
        lower={"i_c0": 0.0, "delta_0": floor}, weights=weights,
        scale_covar=weights is None, title="heating-corrected I_50 vs pulse width")
    if not np.all(np.isfinite(fit.residual)):
        raise FitError(f"the heating-corrected I_50 vs pulse width fit failed: {fit.message}")
    result = with_verdict(summarize(
        fit.ufloats(["i_c0", "delta_0"]), [fit], i_c0_uncorrected=plain["i_c0"],
        i_c0_uncorrected_stderr=plain["i_c0_stderr"], delta_0_uncorrected=plain["delta_0"],
        delta_0_uncorrected_stderr=plain["delta_0_stderr"],
        pulse_temperature=float(np.mean(temps)), stage_temperature=float(stage_temperature),
        threshold_coefficient=float(threshold_coefficient), tau_0=float(tau_0),
        exponent=float(exponent)))
    sigma_check(result, ["i_c0", "delta_0"], units={"i_c0": "A"})
    if weights is not None:
        redchi_check(result, fit.redchi, fit.nfree, "heating-corrected I_50(t_p)")
    return result

