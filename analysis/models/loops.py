"""Hysteresis loops: anomalous-Hall (field along z) and USMR / in-plane (R_xx^2w vs field
along y) loops, and, with the current as the swept variable, current-switching loops.

Each branch of the loop is a step on a linear background (:mod:`.loop_shapes`), the
offset, slope and step shared by both branches, the centre and width per branch. For the
anomalous Hall effect step = 2 R_AHE (R_xy = R_AHE m_z, m_z from -1 to +1) and the slope
is the ordinary Hall coefficient R_OHE. The branch centres are the thresholds: B_c+ on
the up sweep, B_c- on the down sweep; loop shift (exchange bias) (B_c+ + B_c-)/2,
coercivity (B_c+ - B_c-)/2, squareness = remanent over saturated step (one for a square
loop, zero for a hard-axis loop).

By default the branches are fitted as thermally activated reversal over the staircase of
the sweep (:mod:`.thresholds`): the centres are then the single-step 50 % thresholds, and
their uncertainties contain the read noise, the randomness of reversal, the sweep step,
the model and the calibration of x (see there and README, "What each sigma contains").
"""

from __future__ import annotations

import math

import numpy as np
from uncertainties import UFloat, ufloat

from labspin.analysis.models._common import (
    DataError,
    FitError,
    as_array,
    same_length,
    summarize,
    with_verdict,
)
from labspin.analysis.models._loop_kernels import JACOBIAN_COLUMNS, loop_jacobian
from labspin.analysis.models._lsq import LeastSquaresFit, fit_least_squares
from labspin.analysis.models.loop_checks import judge_loop
from labspin.analysis.models.loop_errors import (
    CENTRES,
    LoopFit,
    activation_covariance,
    add_threshold_terms,
    levels_reweighted,
    partial_points,
)
from labspin.analysis.models.loop_shapes import (
    DOWN,
    SHAPES,
    UP,
    HysteresisModel,
    guess_loop,
    hysteresis_loop,
    smooth_step,
    sweep_branches,
    sweep_step_of,
)
from labspin.analysis.models.thresholds import (
    half_reversal_shift,
    staircase_share,
)

__all__ = ["FIELD_CALIBRATION", "SHAPES", "HysteresisModel", "LoopFit",
           "fit_hysteresis_branches", "fit_hysteresis_loop", "fit_loop", "hysteresis_loop",
           "loop_quantities", "smooth_step", "sweep_branches"]

#: relative accuracy of a field read by a Hall-probe gaussmeter: a probe is calibrated
#: against a reference magnet, whose accuracy is typically +-0.5 % (Lake Shore 421
#: manual, section 5.4); applied as a correlated relative error to the field thresholds
FIELD_CALIBRATION = 0.005
def _prepare(x, signal, branch):
    x = as_array(x, "x")
    y = as_array(signal, "signal")
    same_length(x=x, signal=y)
    branch = sweep_branches(x) if branch is None else np.where(np.asarray(branch) > 0, UP,
                                                                DOWN)
    if branch.size != x.size:
        raise DataError("branch must have one entry (+1 up, -1 down) per point")
    for name, sign in (("up", UP), ("down", DOWN)):
        if np.count_nonzero(branch == sign) < 3:
            raise DataError(f"the {name} branch has fewer than 3 points: not a loop")
    return x, y, branch


def _read_noise(fit: LeastSquaresFit, branch: np.ndarray, sigma,
                excluded: np.ndarray | None = None) -> float:
    """The noise of one point: the given sigma, else the robust scatter (median absolute
    deviation) of the differences between consecutive residuals of one run, over sqrt 2:
    the few steps where the bar reversed differently from the model are outliers to it,
    and a slow drift of the readout cancels."""
    if sigma is not None:
        return float(np.median(np.broadcast_to(np.asarray(sigma, dtype=float),
                                               branch.shape)))
    same = branch[1:] == branch[:-1]
    if excluded is not None:  # a point left out of the fit has no residual
        same &= ~(excluded[1:] | excluded[:-1])
    d = np.diff(fit.residual)[same]
    if d.size < 5:
        return float(np.std(fit.residual)) or 1e-300
    # about each sweep direction's own median: a background the least-squares fit
    # tilted (the levels are refitted on the saturated points later) adds a constant
    # change per step, of opposite sign on the two branches
    direction = branch[1:][same]
    d = np.concatenate([d[direction == s] - np.median(d[direction == s])
                        for s in (UP, DOWN) if np.any(direction == s)])
    mad = float(np.median(np.abs(d)))
    return 1.4826 * mad / math.sqrt(2.0) if mad > 0 else float(np.std(d)) or 1e-300


def _half_crossing(x: np.ndarray, share: np.ndarray) -> float:
    """Where a branch's measured share first reaches 1/2 in sweep order, interpolated
    linearly between the two points around it; a step beyond the end (or before the
    start) of the run when it never gets there (or starts there)."""
    if share.size < 2:
        return float(x[0])
    if share[0] >= 0.5:
        return float(x[0] - (x[1] - x[0]))
    if not np.any(share >= 0.5):
        return float(x[-1] + (x[-1] - x[-2]))
    k = int(np.argmax(share >= 0.5))
    s0, s1 = share[k - 1], share[k]
    return float(x[k - 1] + (x[k] - x[k - 1]) * (0.5 - s0) / (s1 - s0))


def _pin_unresolved(x, y, branch, values, stuck, shape) -> dict[str, float]:
    """Centres of branches whose transition is sharper than the sweep resolves: the
    interpolated half-reversal point of the longest run of the branch (the fit's cost is
    flat within the step there; the sweep-step term of the error covers the rest)."""
    from labspin.analysis.models.thresholds import reversed_share, segments

    pinned = {}
    for name in stuck:
        branch_name = name.removeprefix("width_")
        sign = UP if branch_name == "up" else DOWN
        runs = [seg for seg in segments(branch) if branch[seg[0]] == sign and seg.size > 1]
        if not runs:
            continue
        shares = [reversed_share(y[seg], x[seg], sign, values) for seg in runs]
        best = int(np.argmax([np.ptp(s) for s in shares]))
        pinned[f"center_{branch_name}"] = _half_crossing(x[runs[best]], shares[best])
    return pinned


def _least_squares(x, y, branch, start, shape, step_x, sigma, fix_slope):
    """The least-squares fit; a branch whose width collapses onto its floor (a transition
    sharper than the sweep resolves) gets its centre pinned at its half-reversal point
    and its width fixed at a fortieth of the step, so sharp that the points either side
    of the jump are wholly unreversed and reversed in the model too (at the floor the
    activation law would still reverse 0.5 % one step before the jump, a tanh 4 %, and
    the fit would tilt the background and R_AHE to match); the fit is repeated for the
    rest."""
    floor = step_x / 10 if shape == "activation" else 0.25 * step_x
    sharp = step_x / 40
    extra = {"sweep_step": step_x} if shape == "activation" else {}

    def model(**p):
        return hysteresis_loop(x, branch, shape=shape, **p, **extra)

    gradient = None
    if shape == "activation":
        up = np.asarray(branch) > 0
        jac = np.empty((x.size, len(JACOBIAN_COLUMNS)))

        def gradient(*, offset, slope, step, center_up, center_down, width_up, width_down):
            return loop_jacobian(x, up, step, center_up, center_down, width_up,
                                 width_down, step_x, jac)

    params = dict(start)
    for name in ("width_up", "width_down"):
        params[name] = max(params[name], 1.5 * floor)
    vary = [n for n in params if not (n == "slope" and fix_slope is not None)]
    if fix_slope is not None:
        params["slope"] = float(fix_slope)
    weights = None if sigma is None else 1.0 / np.broadcast_to(
        np.asarray(sigma, dtype=float), x.shape)
    if x.size <= len(vary):
        raise DataError(f"a loop fit has {len(vary)} free parameters and needs more than "
                        f"{x.size} points")
    lower = {n: floor for n in ("width_up", "width_down") if n in vary}
    title = f"hysteresis loop ({shape})"
    # a branch with no point between its levels: width at the floor, centre pinned
    counts, _ = partial_points(x, y, branch, params, 0.01 * abs(params["step"]))
    stuck = [f"width_{name}" for name, n in counts.items() if n == 0]
    fit = None
    excluded = np.zeros(x.shape, dtype=bool)
    for _ in range(2):
        if stuck:
            pinned = _pin_unresolved(x, y, branch, params, stuck, shape)
            params = {**params, **{n: sharp for n in stuck}, **pinned}
            vary = [n for n in vary if n not in stuck and n not in pinned]
            lower = {n: b for n, b in lower.items() if n not in stuck}
            # a pinned (sharp) step cannot pass through a point caught half way: left
            # in, its residual of a large part of the step would tilt the background
            # and shrink the step (one point per transition: a 1 mT step)
            excluded |= _caught_mid_jump(x, y, branch, params,
                                         [n.removeprefix("width_") for n in stuck])
            weights = np.where(excluded, 0.0, 1.0 if weights is None else weights)
        fit = fit_least_squares(model, y, params, vary=vary, lower=lower, weights=weights,
                                scale_covar=sigma is None, title=title, gradient=gradient,
                                gradient_columns=JACOBIAN_COLUMNS,
                                covariance=shape != "activation")
        params = dict(fit.values)
        stuck = [n for n in lower if fit.values[n] < 1.5 * floor]
        if not stuck:
            break
    if not np.all(np.isfinite(fit.residual)):
        raise FitError(f"the hysteresis-loop fit failed: {fit.message}; check the data")
    pinned_branches = [c.removeprefix("center_") for c in CENTRES if c not in fit.var_names]
    return fit, weights, pinned_branches, excluded


def _step_noise(y: np.ndarray, branch: np.ndarray) -> float:
    """The read noise of one point before any fit: the robust scatter of the changes
    between consecutive points of one branch (a jump and a background slope drop out)."""
    d = np.diff(y)[branch[1:] == branch[:-1]]
    if d.size < 5:
        return 0.0
    return 1.4826 * float(np.median(np.abs(d - np.median(d)))) / math.sqrt(2.0)


def _caught_mid_jump(x, y, branch, values, names) -> np.ndarray:
    """The points of the named branches ("up", "down") whose measured share lies clearly
    (5 read-noise sigmas, at least 1 % of the step) between the two levels."""
    from labspin.analysis.models.thresholds import reversed_share

    out = np.zeros(x.shape, dtype=bool)
    if not values["step"]:
        return out
    tol = max(5 * _step_noise(y, branch) / abs(values["step"]), 0.01)
    for name in names:
        sign = UP if name == "up" else DOWN
        sel = branch == sign
        share = reversed_share(y[sel], x[sel], sign, values)
        out[np.flatnonzero(sel)[(share > tol) & (share < 1 - tol)]] = True
    return out


def fit_loop(x, signal, branch=None, *, sigma=None, shape: str = "activation",
             fix_slope: float | None = None, x_calibration: float = 0.0) -> LoopFit:
    """Fit a two-branch loop (module doc); ``x_calibration`` is the relative accuracy of x
    (:data:`FIELD_CALIBRATION` for a gaussmeter-read field)."""
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}, got {shape!r}")
    x, y, branch = _prepare(x, signal, branch)
    step_x = sweep_step_of(x, branch)
    start = guess_loop(x, y, branch, fix_slope)
    if shape == "activation":
        for name, sign in (("up", UP), ("down", DOWN)):
            start[f"width_{name}"] = max(0.6 * start[f"width_{name}"], step_x / 5)
            start[f"center_{name}"] += 0.5 * sign * half_reversal_shift(
                start[f"width_{name}"], step_x)
    fit, weights, pinned, excluded = _least_squares(x, y, branch, start, shape, step_x,
                                                    sigma, fix_slope)
    noise = _read_noise(fit, branch, sigma, excluded)
    out = LoopFit(fit=fit, shape=shape, sweep_step=step_x, noise=noise,
                  unresolved=pinned, x=x, branch=np.asarray(branch), excluded=excluded)
    if shape == "activation":
        activation_covariance(out, x, y, branch, weights)
        if out.used_dispersion > 0:
            levels_reweighted(out, x, y, branch, sigma)
    add_threshold_terms(out, x_calibration)
    return out


def loop_quantities(loop: LoopFit) -> dict[str, UFloat | float]:
    """Physical quantities of a fitted loop, each with the sigma the parameters'
    covariance gives it: g C g' for its gradient g over the fitted parameters (the
    quantities are linear in them but the squareness, linearised by forward
    differences), so the correlations between the parameters count in full. Each comes
    out as an ``uncertainties`` number of its own: they are reported one by one, and
    whatever is derived from them later (a current density, an energy, a switching
    ratio) rests on one of them alone. A quantity of fixed parameters only is a float;
    without a covariance its sigma is NaN."""
    fit, shape, sweep_step = loop.fit, loop.shape, loop.sweep_step
    v = fit.values

    def remanence(cu, cd, wu, wd):
        if shape == "activation":
            return float(1.0 - staircase_share(0.0, cu, wu, sweep_step, UP)
                         - staircase_share(0.0, cd, wd, sweep_step, DOWN))
        s_down = smooth_step(0.0, cd, wd, shape)
        s_up = smooth_step(0.0, cu, wu, shape)
        return float(0.5 * (s_down - s_up))

    names = ("center_up", "center_down", "width_up", "width_down")
    at = [v[n] for n in names]
    squareness = remanence(*at)
    square_gradient = {}
    for i, name in enumerate(names):
        if name in fit.var_names:
            h = 1e-7 * max(abs(at[i]), 1e-12)
            moved = list(at)
            moved[i] += h
            square_gradient[name] = (remanence(*moved) - squareness) / h

    sign = 1.0 if v["step"] >= 0 else -1.0
    linear = {  # name: (value, {parameter: d value / d parameter})
        "step": (v["step"], {"step": 1.0}),
        "half_step": (0.5 * v["step"], {"step": 0.5}),
        "level_high": (v["offset"] + 0.5 * sign * v["step"], {"offset": 1.0,
                                                               "step": 0.5 * sign}),
        "level_low": (v["offset"] - 0.5 * sign * v["step"], {"offset": 1.0,
                                                              "step": -0.5 * sign}),
        "offset": (v["offset"], {"offset": 1.0}),
        "slope": (v["slope"], {"slope": 1.0}),
        **{n: (v[n], {n: 1.0}) for n in names},
        "bias": (0.5 * (v["center_up"] + v["center_down"]), {"center_up": 0.5,
                                                             "center_down": 0.5}),
        "half_width": (0.5 * (v["center_up"] - v["center_down"]), {"center_up": 0.5,
                                                                   "center_down": -0.5}),
        "squareness": (squareness, square_gradient),
    }
    index = {n: i for i, n in enumerate(fit.var_names)}
    gradients = np.zeros((len(linear), len(index)))
    for row, (_, gradient) in enumerate(linear.values()):
        for name, d in gradient.items():
            if name in index:
                gradients[row, index[name]] = d
    covar = fit.covar
    if covar is None or not np.all(np.isfinite(covar)):
        variance = floor = np.full(len(linear), math.nan)
    else:
        variance = np.einsum("ij,jk,ik->i", gradients, covar, gradients)
        # g C g is a sum of terms as large as |g| |C| |g|: where they cancel (a level of
        # a loop whose offset and step are both unknown but anticorrelated) the sum is
        # rounding noise, even negative; the sigma is then only known to be below this
        floor = 64 * np.finfo(float).eps * np.einsum("ij,jk,ik->i", np.abs(gradients),
                                                      np.abs(covar), np.abs(gradients))
    out: dict[str, UFloat | float] = {}
    for row, (name, (value, _)) in enumerate(linear.items()):
        if not np.any(gradients[row]) or max(variance[row], floor[row]) == 0:
            out[name] = float(value)  # fixed parameters only (or no spread): exact
        elif not math.isfinite(variance[row]):
            out[name] = ufloat(float(value), math.nan)
        else:
            out[name] = ufloat(float(value), math.sqrt(max(variance[row], floor[row])))
    return out


def loop_extras(loop: LoopFit) -> dict:
    """What went into the errors, for the result dict (no ``_stderr``)."""
    regions = 1.0 / loop.dispersion if loop.dispersion and math.isfinite(loop.dispersion) \
        else math.nan
    return {"shape": loop.shape, "sweep_step": loop.sweep_step, "read_noise": loop.noise,
            "reversing_regions": regions}


def fit_hysteresis_loop(field, signal, branch=None, *, sigma=None, shape: str = "activation",
                        fix_slope: float | None = None,
                        field_calibration: float = FIELD_CALIBRATION) -> dict:
    """Fit a field loop (Hall R_xy vs B_z, or R_xx^2w vs B_y) measured on both branches.

    ``branch`` (+1 up sweep, -1 down sweep) is inferred from the sweep direction when
    omitted. ``sigma`` is the noise of one point in signal units; without it the read
    noise is taken from the scatter of the saturated parts. ``field_calibration`` is the
    relative accuracy of the field values. Returns b_c_plus, b_c_minus (T; for the
    default ``activation`` shape the single-step 50 % thresholds, module doc of
    :mod:`.thresholds`), exchange_bias (the loop shift), coercivity, step (signed,
    high-field minus low-field state), half_step (R_AHE for a Hall loop), level_high,
    level_low (the saturated levels extrapolated to zero field, background removed),
    slope (background per tesla: R_OHE), offset, width_up, width_down, squareness, each
    with ``_stderr``; shape, sweep_step, read_noise, reversing_regions; the verdict
    (``verdict``, ``verdict_reason``, ``undetermined``) and the fit report.
    """
    x = as_array(field, "field")
    loop = fit_loop(x, signal, branch, sigma=sigma, shape=shape, fix_slope=fix_slope,
                    x_calibration=field_calibration)
    q = loop_quantities(loop)
    named = {
        "b_c_plus": q["center_up"], "b_c_minus": q["center_down"],
        "exchange_bias": q["bias"], "coercivity": q["half_width"],
        "step": q["step"], "half_step": q["half_step"],
        "level_high": q["level_high"], "level_low": q["level_low"],
        "slope": q["slope"], "offset": q["offset"],
        "width_up": q["width_up"], "width_down": q["width_down"],
        "squareness": q["squareness"],
    }
    result = with_verdict(summarize(named, [loop.fit], **loop_extras(loop)))
    branch_arr = sweep_branches(x) if branch is None else np.where(np.asarray(branch) > 0,
                                                                    UP, DOWN)
    return judge_loop(result, loop, x, branch_arr, plus="b_c_plus", minus="b_c_minus",
                      unit="T", sigma_given=sigma is not None,
                      also={"b_c_plus": ("exchange_bias", "coercivity"),
                            "b_c_minus": ("exchange_bias", "coercivity")},
                      step_names=("step", "half_step", "level_high", "level_low"),
                      signal=signal)


def fit_hysteresis_branches(up_field, up_signal, down_field, down_signal, **kwargs) -> dict:
    """:func:`fit_hysteresis_loop` for branches stored as separate arrays (the up branch
    measured before the down branch)."""
    up_x, down_x = as_array(up_field, "up_field"), as_array(down_field, "down_field")
    x = np.concatenate([up_x, down_x])
    y = np.concatenate([as_array(up_signal, "up_signal"), as_array(down_signal, "down_signal")])
    branch = np.concatenate([np.full(up_x.size, UP), np.full(down_x.size, DOWN)])
    return fit_hysteresis_loop(x, y, branch, **kwargs)
