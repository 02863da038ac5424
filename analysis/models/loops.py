"""Hysteresis loops: anomalous-Hall (field along z) and USMR / in-plane (R_xx^2w vs field
along y) loops, and, with the current as the swept variable, current-switching loops.

Each branch of the loop is a smooth step on a linear background,

    R(x) = offset + slope x + (step / 2) S((x - x_c) / w),   S = tanh or erf,

with the offset, slope and step shared by both branches (the saturated states do not
depend on the sweep direction) and the centre x_c and width w per branch. For the
anomalous Hall effect step = 2 R_AHE (R_xy = R_AHE m_z, m_z from -1 to +1) and the
slope is the ordinary Hall coefficient R_OHE. The branch centres are the coercive
fields: B_c+ on the up sweep, B_c- on the down sweep; exchange bias (B_c+ + B_c-)/2,
coercivity (B_c+ - B_c-)/2, squareness = remanent over saturated step (one for a square
loop, zero for a hard-axis loop).
"""

from __future__ import annotations

import numpy as np
from lmfit import Model
from lmfit.models import update_param_vals
from scipy.special import erf
from uncertainties import wrap

from labspin.analysis.models._common import (
    DataError,
    as_array,
    check_fit,
    correlated,
    nominal,
    same_length,
    summarize,
    weights_from_sigma,
)

UP, DOWN = 1, -1
SHAPES = ("tanh", "erf")


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
                    center_down=0.0, width_up=1.0, width_down=1.0, shape: str = "tanh"):
    """Both branches of a loop; ``branch`` is +1 on the up sweep, -1 on the down sweep."""
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
    crossings = [x[i] - s[i] * (x[i + 1] - x[i]) / (s[i + 1] - s[i]) if s[i + 1] != s[i]
                 else x[i] for i in idx]
    return float(np.median(crossings))


def _branch_width(x: np.ndarray, s: np.ndarray, center: float) -> float:
    """Width from the spread of the points inside the transition (|s| < 0.76 for tanh)."""
    inside = np.abs(s) < 0.76
    spacing = np.median(np.abs(np.diff(np.sort(x)))) if x.size > 1 else 1.0
    if np.count_nonzero(inside) >= 2:
        half = np.percentile(np.abs(x[inside] - center), 90)
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
    for frac in (20, 10, 5):
        lo, hi = np.percentile(x, [frac, 100 - frac])
        low_tail, high_tail = x <= lo, x >= hi
        if np.count_nonzero(low_tail) < 2 or np.count_nonzero(high_tail) < 2:
            break
        tails = low_tail | high_tail
        design = np.column_stack([low_tail[tails], high_tail[tails], x[tails]]).astype(float)
        if slope is not None:
            flat = y - slope * x
            coef = np.array([np.mean(flat[low_tail]), np.mean(flat[high_tail]), slope])
        elif np.ptp(x[low_tail]) == 0 or np.ptp(x[high_tail]) == 0:
            coef = np.array([np.mean(y[low_tail]), np.mean(y[high_tail]), 0.0])
        else:
            coef, *_ = np.linalg.lstsq(design, y[tails], rcond=None)
        resid = np.max(np.abs(design @ coef - y[tails]))
        best = coef
        if resid < 0.2 * abs(coef[1] - coef[0]):
            break
    if best is None:
        raise DataError("too few points in the saturated ends of the sweep to guess a loop")
    return float(best[0]), float(best[1]), float(best[2])


class HysteresisModel(Model):
    """Two-branch hysteresis loop (smooth steps on a shared linear background).

    Independent variables ``x`` (field in T, or pulse current in A) and ``branch``
    (+1 up sweep, -1 down sweep). Parameters: offset, slope, step, center_up,
    center_down, width_up, width_down.
    """

    def __init__(self, shape: str = "tanh", independent_vars=("x", "branch"), prefix="",
                 nan_policy="raise", **kwargs):
        if shape not in SHAPES:
            raise ValueError(f"shape must be one of {SHAPES}, got {shape!r}")
        self.shape = shape
        func = _loop_tanh if shape == "tanh" else _loop_erf
        kwargs.update({"prefix": prefix, "nan_policy": nan_policy,
                       "independent_vars": list(independent_vars)})
        super().__init__(func, **kwargs)
        self.set_param_hint("width_up", min=0.0)
        self.set_param_hint("width_down", min=0.0)

    def guess(self, data, x, branch=None, **kwargs):
        """Saturation levels and slope from the saturated ends of the sweep, the branch
        centres where each branch crosses the mid level."""
        y = as_array(data, "data")
        x = as_array(x, "x")
        same_length(data=y, x=x)
        branch = sweep_branches(x) if branch is None else np.asarray(branch)
        a_lo, a_hi, slope = _saturated_tails(x, y, kwargs.get("slope"))
        step = a_hi - a_lo
        offset = 0.5 * (a_lo + a_hi)
        if step == 0:
            raise DataError("the loop has no step between its saturated ends")
        s = (y - offset - slope * x) / (0.5 * step)
        values = {}
        for name, sign in (("up", UP), ("down", DOWN)):
            sel = branch == sign
            if np.count_nonzero(sel) < 3:
                raise DataError(f"the {name} branch has fewer than 3 points")
            c = _mid_crossing(x[sel], s[sel])
            values[f"center_{name}"] = c
            values[f"width_{name}"] = _branch_width(x[sel], s[sel], c)
        pars = self.make_params(offset=offset, slope=slope, step=step, **values)
        return update_param_vals(pars, self.prefix, **kwargs)


def fit_loop(x, signal, branch=None, *, sigma=None, shape: str = "tanh",
             fix_slope: float | None = None):
    """Fit a two-branch loop; returns the lmfit ModelResult (for plotting) and the
    correlated parameters."""
    x = as_array(x, "x")
    y = as_array(signal, "signal")
    same_length(x=x, signal=y)
    branch = sweep_branches(x) if branch is None else np.where(np.asarray(branch) > 0, UP, DOWN)
    if branch.size != x.size:
        raise DataError("branch must have one entry (+1 up, -1 down) per point")
    model = HysteresisModel(shape=shape)
    params = model.guess(y, x=x, branch=branch,
                         **({} if fix_slope is None else {"slope": fix_slope}))
    # a step sharper than the point spacing has no defined centre between two points:
    # keep the width at a quarter spacing or more so the fit stays non-degenerate
    spacing = float(np.median(np.abs(np.diff(np.sort(x))))) or 1e-12 * float(np.ptp(x))
    for name in ("width_up", "width_down"):
        params[name].set(min=0.25 * spacing, value=max(params[name].value, 0.5 * spacing))
    if fix_slope is not None:
        params["slope"].set(value=fix_slope, vary=False)
    weights = weights_from_sigma(sigma, y.size)
    result = model.fit(y, params, x=x, branch=branch, weights=weights,
                       scale_covar=sigma is None)
    check_fit(result, "hysteresis-loop")
    return result, correlated(result)


def loop_quantities(p: dict, shape: str) -> dict:
    """Physical quantities of a fitted loop from its correlated parameters."""

    def remanence(cu, cd, wu, wd):
        s_down = smooth_step(0.0, cd, wd, shape)
        s_up = smooth_step(0.0, cu, wu, shape)
        return float(0.5 * (s_down - s_up))

    magnitude = p["step"] * (1.0 if nominal(p["step"]) >= 0 else -1.0)
    return {
        "step": p["step"],
        "half_step": 0.5 * p["step"],
        "level_high": p["offset"] + 0.5 * magnitude,
        "level_low": p["offset"] - 0.5 * magnitude,
        "offset": p["offset"],
        "slope": p["slope"],
        "center_up": p["center_up"],
        "center_down": p["center_down"],
        "width_up": p["width_up"],
        "width_down": p["width_down"],
        "bias": 0.5 * (p["center_up"] + p["center_down"]),
        "half_width": 0.5 * (p["center_up"] - p["center_down"]),
        "squareness": wrap(remanence)(p["center_up"], p["center_down"], p["width_up"],
                                      p["width_down"]),
    }


def fit_hysteresis_loop(field, signal, branch=None, *, sigma=None, shape: str = "tanh",
                        fix_slope: float | None = None) -> dict:
    """Fit a field loop (Hall R_xy vs B_z, or R_xx^2w vs B_y) measured on both branches.

    ``branch`` (+1 up sweep, -1 down sweep) is inferred from the sweep direction when
    omitted. ``sigma`` is the noise of one point in signal units; without it the errors
    are scaled by the reduced chi-square. Returns b_c_plus, b_c_minus (T),
    exchange_bias, coercivity, step (signed, high-field minus low-field state), half_step
    (R_AHE for a Hall loop), level_high, level_low (the saturated levels extrapolated to
    zero field, background removed), slope (background per tesla: R_OHE), offset,
    width_up, width_down, squareness, each with ``_stderr``, and the lmfit report.
    """
    result, p = fit_loop(field, signal, branch, sigma=sigma, shape=shape, fix_slope=fix_slope)
    q = loop_quantities(p, shape)
    named = {
        "b_c_plus": q["center_up"], "b_c_minus": q["center_down"],
        "exchange_bias": q["bias"], "coercivity": q["half_width"],
        "step": q["step"], "half_step": q["half_step"],
        "level_high": q["level_high"], "level_low": q["level_low"],
        "slope": q["slope"], "offset": q["offset"],
        "width_up": q["width_up"], "width_down": q["width_down"],
        "squareness": q["squareness"],
    }
    return summarize(named, [result], shape=shape)


def fit_hysteresis_branches(up_field, up_signal, down_field, down_signal, **kwargs) -> dict:
    """:func:`fit_hysteresis_loop` for branches stored as separate arrays."""
    up_x, down_x = as_array(up_field, "up_field"), as_array(down_field, "down_field")
    x = np.concatenate([up_x, down_x])
    y = np.concatenate([as_array(up_signal, "up_signal"), as_array(down_signal, "down_signal")])
    branch = np.concatenate([np.full(up_x.size, UP), np.full(down_x.size, DOWN)])
    return fit_hysteresis_loop(x, y, branch, **kwargs)
