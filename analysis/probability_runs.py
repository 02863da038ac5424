"""Batch fit of a SwitchingProbability run: I_50 per pulse width, then I_c0 and Delta_0.

The run holds N single-pulse trials per (amplitude, width). Per width, the switched
share against amplitude is fitted with the thermal-activation law
(``models.probability.fit_switching_probability``, binomial weights); with three or
more widths, I_50(t_p) gives I_c0 and Delta_0 through the logarithmic fall of the
switching current with pulse width (``fit_pulse_width_dependence``). With fewer widths
each curve's own I_c0 and Delta_0 are reported, which the curve's slope alone fixes
less well.

The share is the mean "Switched fraction" (the part of the bar reversed, clipped to
[0, 1]), which compares with the device model's grain-averaged probability; "Switched"
(more than half reversed) is steeper and is used only when the fraction is missing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labspin.analysis.loaders import RunData
from labspin.analysis.models._common import (
    NOT_DETERMINED,
    OK,
    POOR,
    DataError,
    with_verdict,
    worsen,
)
from labspin.analysis.models.probability import (
    fit_pulse_width_dependence,
    fit_switching_probability,
)

_SHARES = ("Switched fraction", "Switched")


def probability_table(run: RunData) -> tuple[str, list[tuple[float, np.ndarray, np.ndarray,
                                                            np.ndarray, np.ndarray]]]:
    """(column used, [(width, amplitudes, switched share, trials per amplitude, standard
    deviation of one trial's outcome), ...])."""
    data = run.data
    share = next((c for c in _SHARES if c in data.columns and data[c].notna().any()), None)
    if share is None or not {"Pulse width (s)", "Pulse current (A)"} <= set(data.columns):
        raise DataError("the file has no 'Switched fraction' or 'Switched' with pulse "
                        "widths and currents")
    frame = data[["Pulse width (s)", "Pulse current (A)", share]].dropna()
    if frame.empty:
        raise DataError("no valid trials (every reset failed?)")
    curves = []
    for width, group in frame.groupby("Pulse width (s)", sort=True):
        stats = group.groupby("Pulse current (A)", sort=True)[share].agg(
            ["mean", "count", "std"])
        curves.append((float(width), stats.index.to_numpy(float),
                       np.clip(stats["mean"].to_numpy(float), 0.0, 1.0),
                       stats["count"].to_numpy(float),
                       stats["std"].fillna(0.0).to_numpy(float)))
    return share, curves


def _width_fits(curves, notes: list[str]) -> list[tuple[int, float, dict]]:
    """P(I) fitted per width; widths that cannot be fitted go to ``notes``."""
    fits = []
    for k, (width, current, probability, trials, spread) in enumerate(curves):
        try:
            # quasi-binomial errors from the trials' own scatter: a "Switched fraction"
            # varies far less per trial than a whole-bar switch would
            fit = fit_switching_probability(current, probability, pulse_width=width,
                                            trials=trials, sample_sd=spread)
        except (DataError, RuntimeError, ValueError) as exc:
            notes.append(f"{width:g} s: {exc}")
            continue
        fits.append((k, width, fit))
    return fits


def _carry(out: dict, fit: dict, prefix: str, names: dict[str, str]) -> None:
    """Copy a fit's quantities into the row under ``names`` (fit key -> row key) and its
    verdict, each reason prefixed (e.g. by the pulse width)."""
    for key, row_key in names.items():
        out[row_key], out[f"{row_key}_stderr"] = fit[key], fit[f"{key}_stderr"]
    if fit["verdict"] != OK:
        undetermined = [names[n] for n in fit["undetermined"].split(",") if n in names]
        worsen(out, POOR, f"{prefix}{fit['verdict_reason']}", undetermined)


def fit_probability_run(run: RunData, *, dr_dt: float | None = None,
                        threshold_coefficient: float | None = None, dr_dt_stderr: float = 0.0,
                        threshold_coefficient_stderr: float = 0.0, **_: Any) -> dict:
    """One flat dict: i_50 (A) per width as ``i_50_<k>`` with ``pulse_width_<k>``, the
    first determined width's also as ``i_50``; ``i_c0`` and ``delta_0`` with their
    ``_stderr``; the verdict of the whole (VERDICT.md). With 3 or more widths, the bar's
    ``dr_dt`` (ohm/K) and the threshold's ``threshold_coefficient`` (d ln I_c0/dT, 1/K),
    also ``i_c0_corrected`` and ``delta_0_corrected`` at the stage temperature
    (:func:`labspin.analysis.joule_runs.add_joule_correction`); the note says plainly
    what is missing for it."""
    share, curves = probability_table(run)
    out: dict[str, Any] = with_verdict({"share": share, "n_widths": len(curves)})
    notes: list[str] = []
    fits = _width_fits(curves, notes)
    if not fits:
        raise DataError("no pulse width could be fitted: " + "; ".join(notes))
    for k, width, fit in fits:
        out[f"pulse_width_{k}"] = width
        _carry(out, fit, f"{width:g} s: ", {"i_50": f"i_50_{k}"})
    good = [(w, f) for _, w, f in fits if f["verdict"] != NOT_DETERMINED]
    if not good:
        return worsen(out, NOT_DETERMINED, "no pulse width gives a half-switching current",
                      ["i_50", "i_c0", "delta_0"]) | {"note": "; ".join(notes)}
    out["i_50"], out["i_50_stderr"] = good[0][1]["i_50"], good[0][1]["i_50_stderr"]
    if len(good) >= 3:
        dependence = fit_pulse_width_dependence(
            [w for w, _ in good], [abs(f["i_50"]) for _, f in good],
            [f["i_50_stderr"] for _, f in good])
        _carry(out, dependence, "I_50(t_p): ", {"i_c0": "i_c0", "delta_0": "delta_0"})
        notes.append(f"I_c0 and Delta_0 from I_50 at {len(good)} pulse widths")
        from labspin.analysis.joule_runs import add_joule_correction

        add_joule_correction(run, out, notes, dr_dt=dr_dt, dr_dt_stderr=dr_dt_stderr,
                             coefficient=threshold_coefficient,
                             coefficient_stderr=threshold_coefficient_stderr)
    else:
        _carry(out, good[0][1], f"{good[0][0]:g} s: ", {"i_c0": "i_c0", "delta_0": "delta_0"})
        notes.append("I_c0 and Delta_0 from the slope of one curve (measure 3 or more "
                     "pulse widths to fix them by the width dependence)")
    out["note"] = "; ".join(notes)
    return out


def pulse_temperatures(run: RunData, currents, *, resistance_slope: float,
                       stage_temperature: float | None = None) -> tuple[np.ndarray, dict]:
    """The bar's temperature (K) during pulses of the given currents, from the voltage
    the 6221's pulse delta read across the V_xx probes during the run's pulses.

    The conductance I / V of every pulse with a voltage is fitted as G_0 - c I^2: a bar
    whose resistance grows linearly with its temperature, R = R_0 (1 + beta dT), and
    warms in proportion to the power, dT = R_th I^2 R, has exactly 1/R = 1/R_0 - beta R_0
    R_th I^2 / R_0. R_0 = 1/G_0 is the cold resistance; then T = T_stage + (R(I) - R_0) /
    (dR/dT), with ``resistance_slope`` dR/dT (ohm/K) of the same V_xx section from the
    sample's R(T) calibration. The stage temperature is the run's own when it set one,
    else ``stage_temperature`` (default 300 K). Returns the temperatures and a dict with
    r_cold, heating_coefficient c (S/A^2), stage_temperature and a note."""
    data = run.data
    if "Pulse voltage (V)" not in data.columns:
        raise DataError("the file has no 'Pulse voltage (V)' column (written before labspin "
                        "measured it): no pulse temperatures")
    i = data["Pulse current (A)"].to_numpy(float)
    v = data["Pulse voltage (V)"].to_numpy(float)
    ok = np.isfinite(i) & np.isfinite(v) & (i != 0)
    if np.count_nonzero(ok) < 3:
        raise DataError("fewer than 3 pulses have a measured voltage (the 6221's pulse delta "
                        "reads the 2182A's channel 1: wire it to xx)")
    if not resistance_slope or resistance_slope <= 0:
        raise DataError("the bar's dR/dT (ohm/K) must be positive: take it from the R(T) "
                        "calibration of the sample")
    design = np.column_stack([np.ones(np.count_nonzero(ok)), -i[ok] ** 2])
    (g_cold, c), *_ = np.linalg.lstsq(design, i[ok] / v[ok], rcond=None)
    r_cold = 1.0 / g_cold
    note = ""
    t_stage = run.parameters.get("Stage temperature")
    if not isinstance(t_stage, (int, float)) or t_stage <= 0:
        t_stage = 300.0 if stage_temperature is None else float(stage_temperature)
        note = f"stage temperature not set in the run: {t_stage:g} K assumed"
    r_hot = 1.0 / (g_cold - c * np.asarray(currents, dtype=float) ** 2)
    temps = t_stage + (r_hot - r_cold) / resistance_slope
    return temps, {"r_cold": float(r_cold), "heating_coefficient": float(c),
                   "stage_temperature": float(t_stage), "note": note}


def heated_widths(run: RunData, *, resistance_slope: float,
                  stage_temperature: float | None = None, tau_0: float | None = None,
                  scatter: bool = False
                  ) -> tuple[list[float], list[float], list[float], np.ndarray, dict]:
    """Per pulse width of a SwitchingProbability run: I_50 (A) and the bar's temperature
    at it during the pulse (:func:`pulse_temperatures`); returns (widths, i_50, i_50
    errors, temperatures, the heating dict). The errors are binomial, or with
    ``scatter`` quasi-binomial from the trials' own scatter (the statistical scatter of
    I_50 alone, without the spread of the activation law that binomial errors cover)."""
    from labspin.analysis.models.probability import DEFAULT_ATTEMPT_TIME

    _, curves = probability_table(run)
    widths, i_50, err = [], [], []
    for width, current, probability, trials, spread in curves:
        fit = fit_switching_probability(current, probability, pulse_width=width,
                                        trials=trials, sample_sd=spread if scatter else None,
                                        tau_0=tau_0 or DEFAULT_ATTEMPT_TIME)
        widths.append(width)
        i_50.append(abs(fit["i_50"]))
        err.append(fit["i_50_stderr"])
    temps, heating = pulse_temperatures(run, i_50, resistance_slope=resistance_slope,
                                        stage_temperature=stage_temperature)
    return widths, i_50, err, temps, heating


def joule_corrected_fit(run: RunData, *, resistance_slope: float,
                        threshold_coefficient: float = 0.0,
                        stage_temperature: float | None = None, tau_0: float | None = None,
                        ) -> dict:
    """I_c0 and Delta_0 of a SwitchingProbability run at 3 or more widths, uncorrected and
    corrected for Joule heating (``models.probability.joule_corrected_threshold``), with
    the bar's temperature at each width's I_50 from the measured pulse voltages
    (:func:`pulse_temperatures`). ``resistance_slope``: dR/dT (ohm/K) of the V_xx section,
    from the sample's R(T) calibration (``labspin fit`` takes it from the run header)."""
    from labspin.analysis.models.probability import (
        DEFAULT_ATTEMPT_TIME,
        joule_corrected_threshold,
    )

    widths, i_50, err, temps, heating = heated_widths(
        run, resistance_slope=resistance_slope, stage_temperature=stage_temperature,
        tau_0=tau_0)
    out = joule_corrected_threshold(widths, i_50, err, temps,
                                    stage_temperature=heating["stage_temperature"],
                                    threshold_coefficient=threshold_coefficient,
                                    tau_0=tau_0 or DEFAULT_ATTEMPT_TIME)
    out.pop("report", None)
    out.update({f"pulse_temperature_{k}": float(t) for k, t in enumerate(temps)})
    out.update({key: heating[key] for key in ("r_cold", "heating_coefficient")})
    if heating["note"]:
        out["note"] = heating["note"]
    return out
