"""The sigmas of I_50, Delta_0 and I_c0 from switching-probability runs cover the truth
over many repetitions of one simulated run (new trials each time).

Each trial reverses each grain of the bar with the probability the Device computes for
one pulse (coverage_sim); the run records the reversed fraction per trial, as
SwitchingProbability's "Switched fraction". Truth: I_50 is the current one pulse of which
reverses half of the bar (grain-averaged probability); for a bar without Joule heating
and with identical grains the activation law is exact, so Delta_0 is the preset's barrier
and I_c0 the in-plane antidamping threshold the Device applies (4/pi alpha (B_K +
M_eff/2) / |B_DL per ampere|, test_probability.textbook_threshold)."""

from __future__ import annotations

import numpy as np

from labspin.analysis.models.probability import (
    fit_pulse_width_dependence,
    fit_switching_probability,
    half_switching_current,
)
from labspin.physics import preset

from .coverage_sim import assert_calibrated, pulse_table, single_step_threshold, z_scores
from .helpers import cold
from .test_probability import textbook_threshold

N = 50
TRIALS = 40


def measure(table: np.ndarray, rng: np.random.Generator):
    """Mean reversed fraction and its per-trial standard deviation per amplitude."""
    fractions = (rng.random((TRIALS, *table.shape)) < table).mean(axis=2)
    return fractions.mean(axis=0), fractions.std(axis=0, ddof=1)


def curve(params, width: float, i_50_guess: float):
    amplitudes = np.linspace(0.93 * i_50_guess, 1.07 * i_50_guess, 9)
    return amplitudes, pulse_table(params, amplitudes, width)


def test_half_current_barrier_and_threshold_of_one_curve():
    params = cold("py-nio", grains=8)
    i_c0, delta_0, width = textbook_threshold(params), params.kinetics.barrier, 1e-4
    amplitudes, table = curve(params, width, half_switching_current(width, i_c0, delta_0))
    i_50 = single_step_threshold(table, amplitudes)
    fits = []
    for k in range(N):
        share, spread = measure(table, np.random.default_rng(k))
        fits.append(fit_switching_probability(amplitudes, share, pulse_width=width,
                                              trials=TRIALS, sample_sd=spread))
    assert all(f["verdict"] == "ok" for f in fits), fits[0]["verdict_reason"]
    assert_calibrated(z_scores(fits, "i_50", i_50), N, "I_50")
    assert_calibrated(z_scores(fits, "delta_0", delta_0), N, "Delta_0")
    assert_calibrated(z_scores(fits, "i_c0", i_c0), N, "I_c0")


def test_threshold_and_barrier_across_pulse_widths():
    params = cold("py-nio", grains=8)
    i_c0, delta_0 = textbook_threshold(params), params.kinetics.barrier
    widths = (1e-6, 1e-4, 1e-2)
    curves = [curve(params, w, half_switching_current(w, i_c0, delta_0)) for w in widths]
    fits = []
    for k in range(N):
        rng = np.random.default_rng(100 + k)
        per_width = []
        for width, (amplitudes, table) in zip(widths, curves, strict=True):
            share, spread = measure(table, rng)
            per_width.append(fit_switching_probability(amplitudes, share, pulse_width=width,
                                                       trials=TRIALS, sample_sd=spread))
        fits.append(fit_pulse_width_dependence(widths, [f["i_50"] for f in per_width],
                                               [f["i_50_stderr"] for f in per_width]))
    assert_calibrated(z_scores(fits, "i_c0", i_c0), N, "I_c0 across widths")
    assert_calibrated(z_scores(fits, "delta_0", delta_0), N, "Delta_0 across widths")


def test_half_current_of_a_heated_bar_of_scattered_grains():
    """py-nio as preset (Joule heating during the pulse, 32 grains whose barriers
    scatter): I_50 stays the current that reverses half of the bar."""
    params = preset("py-nio")
    amplitudes = np.linspace(0.0235, 0.027, 9)  # around the model's 25.4 mA
    table = pulse_table(params, amplitudes, 1e-3)
    i_50 = single_step_threshold(table, amplitudes)
    fits = []
    for k in range(N):
        share, spread = measure(table, np.random.default_rng(200 + k))
        fits.append(fit_switching_probability(amplitudes, share, pulse_width=1e-3,
                                              trials=TRIALS, sample_sd=spread))
    assert_calibrated(z_scores(fits, "i_50", i_50), N, "I_50 (heated, scattered grains)")
