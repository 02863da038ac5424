"""Loops swept in coarse steps: one point caught part way through each transition (a
USMR loop over +-10 mT in 1 mT steps), or only a few saturated points beyond the
thresholds (a Hall loop swept just past them). The step must come out right with an
honest sigma, and a curve that misses the data must not be 'ok'."""

from __future__ import annotations

import numpy as np

from labspin.analysis.models.loop_checks import judge_loop
from labspin.analysis.models.loops import fit_hysteresis_loop, fit_loop

LEVEL = 4.568e-3  # ohm: half the step of R_xx^2w
NOISE = 6e-6


def coarse_loop(rng: np.random.Generator, caught: tuple[float, float] = (0.7, 0.66),
                slope: float = 0.0):
    """+10 mT down to -10 mT and back in 1 mT steps; the bar reverses between -3 and
    -4 mT (down) and between +3 and +4 mT (up), the point at -4 / +4 mT caught with the
    given share reversed; the rest saturated."""
    fields = np.round(np.arange(0.01, -0.0105, -0.001), 12)
    x, y, branch = [], [], []
    for sweep, sign in ((fields, -1), (fields[::-1], 1)):
        for b in sweep:
            if sign < 0:
                share = 0.0 if b > -0.0035 else caught[1] if b > -0.0045 else 1.0
                m = 1.0 - 2.0 * share
            else:
                share = 0.0 if b < 0.0035 else caught[0] if b < 0.0045 else 1.0
                m = -1.0 + 2.0 * share
            x.append(b + rng.normal(0, 5e-6))
            y.append(LEVEL * m + slope * b + rng.normal(0.0, NOISE))
            branch.append(sign)
    return np.array(x), np.array(y), np.array(branch)


def test_one_point_per_transition_does_not_tilt_the_background():
    """Old fit: slope 9 mOhm/T invented, step 3-4 % low by 30-60 sigma, verdict ok."""
    z = []
    for seed in range(12):
        x, y, b = coarse_loop(np.random.default_rng(seed))
        fit = fit_hysteresis_loop(x, y, b)
        assert fit["verdict"] == "ok", fit["verdict_reason"]
        z.append((fit["step"] - 2 * LEVEL) / fit["step_stderr"])
        assert abs(fit["slope"]) < 4 * fit["slope_stderr"]
    z = np.array(z)
    assert np.all(np.abs(z) < 4), z
    assert abs(z.mean()) < 1.0 and 0.4 < np.sqrt(np.mean(z**2)) < 1.6, z


def test_a_real_background_is_still_found_on_a_coarse_loop():
    x, y, b = coarse_loop(np.random.default_rng(3), slope=0.05)
    fit = fit_hysteresis_loop(x, y, b)
    assert abs(fit["slope"] - 0.05) < 4 * fit["slope_stderr"]
    assert abs(fit["step"] - 2 * LEVEL) < 4 * fit["step_stderr"]


def test_a_curve_that_misses_the_data_is_poor():
    """The levels of a fitted loop moved off the data (as the old fit left them): the
    structure check says so, with the advice."""
    x, y, b = coarse_loop(np.random.default_rng(1))
    loop = fit_loop(x, y, b)
    loop.fit.values["slope"] = 9.4e-3
    loop.fit.values["step"] *= 0.96
    result = {"step": loop.fit.values["step"], "step_stderr": 6e-6, "b_c_plus": 3.5e-3,
              "b_c_plus_stderr": 3e-4, "b_c_minus": -3.5e-3, "b_c_minus_stderr": 3e-4,
              "level_high": LEVEL, "level_low": -LEVEL, "slope": 9.4e-3,
              "verdict": "ok", "verdict_reason": "", "undetermined": ""}
    judge_loop(result, loop, x, b, plus="b_c_plus", minus="b_c_minus", unit="T",
               sigma_given=False, also={}, step_names=("step",), signal=y)
    assert result["verdict"] == "poor"
    assert "misses the saturated points" in result["verdict_reason"]
    assert "wider range" in result["verdict_reason"]


def test_too_few_saturated_points_say_so():
    """Swept to only just past broad transitions (a hard-axis-like loop): no level has
    points clear of them, so the step and the background are not separable, and the
    verdict says so with the advice."""
    rng = np.random.default_rng(5)
    fields = np.round(np.arange(0.005, -0.0055, -0.0005), 12)
    x, y, b = [], [], []
    for sweep, sign in ((fields, -1), (fields[::-1], 1)):
        for f in sweep:
            x.append(f)
            y.append(LEVEL * np.tanh((f + sign * 0.001) / 0.0015) + rng.normal(0, NOISE))
            b.append(sign)
    fit = fit_hysteresis_loop(np.array(x), np.array(y), np.array(b))
    assert fit["verdict"] != "ok"
    assert "wider range" in fit["verdict_reason"]
