"""Current-switching loops: pulse amplitude swept up and down, a readout after each pulse.

The loop is the field loop of :mod:`loops` with the pulse current as the swept variable
(the state after a pulse of current I, read at a small current). By default each branch
is fitted as thermally activated reversal over the staircase of pulses
(:mod:`.thresholds`), so the critical currents are the single-pulse 50 % switching
currents at the loop's pulse width: I_c+ (up sweep) and I_c- (down sweep) are the I_50
a switching-probability measurement at that width finds, not the (lower, step-dependent)
current at which the loop is half reversed. From them:

* current densities J_c = I_c / (w t) over the conducting cross-section (for an FM/AFMI
  bar the FM alone; for Pt/Py the whole metal stack, as labspin.physics does);
* switching ratio = step of the current loop / step of the field loop, the share of the
  bar that the current reverses (Choi et al. 2025 compare it between stacks);
* energy per switching event E = I_c^2 R t_p (PHYSICS.md: with the current that
  actually flows and the bar's resistance during the pulse).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from uncertainties import ufloat

from labspin.analysis.models._common import DataError, nominal, summarize, with_verdict
from labspin.analysis.models.loop_checks import judge_loop
from labspin.analysis.models.loops import (
    DOWN,
    UP,
    HysteresisModel,
    fit_loop,
    loop_extras,
    loop_quantities,
    sweep_branches,
)

__all__ = ["SwitchingLoopModel", "current_density", "fit_switching_loop", "switching_energy"]


class SwitchingLoopModel(HysteresisModel):
    """Two-branch current loop: ``x`` is the pulse current (A), ``branch`` +1 while the
    amplitude is swept up and -1 while it is swept down."""


def current_density(current, width: float, thickness: float):
    """J = I / (w t), A/m^2, for a bar ``width`` wide with conducting ``thickness``."""
    if not (width > 0 and thickness > 0):
        raise DataError(f"width and thickness must be positive, got {width!r}, {thickness!r}")
    return current / (width * thickness)


def switching_energy(current, resistance: float, pulse_width: float):
    """Energy per switching event E = I^2 R t_p, J."""
    return current**2 * resistance * pulse_width


def _field_step(field_loop_step):
    """The field-loop step as a ufloat: a number, a (value, stderr) pair or the dict
    returned by :func:`labspin.analysis.models.loops.fit_hysteresis_loop`."""
    if field_loop_step is None:
        return None
    if isinstance(field_loop_step, Mapping):
        value, err = field_loop_step["step"], field_loop_step.get("step_stderr", 0.0)
    elif isinstance(field_loop_step, tuple):
        value, err = field_loop_step
    else:
        value, err = field_loop_step, 0.0
    return ufloat(float(value), float(err)) if err else float(value)


def fit_switching_loop(current, signal, branch=None, *, width: float, thickness: float,
                       field_loop_step=None, resistance: float | None = None,
                       pulse_width: float | None = None, sigma=None,
                       shape: str = "activation", fix_slope: float | None = 0.0) -> dict:
    """Fit a current-switching loop and derive the critical currents and their costs.

    ``current`` is the signed pulse amplitude (A) before each readout ``signal``, in the
    order measured; ``branch`` (+1 up sweep, -1 down sweep) is inferred from the sweep
    when omitted. ``width`` and ``thickness`` give the conducting cross-section (m). The
    readout is taken at a fixed small current, so it has no background in the pulse
    current: ``fix_slope=0`` by default (pass None to fit one, e.g. for a heated readout).

    Returns i_c_plus, i_c_minus (A; module doc), i_c_shift (the loop's offset in
    current, (I_c+ + I_c-)/2: a field along the easy axis or a bias shifts it), j_c_plus,
    j_c_minus (A/m^2), step, half_step, level_high, level_low, width_up, width_down;
    switching_ratio (|step| over the |step| of ``field_loop_step``) when that is given;
    energy_plus, energy_minus (J) when ``resistance`` (ohm) and ``pulse_width`` (s) are
    given; each with ``_stderr``; shape, sweep_step, read_noise, reversing_regions, the
    verdict and the fit report.
    """
    if (resistance is None) != (pulse_width is None):
        raise DataError("give both resistance and pulse_width for the switching energy")
    loop = fit_loop(current, signal, branch, sigma=sigma, shape=shape, fix_slope=fix_slope)
    q = loop_quantities(loop)
    i_plus, i_minus = q["center_up"], q["center_down"]
    named = {
        "i_c_plus": i_plus, "i_c_minus": i_minus, "i_c_shift": q["bias"],
        "j_c_plus": current_density(i_plus, width, thickness),
        "j_c_minus": current_density(i_minus, width, thickness),
        "step": q["step"], "half_step": q["half_step"],
        "level_high": q["level_high"], "level_low": q["level_low"],
        "width_up": q["width_up"], "width_down": q["width_down"],
        "offset": q["offset"], "slope": q["slope"],
    }
    field_step = _field_step(field_loop_step)
    if field_step is not None:
        if nominal(field_step) == 0:
            raise DataError("the field-loop step is zero: no switching ratio")
        named["switching_ratio"] = q["step"] / field_step * float(
            np.sign(nominal(q["step"])) * np.sign(nominal(field_step)))
    if resistance is not None:
        named["energy_plus"] = switching_energy(i_plus, resistance, pulse_width)
        named["energy_minus"] = switching_energy(i_minus, resistance, pulse_width)
    result = with_verdict(summarize(named, [loop.fit], **loop_extras(loop)))
    x = np.asarray(current, dtype=float).ravel()
    branch_arr = sweep_branches(x) if branch is None else np.where(np.asarray(branch) > 0,
                                                                    UP, DOWN)
    per_polarity = {"i_c_plus": ("j_c_plus", "energy_plus", "i_c_shift"),
                    "i_c_minus": ("j_c_minus", "energy_minus", "i_c_shift")}
    return judge_loop(result, loop, x, branch_arr, plus="i_c_plus", minus="i_c_minus",
                      unit="A", sigma_given=sigma is not None, also=per_polarity,
                      step_names=("step", "half_step", "level_high", "level_low",
                                  "switching_ratio"), signal=signal)
