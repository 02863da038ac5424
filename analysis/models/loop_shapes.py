"""Loop lineshapes and the data-driven starting values of a loop fit.

Each branch of a loop is a step on a linear background shared by both branches (the
saturated states do not depend on the sweep direction),

    R(x) = offset + slope x + (step / 2) S_branch(x),

with S from -1 to +1 around a centre x_c and a width w per branch:

* ``activation`` (the default of the fits): thermally activated reversal over a staircase
  sweep, S = 2F - 1 with F of :mod:`labspin.analysis.models.thresholds`; the centre is the
  single-step 50 % threshold and needs the ``sweep_step``;
* ``tanh`` (Langevin-like domain reversal) and ``erf`` (a Gaussian spread of grain
  switching fields), S = tanh((x - x_c) / w) or erf(...), centred where the loop is half
  reversed.
"""

from __future__ import annotations

import numpy as np
from lmfit import Model
from lmfit.models import update_param_vals
from scipy.special import erf

from labspin.analysis.models._common import DataError, as_array, same_length
from labspin.analysis.models.thresholds import activated_loop

UP, DOWN = 1, -1
SHAPES = ("activation", "tanh", "erf")


def smooth_step(x, center: float, width: float, shape: str = "tanh"):
    """Step from -1 to +1 at ``center`` over ``width``: tanh (Langevin-like domain
    reversal) or erf (a Gaussian spread of grain switching fields)."""
    u = (np.asarray(x, dtype=float) - center) / max(abs(width), 1e-300)
    if shape == "tanh":
        return np.tanh(u)
    if shape == "erf":
        return erf(u)
    raise ValueError(f"shape must be one of {SHAPES}, got {shape!r}")


def hysteresis_loop(x, branch, offset=0.0, slope=0.0, step=1.0, center_up=0.0,
                    center_down=0.0, width_up=1.0, width_down=1.0, shape: str = "tanh",
                    sweep_step: float | None = None):
    """Both branches of a loop; ``branch`` is +1 on the up sweep, -1 on the down sweep.
    The ``activation`` shape needs the ``sweep_step`` of the staircase (same unit as x)."""
    if shape == "activation":
        if sweep_step is None or not sweep_step > 0:
            raise ValueError("the activation shape needs the sweep_step (> 0) of the loop")
        return activated_loop(x, branch, offset, slope, step, center_up, center_down,
                              width_up, width_down, sweep_step)
    x = np.asarray(x, dtype=float)
    up = np.asarray(branch) > 0
    s = np.where(up, smooth_step(x, center_up, width_up, shape),
                 smooth_step(x, center_down, width_down, shape))
    return offset + slope * x + 0.5 * step * s


def _loop_tanh(x, branch, offset=0.0, slope=0.0, step=1.0, center_up=0.0, center_down=0.0,
               width_up=1.0, width_down=1.0):
    return hysteresis_loop(x, branch, offset, slope, step, center_up, center_down,
                           width_up, width_down, "tanh")


def _loop_erf(x, branch, offset=0.0, slope=0.0, step=1.0, center_up=0.0, center_down=0.0,
              width_up=1.0, width_down=1.0):
    return hysteresis_loop(x, branch, offset, slope, step, center_up, center_down,
                           width_up, width_down, "erf")


def _loop_activation(x, branch, offset=0.0, slope=0.0, step=1.0, center_up=0.0,
                     center_down=0.0, width_up=1.0, width_down=1.0, sweep_step=1.0):
    return activated_loop(x, branch, offset, slope, step, center_up, center_down,
                          width_up, width_down, sweep_step)


def sweep_branches(x) -> np.ndarray:
    """+1 where the swept variable increases, -1 where it decreases (a turning point
    takes the direction of the sweep that follows it)."""
    x = np.asarray(x, dtype=float)
    d = np.sign(np.diff(x))
    if d.size == 0 or not np.any(d):
        raise DataError("cannot tell the sweep direction: the swept variable never changes; "
                        "pass the branch (+1 up, -1 down) explicitly")
    # fill flat stretches from the previous direction, the first ones from the next
    for i in range(1, d.size):
        if d[i] == 0:
            d[i] = d[i - 1]
    first = d[np.nonzero(d)[0][0]]
    d[d == 0] = first
    return np.append(d, d[-1]).astype(int)


def _mid_crossing(x: np.ndarray, s: np.ndarray) -> float:
    """Where a normalised branch (-1..+1) crosses zero, by linear interpolation; for a
    noisy branch the crossing nearest the median of all sign changes."""
    order = np.argsort(x)
    x, s = x[order], s[order]
    idx = np.nonzero(np.diff(np.sign(s)) != 0)[0]
    if idx.size == 0:
        return float(x[np.argmin(np.abs(s))])
    crossings = sorted(float(x[i] - s[i] * (x[i + 1] - x[i]) / (s[i + 1] - s[i]))
                       if s[i + 1] != s[i] else float(x[i]) for i in idx)
    middle = len(crossings) // 2
    return crossings[middle] if len(crossings) % 2 else 0.5 * (crossings[middle - 1]
                                                                + crossings[middle])


def _quantile(values: np.ndarray, q: float) -> float:
    """The q-quantile (0..1) of ``values`` by partial sorting (nearest rank; numpy's
    percentile and median cost tens of microseconds each, too much inside a fit)."""
    k = min(max(round(q * (values.size - 1)), 0), values.size - 1)
    return float(np.partition(values, k)[k])


def _branch_width(x: np.ndarray, s: np.ndarray, center: float) -> float:
    """Width from the spread of the points inside the transition (|s| < 0.76 for tanh)."""
    inside = np.abs(s) < 0.76
    spacing = _quantile(np.abs(np.diff(np.sort(x))), 0.5) if x.size > 1 else 1.0
    if np.count_nonzero(inside) >= 2:
        half = _quantile(np.abs(x[inside] - center), 0.9)
        return float(max(half, spacing))
    return float(max(spacing, 1e-3 * np.ptp(x)))


def _saturated_tails(x: np.ndarray, y: np.ndarray,
                     slope: float | None = None) -> tuple[float, float, float]:
    """Levels at x = 0 of the low-x and high-x saturated states and the shared slope
    (fitted, or the given ``slope`` when the background is known, e.g. none for a
    switching loop: narrow tails cannot fix a slope and would spoil the levels).

    The tails are the outer 20 % of the sweep, shrunk to 10 % and 5 % while a branch is
    still switching inside them (a point far from the tail line), so a loop swept only
    just past its switching points still gets a sane background.
    """
    best = None
    ordered = np.sort(x)
    d = np.diff(y)
    # the read noise, roughly: robust scatter of consecutive changes (jumps drop out)
    noise = 1.4826 * float(np.median(np.abs(d - np.median(d)))) / np.sqrt(2) if d.size \
        else 0.0
    for frac in (20, 10, 5):
        lo = ordered[round(frac / 100 * (x.size - 1))]
        hi = ordered[round((1 - frac / 100) * (x.size - 1))]
        low_tail, high_tail = x <= lo, x >= hi
        if np.count_nonzero(low_tail) < 2 or np.count_nonzero(high_tail) < 2:
            break
        tails = low_tail | high_tail
        design = np.column_stack([low_tail[tails], high_tail[tails], x[tails]]).astype(float)
        if slope is not None:
            flat = y - slope * x
            coef = np.array([np.mean(flat[low_tail]), np.mean(flat[high_tail]), slope])
        elif min(np.ptp(x[low_tail]), np.ptp(x[high_tail])) <= 0.02 * np.ptp(x):
            coef = np.array([np.mean(y[low_tail]), np.mean(y[high_tail]), 0.0])
        else:
            coef, *_ = np.linalg.lstsq(design, y[tails], rcond=None)
        resid = np.max(np.abs(design @ coef - y[tails]))
        best = coef
        # a tail still switching (a point part way between the levels) is not a tail:
        # it would tilt the slope, even turn the step over (a loop swept just past its
        # thresholds, one point each side saturated)
        if resid < min(0.2 * abs(coef[1] - coef[0]),
                       max(8 * noise, 0.02 * abs(coef[1] - coef[0]))):
            break
    else:
        if best is not None and slope is None:  # no clean tail: a level guess, no slope
            lo = ordered[round(0.05 * (x.size - 1))]
            hi = ordered[round(0.95 * (x.size - 1))]
            best = np.array([np.median(y[x <= lo]), np.median(y[x >= hi]), 0.0])
    if best is None:
        raise DataError("too few points in the saturated ends of the sweep to guess a loop")
    return float(best[0]), float(best[1]), float(best[2])


def sweep_step_of(x: np.ndarray, branch: np.ndarray) -> float:
    """The step of a staircase sweep: the median change between consecutive points of
    one branch (turning points and repeated points left out)."""
    same = branch[1:] == branch[:-1]
    steps = np.abs(np.diff(x))[same]
    steps = steps[steps > 1e-9 * max(float(np.ptp(x)), 1e-300)]
    if steps.size == 0:
        raise DataError("the swept variable does not change along a branch")
    return _quantile(steps, 0.5)


def guess_loop(x: np.ndarray, y: np.ndarray, branch: np.ndarray,
               slope: float | None = None) -> dict[str, float]:
    """Starting values: saturation levels and slope from the saturated ends of the sweep,
    each branch's half-reversal point where it crosses the mid level, widths from the
    spread of the points inside the transitions."""
    a_lo, a_hi, fitted_slope = _saturated_tails(x, y, slope)
    step = a_hi - a_lo
    offset = 0.5 * (a_lo + a_hi)
    if abs(step) <= 1e-9 * max(abs(a_lo), abs(a_hi), 1e-300):
        raise DataError("the loop has no step between its saturated ends")
    s = (y - offset - fitted_slope * x) / (0.5 * step)
    values = {"offset": offset, "slope": fitted_slope, "step": step}
    for name, sign in (("up", UP), ("down", DOWN)):
        sel = branch == sign
        if np.count_nonzero(sel) < 3:
            raise DataError(f"the {name} branch has fewer than 3 points")
        c = _mid_crossing(x[sel], s[sel])
        values[f"center_{name}"] = c
        values[f"width_{name}"] = _branch_width(x[sel], s[sel], c)
    return values


class HysteresisModel(Model):
    """Two-branch hysteresis loop (steps on a shared linear background), for fitting by
    hand with lmfit; :func:`labspin.analysis.models.loops.fit_hysteresis_loop` is faster
    and adds the uncertainties of the thresholds.

    Independent variables ``x`` (field in T, or pulse current in A) and ``branch``
    (+1 up sweep, -1 down sweep). Parameters: offset, slope, step, center_up,
    center_down, width_up, width_down, and for the ``activation`` shape the fixed
    ``sweep_step``.
    """

    def __init__(self, shape: str = "tanh", independent_vars=("x", "branch"), prefix="",
                 nan_policy="raise", **kwargs):
        if shape not in SHAPES:
            raise ValueError(f"shape must be one of {SHAPES}, got {shape!r}")
        self.shape = shape
        func = {"tanh": _loop_tanh, "erf": _loop_erf, "activation": _loop_activation}[shape]
        kwargs.update({"prefix": prefix, "nan_policy": nan_policy,
                       "independent_vars": list(independent_vars)})
        super().__init__(func, **kwargs)
        self.set_param_hint("width_up", min=0.0)
        self.set_param_hint("width_down", min=0.0)
        if shape == "activation":
            self.set_param_hint("sweep_step", vary=False)

    def guess(self, data, x, branch=None, **kwargs):
        """:func:`guess_loop` (and the sweep step of the staircase)."""
        y = as_array(data, "data")
        x = as_array(x, "x")
        same_length(data=y, x=x)
        branch = sweep_branches(x) if branch is None else np.asarray(branch)
        values = guess_loop(x, y, branch, kwargs.get("slope"))
        if self.shape == "activation":
            values["sweep_step"] = sweep_step_of(x, branch)
        pars = self.make_params(**values)
        return update_param_vals(pars, self.prefix, **kwargs)
