"""The verdict of a fitted loop (field or current): did it switch, are its thresholds
inside the sweep, are their errors small enough to quote (VERDICT.md)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from labspin.analysis.formatting import si
from labspin.analysis.models._common import (
    NOT_DETERMINED,
    POOR,
    escalate,
    redchi_check,
    sigma_check,
    worsen,
)
from labspin.analysis.models.thresholds import segments

if TYPE_CHECKING:
    from labspin.analysis.models.loop_errors import LoopFit

#: a step smaller than this many read-noise sigmas is not a reversal
MIN_STEP_OVER_NOISE = 5.0


def _never_switched(result: dict, loop: LoopFit) -> str | None:
    step, err = result.get("step", math.nan), result.get("step_stderr", math.nan)
    if math.isfinite(step) and abs(step) < MIN_STEP_OVER_NOISE * loop.noise:
        err = math.inf  # no reversal whatever the fit made of its error (said below)
    if not math.isfinite(step) or math.isnan(err):
        return "the loop fit gives no step with an error"
    background = loop.fit.values.get("slope", 0.0) * loop.x
    swing = float(np.ptp(loop.fit.best_fit - background)) if loop.x.size else 0.0
    if swing < 0.5 * abs(step):
        return (f"the loop never switched inside the sweep: the fitted levels differ by "
                f"{step:.3g} but only {swing:.3g} of that lies between the swept points")
    if abs(step) < MIN_STEP_OVER_NOISE * loop.noise:
        return (f"the loop never switched: its step {step:.3g} is within "
                f"{MIN_STEP_OVER_NOISE:g} times the read noise {loop.noise:.2g} (signal units)")
    if abs(step) < 3 * err:
        return (f"the loop never switched: its step {step:.3g} is not 3 sigma ({err:.2g}) "
                "away from zero")
    return None


#: the saturated points' scatter about the fitted curve, over the read noise, above
#: which the curve misses the data (a wrong background or wrong levels)
MISS_RATIO = 2.0
#: fewer saturated points than this at either level: step and background not separable
MIN_SATURATED = 3


def saturated_points(loop: LoopFit) -> np.ndarray:
    """The points the levels rest on: more than 8 widths from their branch's threshold
    and not left out of the fit (caught half way through a pinned transition)."""
    v, x, b = loop.fit.values, loop.x, loop.branch
    if b.size != x.size:
        return np.zeros(x.shape, dtype=bool)
    far = np.where(b > 0, np.abs(x - v["center_up"]) / v["width_up"],
                   np.abs(x - v["center_down"]) / v["width_down"])
    out = far > 8
    if loop.excluded.size == x.size:
        out &= ~loop.excluded
    return out


def _misses_data(loop: LoopFit, y: np.ndarray, unit: str) -> str | None:
    """Why the fitted curve misses the saturated points (None when it does not): their
    scatter about it, far above the read noise from consecutive points (which a slow
    miss, a wrong background or level, leaves out), with a chi-square tail below 0.1 %."""
    from scipy.stats import chi2

    from labspin.analysis.models.loop_shapes import hysteresis_loop

    sat = saturated_points(loop)
    n = int(np.count_nonzero(sat))
    dof = n - 3
    if dof < 3 or not loop.noise > 0:
        return None
    extra = {"sweep_step": loop.sweep_step} if loop.shape == "activation" else {}
    names = ("offset", "slope", "step", "center_up", "center_down", "width_up", "width_down")
    model = hysteresis_loop(loop.x, loop.branch, shape=loop.shape,
                            **{k: loop.fit.values[k] for k in names}, **extra)
    # noiseless (simulated) data: misses below 0.01 % of the step are below anything a
    # loop quotes (a switching loop's levels drift that much with the pulses)
    noise = max(loop.noise, 1e-4 * abs(loop.fit.values["step"]))
    r = (y - model)[sat] / noise
    stat = float(r @ r)
    ratio = math.sqrt(stat / dof)
    if ratio > MISS_RATIO and stat > chi2.ppf(0.999, dof):
        shelf = _off_level_shelf(loop, y, sat, unit)
        if shelf is not None:
            return (f"the fitted curve misses the saturated points: {shelf}; part of the bar "
                    "reverses outside the main transitions (regions heated or weak enough "
                    "to turn on their own), so the step is less than the whole bar's and "
                    "the levels are not flat; the thresholds are those of the main "
                    "transitions")
        return (f"the fitted curve misses the saturated points: their scatter about it is "
                f"{ratio:.1f} times the read noise (the levels or the background are not "
                "those of the data); sweep a wider range or in finer steps")
    return None


#: a jump between consecutive saturated points of one sweep larger than this share of the
#: step (and than SHELF_SIGMAS read-noise sigmas) is part of the bar reversing on its own
SHELF_SHARE, SHELF_SIGMAS = 0.01, 5.0


def _off_level_shelf(loop: LoopFit, y: np.ndarray, sat: np.ndarray, unit: str
                     ) -> str | None:
    """Where the readout jumps between two consecutive saturated points of one sweep (by
    more than SHELF_SHARE of the step and SHELF_SIGMAS read-noise sigmas), said as "on the
    up sweep the readout jumps by 4 % of the step at 1.5 mA (3 such jumps)"; the largest,
    or None. Such a jump is part of the bar reversing away from the transitions: its
    levels are not flat. A wrong background misses smoothly instead."""
    step = abs(loop.fit.values["step"]) or 1.0
    floor = max(SHELF_SHARE * step, SHELF_SIGMAS * math.sqrt(2.0) * loop.noise)
    jumps: list[tuple[float, int]] = []
    for run in segments(loop.branch):
        both = sat[run][1:] & sat[run][:-1]
        d = np.diff(y[run])
        for k in np.flatnonzero(both & (np.abs(d) > floor)):
            jumps.append((abs(float(d[k])), int(run[k + 1])))
    if not jumps:
        return None
    size, at = max(jumps)
    sweep = "up" if loop.branch[at] > 0 else "down"
    more = f" ({len(jumps)} such jumps)" if len(jumps) > 1 else ""
    return (f"on the {sweep} sweep the readout jumps by {100 * size / step:.0f} % of the step "
            f"at {si(float(loop.x[at]), unit)}, far from the thresholds{more}")


def _few_saturated(loop: LoopFit, y: np.ndarray) -> str | None:
    """Why the step and the background cannot be told apart (None when they can): a
    level with fewer than MIN_SATURATED saturated points, or all of them at one field."""
    if "slope" not in loop.fit.var_names:
        return None
    sat = saturated_points(loop)
    v = loop.fit.values
    centred = y - v["offset"] - v["slope"] * loop.x
    for level, sel in (("high", centred * np.sign(v["step"] or 1.0) > 0),
                       ("low", centred * np.sign(v["step"] or 1.0) <= 0)):
        at = sat & sel
        if np.count_nonzero(at) < MIN_SATURATED or np.ptp(loop.x[at]) < loop.sweep_step:
            return (f"only {np.count_nonzero(at)} points lie saturated at the {level} "
                    "level: the step and the background slope are hardly separable; "
                    "sweep a wider range (several steps beyond the thresholds)")
    return None


def _unswitched_branch(y: np.ndarray, x: np.ndarray, sel: np.ndarray, result: dict,
                       loop: LoopFit) -> str | None:
    """Why a branch shows no reversal of its own (None when it does): one sweep of it,
    points measured one after the other, must visit both fitted levels. A loop swept
    from a state the bar already left (a single loop that starts where its first sweep
    leaves the bar, the first loop after a bias change, a branch cut short) has a fitted
    threshold that no data point put there: its first and last sweeps may each sit at
    one level, which only together look like a reversal."""
    high, low = result.get("level_high", math.nan), result.get("level_low", math.nan)
    if not (math.isfinite(high) and math.isfinite(low)) or high == low:
        return None
    slope = result.get("slope", 0.0)
    slope = slope if math.isfinite(slope) else 0.0
    centred = y - slope * x - 0.5 * (high + low)
    margin = 0.25 * abs(high - low)  # half way from the middle to either level
    where = np.flatnonzero(sel)  # the branch's points, split into its sweeps
    sweeps = np.split(where, np.flatnonzero(np.diff(where) > 1) + 1)
    if any(np.any(centred[k] > margin) and np.any(centred[k] < -margin) for k in sweeps):
        return None
    visited = centred[sel]
    if len(sweeps) > 1 and np.any(visited > margin) and np.any(visited < -margin):
        return ("no sweep of this branch reversed the bar: one stays at each level (the "
                "bar started in the state this branch switches it to; sweep more than "
                "one loop, the first prepares the state)")
    level = "upper" if np.all(visited >= -margin) else "lower" \
        if np.all(visited <= margin) else "neither"
    return f"its points stay at the {level} level: the branch shows no reversal"


def step_names_first(names: Iterable[str]) -> str:
    """The headline quantity of the step (the first of ``step_names``)."""
    return next(iter(names), "step")


def judge_loop(result: dict, loop: LoopFit, x: np.ndarray, branch: np.ndarray, *, plus: str,
               minus: str, unit: str, sigma_given: bool,
               also: Mapping[str, Iterable[str]], step_names: Iterable[str],
               signal: np.ndarray | None = None) -> dict:
    """Set the verdict of a loop result: not determined when the loop did not switch;
    a threshold outside the range its branch swept, of a branch whose points never left
    one level (``signal`` given), or with a sigma as large as itself, is not determined
    (with the quantities built on it, ``also``); poor for a sigma above 30 % of the
    value, and (errors given as ``sigma``) for a reduced chi-square far from 1.
    Returns ``result``."""
    why = _never_switched(result, loop)
    if why:
        return worsen(result, NOT_DETERMINED, why)
    for name, sign in ((plus, 1), (minus, -1)):
        sel = branch == sign
        low, high = float(np.min(x[sel])), float(np.max(x[sel]))
        value = result.get(name, math.nan)
        flat = _unswitched_branch(np.asarray(signal, dtype=float).ravel(), x, sel, result,
                                  loop) if signal is not None else None
        if flat is not None and math.isfinite(value):
            worsen(result, POOR, f"{name}: {flat}", [name, *also.get(name, ())])
        elif math.isfinite(value) and not (low <= value <= high):
            worsen(result, POOR, f"{name}: threshold {si(value, unit)} outside the swept "
                   f"range {si(low, unit)}..{si(high, unit)}", [name, *also.get(name, ())])
    if signal is not None and loop.x.size:
        y = np.asarray(signal, dtype=float).ravel()
        for why in (_misses_data(loop, y, unit), _few_saturated(loop, y)):
            if why:
                worsen(result, POOR, f"{step_names_first(step_names)}: {why}")
    if loop.single_jump:
        worsen(result, POOR, f"{plus}, {minus}: each branch reversed in one jump, so this "
               "loop shows neither the number of reversing regions nor their spread; the "
               "errors assume a single activated region: repeat the loop (Loops > 1) or "
               "sweep in finer steps")
    # a smooth-step (tanh, erf) loop may be a hard-axis loop: thresholds at zero are then
    # its result; an activated reversal has a threshold away from zero
    zero_ok = [plus, minus] if loop.shape != "activation" else []
    sigma_check(result, [plus, minus], units={plus: unit, minus: unit}, also=also,
                may_be_zero=zero_ok)
    sigma_check(result, ["step"], also={"step": tuple(step_names)})
    if sigma_given and loop.shape != "activation":
        redchi_check(result, loop.fit.redchi, loop.fit.nfree, "loop")
    return escalate(result, [plus, minus],
                    "neither threshold of the loop is determined")
