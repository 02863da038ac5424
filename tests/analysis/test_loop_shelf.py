"""A loop whose readout jumps between levels away from its transitions (part of the bar
reversing on its own) is poor for that reason, not for a sweep that is too narrow; a
background the model cannot follow still gets the sweep advice."""

import numpy as np

from labspin.analysis.models.switching import fit_switching_loop
from labspin.analysis.models.thresholds import activated_loop

STEP = 1e-3  # A


def loop(shelf: float = 0.0, bend: float = 0.0, seed: int = 3):
    """0 -> 10 mA -> -10 mA -> 10 mA in 0.25 mA steps, thresholds at +-5 mA; on the last
    up sweep the readout sits ``shelf`` (share of the step) off its level from -3 mA to
    3 mA; ``bend``: a quadratic background (share of the step at 10 mA)."""
    up = np.round(np.arange(-0.010, 0.010 + 1e-9, 0.25e-3), 9)
    x = np.concatenate([up[up >= 0], up[::-1], up])
    branch = np.concatenate([np.ones((up >= 0).sum()), -np.ones(up.size), np.ones(up.size)])
    y = activated_loop(x, branch, offset=10.0, slope=0.0, step=-4.0, center_up=5e-3,
                       center_down=-5e-3, width_up=1e-4, width_down=1e-4, sweep_step=2.5e-4)
    last_up = np.arange(x.size) >= x.size - up.size
    y = y + shelf * 4.0 * (last_up & (np.abs(x) <= 3e-3)) - bend * 4.0 * (x / 0.01) ** 2
    return x, y + np.random.default_rng(seed).normal(0, 2e-3, x.size), branch


def test_a_jump_between_levels_is_named_with_its_place_and_size():
    x, y, branch = loop(shelf=0.04)
    fit = fit_switching_loop(x, y, branch, width=5e-6, thickness=5e-9)
    assert fit["verdict"] == "poor"
    reason = fit["verdict_reason"]
    assert "on the up sweep the readout jumps by 4 % of the step at" in reason, reason
    assert "part of the bar reverses outside the main transitions" in reason
    assert "finer steps" not in reason


def test_a_background_the_model_misses_still_asks_for_a_wider_sweep():
    x, y, branch = loop(bend=0.05)
    fit = fit_switching_loop(x, y, branch, width=5e-6, thickness=5e-9)
    assert fit["verdict"] == "poor"
    assert "sweep a wider range or in finer steps" in fit["verdict_reason"]
    assert "jumps" not in fit["verdict_reason"]


def test_a_clean_loop_has_neither():
    x, y, branch = loop()
    fit = fit_switching_loop(x, y, branch, width=5e-6, thickness=5e-9)
    assert "misses the saturated points" not in fit["verdict_reason"]
