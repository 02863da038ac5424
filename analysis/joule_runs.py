"""The Joule-heating correction of I_c0 in batch fits, and the threshold's temperature
coefficient d ln I_c0 / dT it needs, measured from runs at several stage temperatures.

During a pulse the bar is tens of kelvin above the stage (py-nio: 60-70 K), so the I_c0
and Delta_0 of the thermal-activation law fitted to I_50(t_p) belong to a hot bar and
read low. :func:`add_joule_correction` corrects them to the stage temperature
(:func:`labspin.analysis.probability_runs.joule_corrected_fit`) with the bar's dR/dT
and d ln I_c0/dT from its calibration; :func:`threshold_coefficient_from_runs` measures
the coefficient.
"""

from __future__ import annotations

import numpy as np

from labspin.analysis.loaders import RunData
from labspin.analysis.models._common import OK, POOR, DataError, worsen
from labspin.analysis.probability_runs import (
    fit_probability_run,
    heated_widths,
    joule_corrected_fit,
)

#: what the notes say when the Joule-heating correction cannot be made
_NO_DR_DT = ("I_c0 is not corrected for Joule heating (the bar is tens of kelvin above the "
             "stage during the pulses, so I_c0 reads low): give the sample's dR/dT "
             "(calibration dr_dt in the station file, or --dr-dt)")
_NO_COEFFICIENT = ("I_c0 is not corrected for Joule heating: the threshold's temperature "
                   "coefficient d ln I_c0/dT is missing (calibration "
                   "threshold_temperature_coefficient, or --threshold-coefficient; README: "
                   "how to measure it); without it only the barrier's 1/T could be corrected "
                   "and I_c0 would still read low")


def add_joule_correction(run: RunData, out: dict, notes: list[str], *, dr_dt: float | None,
                         dr_dt_stderr: float = 0.0, coefficient: float | None,
                         coefficient_stderr: float = 0.0) -> None:
    """``i_c0_corrected`` and ``delta_0_corrected`` (at the stage temperature, beside the
    uncorrected ``i_c0``) into ``out`` by :func:`joule_corrected_fit`, their sigmas
    widened by the calibration's (dR/dT and d ln I_c0/dT refitted at value + sigma);
    ``pulse_temperature`` the bar's mean temperature during the pulses. What prevents
    it goes into ``notes``, never a partial correction presented as the threshold."""
    if dr_dt is None:
        notes.append(_NO_DR_DT)
        return
    if coefficient is None:
        notes.append(_NO_COEFFICIENT)
        return
    try:
        fit = joule_corrected_fit(run, resistance_slope=dr_dt,
                                  threshold_coefficient=coefficient)
        errors = {"i_c0": fit["i_c0_stderr"] ** 2, "delta_0": fit["delta_0_stderr"] ** 2}
        for slope, coef in ((dr_dt + dr_dt_stderr, coefficient),
                            (dr_dt, coefficient + coefficient_stderr)):
            if (slope, coef) != (dr_dt, coefficient):
                shifted = joule_corrected_fit(run, resistance_slope=slope,
                                              threshold_coefficient=coef)
                for key in errors:
                    errors[key] += (shifted[key] - fit[key]) ** 2
    except (DataError, ValueError, ArithmeticError, RuntimeError) as exc:
        notes.append(f"I_c0 not corrected for Joule heating: {exc}")
        return
    for key in ("i_c0", "delta_0"):
        out[f"{key}_corrected"] = fit[key]
        out[f"{key}_corrected_stderr"] = float(np.sqrt(errors[key]))
    out["pulse_temperature"] = fit["pulse_temperature"]
    out["stage_temperature"] = fit["stage_temperature"]
    if fit["verdict"] != OK:
        worsen(out, POOR, f"heating-corrected I_c0: {fit['verdict_reason']}",
               [n for n in ("i_c0_corrected", "delta_0_corrected")
                if f"{n.removesuffix('_corrected')}" in fit["undetermined"].split(",")])
    notes.append(f"I_c0 corrected for Joule heating: the bar at {fit['pulse_temperature']:.0f} K "
                 f"during the pulses (mean), {fit['stage_temperature']:.0f} K stage, dR/dT "
                 f"{dr_dt:.4g} ohm/K, d ln I_c0/dT {coefficient:.3g} 1/K"
                 + (f"; {fit['note']}" if fit.get("note") else ""))


def _fixed_point(tables: list[tuple], start: float, max_iterations: int = 60
                 ) -> tuple[float, float, np.ndarray, np.ndarray]:
    """The coefficient s at which the slope of ln I_c0 (each run corrected to its own
    stage temperature with s) against the stage temperatures is s itself; returns s, the
    slope's sigma from the corrected I_c0's errors, and those I_c0 and errors."""
    from labspin.analysis.models.probability import (
        DEFAULT_ATTEMPT_TIME,
        joule_corrected_threshold,
    )

    stage = np.array([table[4]["stage_temperature"] for table in tables])

    def corrected(s: float) -> tuple[np.ndarray, np.ndarray]:
        fits = [joule_corrected_threshold(widths, i_50, err, temps,
                                          stage_temperature=heating["stage_temperature"],
                                          threshold_coefficient=s,
                                          tau_0=DEFAULT_ATTEMPT_TIME)
                for widths, i_50, err, temps, heating in tables]
        return (np.array([f["i_c0"] for f in fits]),
                np.array([f["i_c0_stderr"] for f in fits]))

    s = start
    for _ in range(max_iterations):
        values, errors = corrected(s)
        new, stderr = _log_slope(stage, values, errors)
        if not np.isfinite(new):
            break
        if abs(new - s) < 1e-7:
            return new, stderr, values, errors
        s = new
    raise DataError("d ln I_c0/dT did not converge: check dR/dT and the runs")


def _bar_temperature(heating: dict, current: np.ndarray, resistance_slope: float
                     ) -> np.ndarray:
    """The bar's temperature during pulses of ``current`` (as pulse_temperatures)."""
    r_cold = heating["r_cold"]
    r_hot = 1.0 / (1.0 / r_cold - heating["heating_coefficient"] * current**2)
    return heating["stage_temperature"] + (r_hot - r_cold) / resistance_slope


def _log_slope(t: np.ndarray, values: np.ndarray, errors: np.ndarray) -> tuple[float, float]:
    """Weighted straight line of ln(values) against t: its slope and that slope's sigma."""
    w = (values / errors) ** 2
    x = t - np.sum(w * t) / np.sum(w)
    sxx = float(np.sum(w * x * x))
    return float(np.sum(w * x * np.log(values)) / sxx), float(1.0 / np.sqrt(sxx))


def threshold_coefficient_from_runs(runs: list[RunData], *, resistance_slope: float,
                                    resamples: int = 60, seed: int = 0) -> dict:
    """d ln I_c0 / dT of one bar from SwitchingProbability runs (3 or more widths each) at
    two or more stage temperatures, for its calibration.

    The uncorrected I_c0 of each run belongs to the bar at its pulse temperature, which
    rises less than the stage (a warmer bar switches at less current, so heats less):
    their log-slope against the stage temperature underestimates the coefficient (on the
    bench by a third). Self-consistent instead: each run's I_c0 is corrected to its own
    stage temperature with a trial coefficient, and the coefficient is the slope of
    ln I_c0 (corrected) against the stage temperatures, until the two agree.

    Its sigma: half the central 68 % range of the coefficient over ``resamples``
    parametric resamplings
    of every width's I_50 within its statistical error (quasi-binomial, from the trials'
    own scatter). Not in it: the curvature of ln I_c0(T) between the span measured and
    the span of the heating (on the bench a few percent of the coefficient). Returns
    value, stderr (1/K), ``stage_temperatures``, ``i_c0_corrected`` and
    ``i_c0_uncorrected`` at each; raises DataError when the runs cannot give it."""
    if len(runs) < 2:
        raise DataError("d ln I_c0/dT needs SwitchingProbability runs at 2 or more stage "
                        "temperatures")
    temps = []
    for run in runs:
        t = run.parameters.get("Stage temperature")
        if isinstance(t, bool) or not isinstance(t, int | float) or t <= 0:
            raise DataError(f"{run.path.name}: the run left the stage off (no stage "
                            "temperature): set stage_temperature for these runs")
        temps.append(float(t))
    if len(set(temps)) < 2:
        raise DataError(f"all runs are at {temps[0]:g} K: measure at 2 or more stage "
                        "temperatures, 40-80 K apart")
    plain = [fit_probability_run(run) for run in runs]
    if any(not np.isfinite(p.get("i_c0", np.nan)) for p in plain):
        raise DataError("a run has no I_c0 (it needs 3 or more pulse widths that switch)")
    uncorrected = np.array([p["i_c0"] for p in plain])
    start, _ = _log_slope(np.asarray(temps), uncorrected,
                          np.array([p["i_c0_stderr"] for p in plain]))
    tables = [heated_widths(run, resistance_slope=resistance_slope) for run in runs]
    if any(not np.all(np.isfinite(table[1])) for table in tables):
        raise DataError("a pulse width has no I_50 (it never switched half the bar)")
    s, _, corrected, _ = _fixed_point(tables, start)
    # the statistical scatter of each I_50, from its trials
    scatter = [heated_widths(run, resistance_slope=resistance_slope, scatter=True)[2]
               for run in runs]
    rng = np.random.default_rng(seed)
    spread = []
    for _ in range(resamples):
        shaken = []
        for (widths, i_50, err, _, heating), sd in zip(tables, scatter, strict=True):
            moved = np.abs(np.asarray(i_50) + rng.standard_normal(len(i_50)) * np.asarray(sd))
            shaken.append((widths, list(moved), err,
                           _bar_temperature(heating, moved, resistance_slope), heating))
        try:
            spread.append(_fixed_point(shaken, s)[0])
        except (DataError, ValueError, ArithmeticError, RuntimeError):
            continue
    if len(spread) < max(10, resamples // 2):
        raise DataError("d ln I_c0/dT: too few resamplings converged to give its sigma")
    low, high = np.percentile(spread, [15.87, 84.13])  # robust to a stray resample
    return {"value": s, "stderr": float(0.5 * (high - low)),
            "stage_temperatures": temps, "i_c0_corrected": corrected.tolist(),
            "i_c0_uncorrected": uncorrected.tolist()}
