"""The errors of a fitted loop: what each threshold's sigma contains.

Built on the least-squares fit of :mod:`.loops`: a sandwich covariance with the read
noise and the randomness of reversal (its dispersion from the hazard fit of
:mod:`.thresholds`, widened for its few degrees of freedom), the levels refitted on the
saturated points, and the terms the fit cannot see: the sweep step of a transition the
sweep does not resolve, the model (where the single-step threshold lies), a bar that
reverses in one jump, and the calibration of x (README, "What each sigma contains").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import chdtri
from uncertainties import UFloat

from labspin.analysis.models._lsq import LeastSquaresFit
from labspin.analysis.models.loop_shapes import DOWN, UP
from labspin.analysis.models.thresholds import (
    half_reversal_shift,
    loop_covariance,
    reversal_dispersion,
    reversed_share,
    segments,
    staircase_share,
    t_widening,
)

#: the spread of one thermally activated region's threshold relative to the threshold,
#: 1.28 / (k x_50) with the typical k x_50 = 40 (thresholds module doc)
SINGLE_REGION_SPREAD = 1.28 / 40.0
CENTRES = ("center_up", "center_down")
#: one-sided level of the bound on how many regions a loop's increments can show
ENOUGH_REGIONS_CONFIDENCE = 0.05
_LEVELS = ("offset", "slope", "step")


@dataclass
class LoopFit:
    """A fitted loop: the least-squares result (covariance as described in
    :mod:`.thresholds`), its correlated parameters and what went into the errors."""

    fit: LeastSquaresFit
    shape: str
    sweep_step: float
    noise: float  # read noise of one point, signal units
    dispersion: float = math.nan  # 1/n of the reversing regions (NaN: not estimated)
    dof: float = 0.0  # degrees of freedom of the dispersion
    informative: dict[str, int] = field(default_factory=dict)  # steps inside each transition
    unresolved: list[str] = field(default_factory=list)  # branches narrower than a step
    single_jump: bool = False  # both branches reversed in one jump
    used_dispersion: float = 0.0  # the dispersion the covariance was built with
    x: np.ndarray = field(default_factory=lambda: np.zeros(0))  # the swept values fitted
    branch: np.ndarray = field(default_factory=lambda: np.zeros(0))  # +1 up, -1 down
    #: points left out of the fit: caught half way through a transition the fit pins
    excluded: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def params(self) -> dict[str, UFloat | float]:
        """The fitted parameters as ``uncertainties`` numbers with their covariance."""
        return self.fit.ufloats()


def bracketing_gap(x: np.ndarray, branch: np.ndarray, sign: int, centre: float,
                   default: float) -> float:
    """The distance between the swept points of one branch (``sign``) on either side of
    ``centre``: where a transition with no point inside it may lie. A missing point (a
    row left out) widens it beyond the sweep step; ``default`` when ``centre`` is not
    between two points of the branch."""
    values = np.unique(np.asarray(x, dtype=float)[np.asarray(branch) == sign])
    below, above = values[values <= centre], values[values > centre]
    if below.size == 0 or above.size == 0 or not math.isfinite(centre):
        return default
    return float(above[0] - below[-1])


def activation_covariance(out: LoopFit, x, y, branch, weights) -> None:
    """Sandwich covariance with read noise and the randomness of reversal, replacing the
    least-squares one. The dispersion 1/n comes from the hazard fit of the steps inside
    the transitions, widened to its Student-t 95 % point; with too few such steps it is
    bounded by the smallest share the loop showed between its levels (at least one
    region), and a branch with no point inside its transition is located within its
    sweep step; with none on either branch the bar is taken as one region. 1/n is never
    below what the increments can show (:func:`dispersion_floor`)."""
    fit = out.fit
    phi, dof, informative = reversal_dispersion(x, y, branch, fit.values, out.noise,
                                                out.sweep_step)
    partial, smallest = partial_points(x, y, branch, fit.values, out.noise)
    floor = dispersion_floor(phi, dof, smallest)
    out.dispersion, out.dof, out.informative = max(phi, floor), dof, informative
    out.unresolved = [name for name in ("up", "down")
                      if partial[name] == 0 or name in out.unresolved]
    out.single_jump = partial["up"] == 0 and partial["down"] == 0
    if dof >= 1:  # the floor is a confidence bound already: not widened again
        used = max(phi * t_widening(dof) ** 2, floor)
    elif math.isfinite(smallest):
        used = smallest
    else:
        used = 0.0
    out.used_dispersion = used
    cov = loop_covariance(fit.jac, weights, x, branch, fit.values, out.sweep_step, out.noise,
                          used)
    if cov is not None and np.all(np.isfinite(cov)):
        fit.covar = cov


def dispersion_floor(phi: float, dof: float, smallest: float) -> float:
    """The least 1/n the increments can show: the Pearson estimate ``phi`` rests on
    ``dof`` degrees of freedom, phi dof / (1/n) ~ chi-square(dof), so a few increments
    that happen to lie close to the hazard curve make it tiny (a bar of 32 grains came
    out as 2232 regions with 2 degrees of freedom, its threshold's sigma 7 times too
    small). The loop cannot show more regions than the 95 % one-sided confidence bound
    phi dof / chi2_0.05(dof); nor need the bound exceed ``smallest``, the least share the
    loop showed between its levels (it has at least 1/smallest regions)."""
    if not (dof >= 1 and math.isfinite(phi)):
        return 0.0
    bound = phi * dof / float(chdtri(dof, 1.0 - ENOUGH_REGIONS_CONFIDENCE))  # chi2 ppf
    return min(bound, smallest) if math.isfinite(smallest) else bound


def levels_reweighted(out: LoopFit, x, y, branch, sigma) -> None:
    """Levels and background again, from the saturated points alone (more than 8 widths
    from the threshold, and where the randomness of reversal, dispersion step^2 F (1 - F),
    is below a quarter of the read-noise variance): inside the transitions the randomness
    of reversal and the shape of the activation law would leak into them. The model is
    linear in the levels (offset, slope, step) at fixed thresholds and widths, so this is
    a weighted linear least-squares fit. The covariance becomes block-diagonal: levels
    from this fit, the rest from the first."""
    fit = out.fit
    v = fit.values
    f = np.where(branch > 0,
                 staircase_share(x, v["center_up"], v["width_up"], out.sweep_step, UP),
                 staircase_share(x, v["center_down"], v["width_down"], out.sweep_step, DOWN))
    noise = out.noise if sigma is None else np.broadcast_to(np.asarray(sigma, dtype=float),
                                                            x.shape)
    far = np.where(branch > 0, np.abs(x - v["center_up"]) / v["width_up"],
                   np.abs(x - v["center_down"]) / v["width_down"])
    if out.excluded.size == x.size:
        far = np.where(out.excluded, 0.0, far)
    saturated = (far > 8) & (out.used_dispersion * v["step"] ** 2 * f * (1 - f)
                             < 0.25 * noise**2)
    vary = [n for n in _LEVELS if n in fit.var_names]
    if np.count_nonzero(saturated) <= len(vary) + 2 or fit.covar is None:
        return
    shape = np.where(branch > 0, f - 0.5, 0.5 - f)  # (2F - 1) / 2 on the up branch
    columns = {"offset": np.ones_like(x), "slope": x, "step": shape}
    fixed = sum(v[n] * columns[n] for n in _LEVELS if n not in vary)
    design = np.column_stack([columns[n] for n in vary])[saturated]
    w = 1.0 / np.broadcast_to(noise, x.shape)[saturated]
    coef, *_ = np.linalg.lstsq(design * w[:, None], (y - fixed)[saturated] * w, rcond=None)
    try:
        level_cov = np.linalg.inv((design * w[:, None]).T @ (design * w[:, None]))
    except np.linalg.LinAlgError:
        return
    cov = fit.covar.copy()
    idx = [fit.var_names.index(n) for n in vary]
    cov[idx, :] = 0.0
    cov[:, idx] = 0.0
    cov[np.ix_(idx, idx)] = level_cov
    fit.values.update({n: float(c) for n, c in zip(vary, coef, strict=True)})
    fit.covar = cov


def partial_points(x, y, branch, values, noise) -> tuple[dict[str, int], float]:
    """Per branch, the points whose measured share lies clearly (5 read-noise sigmas)
    between unreversed and reversed, and the smallest share seen on either side of them,
    min(F, 1 - F): the bar has at least 1/that many regions."""

    tolerance = 5 * noise / abs(values["step"]) if values["step"] else math.inf
    counts, smallest = {"up": 0, "down": 0}, math.inf
    for seg in segments(branch):
        sign = 1 if branch[seg[0]] > 0 else -1
        share = reversed_share(y[seg], x[seg], sign, values)
        inside = (share > tolerance) & (share < 1 - tolerance)
        counts["up" if sign > 0 else "down"] += int(np.count_nonzero(inside))
        if np.any(inside):
            smallest = min(smallest, float(np.min(np.minimum(share, 1 - share)[inside])))
    return counts, smallest


def add_threshold_terms(out: LoopFit, x_calibration: float) -> None:
    """Variance the fit cannot see: a transition the sweep does not resolve lies anywhere
    between the points on either side of it (g^2/12, g their actual gap: the sweep step,
    or more where a point is missing), the model (a third of the half-reversal shift)
    and the calibration of x (correlated between the two thresholds)."""
    fit = out.fit
    if fit.covar is None:
        return
    _include_centres(fit)
    cov = fit.covar.copy()
    names = fit.var_names
    for centre, branch_name in zip(CENTRES, ("up", "down"), strict=True):
        if centre not in names:
            continue
        i = names.index(centre)
        if out.shape == "activation":
            shift = half_reversal_shift(fit.values[f"width_{branch_name}"], out.sweep_step)
            cov[i, i] += shift**2 / 12.0  # uniform over [x_h, x_h + delta]
            if branch_name in out.unresolved:  # anywhere between the points around it
                gap = bracketing_gap(out.x, out.branch, UP if branch_name == "up" else DOWN,
                                     fit.values[centre], out.sweep_step) \
                    if out.branch.size == out.x.size else out.sweep_step
                cov[i, i] += gap**2 / 12.0
            if out.single_jump:
                cov[i, i] += (SINGLE_REGION_SPREAD * fit.values[centre]) ** 2
    if x_calibration:
        scaled = [n for n in (*CENTRES, "width_up", "width_down", "slope") if n in names]
        for a in scaled:
            for b in scaled:
                cov[names.index(a), names.index(b)] += (x_calibration**2 * fit.values[a]
                                                        * fit.values[b])
    fit.covar = cov


def _include_centres(fit: LeastSquaresFit) -> None:
    """Treat a pinned (fixed) centre as a parameter with zero fit covariance, so that
    the terms added to it travel into every quantity built on it."""
    for centre in CENTRES:
        if centre in fit.var_names:
            continue
        n = len(fit.var_names)
        grown = np.zeros((n + 1, n + 1))
        grown[:n, :n] = fit.covar
        fit.covar = grown
        fit.var_names = [*fit.var_names, centre]
        fit.jac = np.column_stack([fit.jac, np.zeros(fit.jac.shape[0])])


