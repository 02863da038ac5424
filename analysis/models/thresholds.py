"""Thresholds of swept loops as thermally activated reversal, with honest uncertainties.

One step of a sweep (a current pulse of width t_p, or the time spent at one field) reverses
a region of the bar that is still in its start state with the Neel-Brown probability
p = 1 - exp(-(t / tau_0) exp(-Delta(x))). Near the threshold the barrier falls linearly
with the swept x (n = 1 for spin-orbit torque, Lee et al., APL 104, 072413 (2014); a
field lowers it as in Sharrock's law, linear over the narrow transition), so

    p(x) = 1 - exp(-ln 2 exp(k (x - x_50)))          (x -> -x on the down sweep)

with the **single-step 50 % threshold x_50**: one pulse of amplitude I_50 (one dwell at
the field B_50) reverses half of the bar. That is what I_c+- and B_c+- are: for a
switching loop the I_50 a switching-probability measurement at the same pulse width
finds, for a field loop the field that reverses half the bar in the time the sweep spends
at one field; neither depends on the sweep step. The Gumbel steepness k is Delta_0 / I_c0
for a single region (Koch et al., PRL 92, 088302 (2004)); a scatter of the regions'
thresholds makes the bar's k smaller. A staircase of step s reverses up to x the share

    F(x) = 1 - exp(-ln 2 exp(k (x - x_50)) / (1 - exp(-k s)))

(every earlier step adds its chance: a geometric series), so a loop reaches half reversal
at x_h = x_50 - delta with delta = ln(1 / (1 - exp(-k s))) / k, the lower the finer the
step. The k a loop shows is that of the whole bar; each region's own law is steeper (a
scatter of thresholds between regions broadens the bar's), and delta falls with k, so the
single-step threshold lies between x_h (regions with infinitely steep laws) and
x_h + delta (identical regions): near the first for field loops, whose transitions are
mostly the scatter of nucleation fields, nearer the second for current loops of a bar
whose regions differ little. One loop cannot tell where, so the fit is parametrised by
the middle of the interval, x_h + delta / 2, which is what is reported, with a uniform
distribution over the interval, delta / sqrt(12), in its error (GUM, JCGM 100:2008,
4.3.7).

What the uncertainty of x_50 contains (README, "What each sigma contains"):

* the read noise, from the scatter of the saturated parts of the loop (or the given
  ``sigma``);
* the randomness of thermally activated reversal: one loop samples the thresholds of the
  bar's n independently reversing regions, so x_50 scatters from loop to loop. 1/n is
  estimated from the loop itself: the share reversed at each step, among the regions
  still unreversed, is binomial with variance p (1 - p) / n (a discrete-time hazard model
  with the complementary log-log link, fitted by quasi-likelihood); the covariance of the
  fit then follows from the covariance of an empirical distribution function of n draws
  (a sandwich estimate), widened for the few degrees of freedom that 1/n rests on (the
  Student-t distribution, :func:`t_widening`);
* the sweep step: a transition with fewer than two points inside it is located only
  within its step, a uniform distribution of variance s^2 / 12;
* the model: where x_50 lies between x_h and x_h + delta (above), delta / sqrt(12);
* a bar that reverses in one jump on both branches (no point inside either transition)
  shows neither its number of regions nor their spread: its threshold is then taken as
  one draw of a single activated region, whose Gumbel spread 1.28 / k is estimated with
  the k x_50 of about 40 typical of thermal activation (Delta_0 about 60 and
  ln(t / tau_0) about 15-20), 3.2 % of the threshold, and the verdict is poor;
* the calibration of x (field loops: the gaussmeter's relative accuracy, added for
  thresholds, loop shift and coercivity as a correlated relative error).
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
from scipy.special import stdtrit

from labspin.analysis.models._loop_kernels import hazard_newton

LN2 = math.log(2.0)
LOG_LN2 = math.log(LN2)
#: a region counts as reversing at a step when its per-step probability is in this range
_INFORMATIVE = (0.01, 0.99)
#: steps after which less than this share is left to reverse carry no information
_MIN_AT_RISK = 0.05


def staircase_share(x, center, width, sweep_step, direction: int = 1):
    """F: the share reversed after the step at ``x`` of a staircase sweep of
    ``sweep_step`` moving in ``direction`` (+1 up, -1 down), for the threshold estimate
    ``center`` (x_h + delta / 2 in the module doc) and Gumbel width ``width`` (= 1/k)."""
    k = 1.0 / width
    ks = k * sweep_step
    g = -math.expm1(-ks) if ks < 700 else 1.0
    # the Gumbel centre lies half the shift (half_reversal_shift) beyond ``center``
    half_shift = -0.5 * math.log(g) if g > 0 else 350.0  # in units of the width
    if isinstance(x, float):  # one point (a remanence): without numpy's call overhead
        return -math.expm1(-LN2 * math.exp(min(direction * k * (x - center) - half_shift,
                                                50.0)) / g)
    u = np.minimum(direction * k * (np.asarray(x, dtype=float) - center) - half_shift, 50.0)
    return -np.expm1(-LN2 * np.exp(u) / g)


def single_step_probability(x, center, width, direction: int = 1):
    """p: the probability that one step at ``x`` reverses a region still unreversed."""
    u = np.minimum(direction * (np.asarray(x, dtype=float) - center) / width, 50.0)
    return -np.expm1(-LN2 * np.exp(u))


def half_reversal_shift(width, sweep_step: float):
    """delta = ln(1 / (1 - exp(-k s))) / k >= 0: how far the loop's half-reversal point
    lies before the single-step threshold of identical regions of Gumbel width 1/k."""
    ks = np.minimum(sweep_step / np.asarray(width, dtype=float), 700.0)
    out = -np.log(-np.expm1(-ks)) * width
    return float(out) if np.ndim(out) == 0 else out


def activated_loop(x, branch, offset=0.0, slope=0.0, step=1.0, center_up=0.0,
                   center_down=0.0, width_up=1.0, width_down=1.0, sweep_step=1.0):
    """Both branches of a loop of thermally activated reversal on a linear background:
    offset + slope x + (step/2)(2F - 1) on the up sweep (``branch`` +1), the mirror
    image on the down sweep; F from :func:`staircase_share`."""
    x = np.asarray(x, dtype=float)
    up = np.asarray(branch) > 0
    s = np.empty_like(x)
    s[up] = 2.0 * staircase_share(x[up], center_up, width_up, sweep_step, 1) - 1.0
    down = ~up
    s[down] = 1.0 - 2.0 * staircase_share(x[down], center_down, width_down, sweep_step, -1)
    return offset + slope * x + 0.5 * step * s


def _share_derivatives(x, center, width, sweep_step, direction):
    """F and its derivatives d F / d center, d F / d width (:func:`staircase_share`)."""
    k = 1.0 / width
    ks = k * sweep_step
    e_ks = math.exp(-ks) if ks < 700 else 0.0
    # 1 - e^-ks without the cancellation that makes it 0 for a width far above the step
    # (a fit exploring a loop that never switched); as in staircase_share
    g = max(-math.expm1(-ks), 1e-300) if ks < 700 else 1.0
    half_shift = -0.5 * math.log(g) if g > 0 else 350.0
    u = np.minimum(direction * k * (x - center) - half_shift, 50.0)
    big_e = LN2 * np.exp(u) / g
    survive = np.exp(-big_e)
    dg_dk = sweep_step * e_ks
    du_dk = direction * (x - center) + 0.5 * dg_dk / g
    de_dk = big_e * du_dk - big_e * dg_dk / g
    return (-np.expm1(-big_e), survive * big_e * (-direction * k),
            survive * de_dk * (-k * k))


def activated_loop_gradient(x, branch, offset=0.0, slope=0.0, step=1.0, center_up=0.0,
                            center_down=0.0, width_up=1.0, width_down=1.0, sweep_step=1.0
                            ) -> dict[str, np.ndarray]:
    """The derivatives of :func:`activated_loop` by each of its parameters: the numpy
    reference of the compiled ``_loop_kernels.loop_jacobian`` the loop fit uses (the
    tests hold the two together)."""
    x = np.asarray(x, dtype=float)
    up = np.asarray(branch) > 0
    down = ~up
    s = np.empty_like(x)
    d = {"offset": np.ones_like(x), "slope": x.copy()}
    for name in ("center_up", "width_up", "center_down", "width_down"):
        d[name] = np.zeros_like(x)
    f, dc, dw = _share_derivatives(x[up], center_up, width_up, sweep_step, 1)
    s[up] = 2.0 * f - 1.0
    d["center_up"][up], d["width_up"][up] = step * dc, step * dw
    f, dc, dw = _share_derivatives(x[down], center_down, width_down, sweep_step, -1)
    s[down] = 1.0 - 2.0 * f
    d["center_down"][down], d["width_down"][down] = -step * dc, -step * dw
    d["step"] = 0.5 * s
    return d


def segments(branch: np.ndarray) -> list[np.ndarray]:
    """Indices of each run of consecutive points on one branch, in measured order."""
    branch = np.asarray(branch)
    bounds = [0, *(np.flatnonzero(branch[1:] != branch[:-1]) + 1).tolist(), branch.size]
    index = np.arange(branch.size)
    return [index[a:b] for a, b in itertools.pairwise(bounds)]


def reversed_share(y: np.ndarray, x: np.ndarray, sign: int, values: dict) -> np.ndarray:
    """The measured share reversed on a branch, from the fitted levels and background."""
    flat = (y - values["offset"] - values["slope"] * x) / values["step"]
    return 0.5 + sign * flat


def _hazard_fit(x, share, sign, center, width, noise_share, sweep_step):
    """Quasi-likelihood fit of the per-step reversal probability among the regions not
    yet reversed (complementary log-log link: log(-log(1 - p)) = log ln2 + k (x - x_50)).
    Returns the Pearson terms of the informative steps as (residual^2 - noise variance)
    / binomial variance (or an empty array) and the leverage the fit has on them (the
    degrees of freedom it uses up among them)."""
    before = np.clip(share[:-1], 0.0, 1.0)
    at_risk = 1.0 - before
    keep = at_risk > _MIN_AT_RISK
    if np.count_nonzero(keep) < 2:
        return np.array([]), 0.0
    xs = x[1:][keep]
    risk = at_risk[keep]
    observed = (share[1:][keep] - share[:-1][keep]) / risk
    noise_var = 2.0 * noise_share**2 / risk**2
    lo, hi = center - 8 * width, center + 8 * width
    window = (xs >= lo) & (xs <= hi)
    if np.count_nonzero(window) < 2:
        return np.array([]), 0.0
    xs, risk, observed, noise_var = xs[window], risk[window], observed[window], \
        noise_var[window]
    # start at the single-step centre the loop fit implies, weights from its dispersion
    k = 1.0 / width
    c = center + sign * 0.5 * half_reversal_shift(width, sweep_step)
    phi = _pearson_dispersion(observed, single_step_probability(xs, c, width, sign), risk,
                              noise_var)
    # six damped Gauss-Newton steps at most on (c, log k), compiled: 1/n needs no precision
    c, k = hazard_newton(xs, risk, observed, noise_var, float(sign), float(c), float(k),
                         float(phi))
    p = single_step_probability(xs, c, 1.0 / k, sign)
    informative = (p > _INFORMATIVE[0]) & (p < _INFORMATIVE[1])
    binomial = p * (1 - p) / risk
    terms = ((observed - p) ** 2 - noise_var)[informative] / binomial[informative]
    if terms.size:
        phi = max(float(np.mean(terms)), 1e-6)
    e = LN2 * np.exp(np.minimum(sign * k * (xs - c), 5.0))
    dp = np.exp(-e) * e
    jac = np.column_stack([dp * (-sign * k), dp * sign * k * (xs - c)])
    w = 1.0 / (phi * p * (1 - p) / risk + noise_var)
    a00, a01, a11 = float(w @ jac[:, 0] ** 2), float(w @ (jac[:, 0] * jac[:, 1])), \
        float(w @ jac[:, 1] ** 2)
    det = a00 * a11 - a01 * a01
    if not det > 0:
        return terms, float(min(2, terms.size))
    # leverage w_i J_i (J'WJ)^-1 J_i' with the 2 x 2 inverse written out
    leverage = w * (a11 * jac[:, 0] ** 2 - 2 * a01 * jac[:, 0] * jac[:, 1]
                    + a00 * jac[:, 1] ** 2) / det
    return terms, float(np.sum(leverage[informative]))


def _pearson_dispersion(observed, p, risk, noise_var) -> float:
    """Mean Pearson term of the informative steps (a starting 1/n; 1/30 without any)."""
    informative = (p > _INFORMATIVE[0]) & (p < _INFORMATIVE[1])
    if not np.any(informative):
        return 1.0 / 30.0
    terms = ((observed - p) ** 2 - noise_var)[informative] / (
        p * (1 - p) / risk)[informative]
    return min(max(float(np.mean(terms)), 1e-4), 1.0)


def reversal_dispersion(x, y, branch, values: dict, noise: float, sweep_step: float
                        ) -> tuple[float, float, dict]:
    """1/n, the dispersion of the reversed share (n independently reversing regions),
    pooled over both branches, with its degrees of freedom (informative steps minus the
    leverage of the hazard fits on them) and the number of informative steps per branch
    ("up", "down"). NaN with 0 degrees of freedom when no branch has a transition
    resolved by the sweep."""
    noise_share = noise / abs(values["step"]) if values["step"] else math.inf
    pearson, informative, used = [], {"up": 0, "down": 0}, 0.0
    for sign, name in ((1, "up"), (-1, "down")):
        center, width = values[f"center_{name}"], values[f"width_{name}"]
        # the run of this branch that reverses the most carries its transition
        runs = [seg for seg in segments(branch) if branch[seg[0]] == sign and seg.size >= 3]
        best = None
        if runs:
            shares = [reversed_share(y[seg], x[seg], sign, values) for seg in runs]
            k = int(np.argmax([np.ptp(share) for share in shares]))
            best = _hazard_fit(x[runs[k]], shares[k], sign, center, width, noise_share,
                               sweep_step)
        if best is not None and best[0].size:
            pearson.append(best[0])
            used += best[1]
            informative[name] = int(best[0].size)
    m = sum(t.size for t in pearson)
    dof = m - used
    if dof < 1:
        return math.nan, 0, informative
    return max(float(np.sum(np.concatenate(pearson))) / dof, 0.0), dof, informative


@functools.lru_cache(maxsize=256)
def _t_widening(dof: float) -> float:
    one = stdtrit(dof, 0.841345) / 1.0  # Student-t quantiles
    two = stdtrit(dof, 0.97725) / 2.0
    return float(math.sqrt(one * two))


def t_widening(dof: float) -> float:
    """How much wider to quote a sigma whose variance rests on ``dof`` degrees of freedom:
    the geometric mean of the Student-t over normal ratios at the 1-sigma (84 %) and
    2-sigma (97.5 %) points, so that neither interval falls far short (for 2 degrees of
    freedom 1.70: 77 % and 92 % instead of 68 % and 95 %; for 10, 1.09)."""
    if dof < 1:
        return math.inf
    return _t_widening(round(float(dof), 2))


def loop_covariance(jac: np.ndarray, weights: np.ndarray | None, x: np.ndarray,
                    branch: np.ndarray, values: dict, sweep_step: float, noise: float,
                    dispersion: float) -> np.ndarray | None:
    """Covariance of the least-squares loop parameters (a sandwich estimate) when each
    point carries the read noise ``noise`` and the reversed share along one run of a
    branch is the empirical distribution function of 1/``dispersion`` independent
    regions: cov(F_i, F_j) = dispersion F_i (1 - F_j) for point i before point j.

    ``jac`` is the Jacobian of the weighted residuals w (model - data) at the optimum;
    the estimate's covariance is (J'J)^-1 J' W C W J (J'J)^-1."""
    try:
        bread = np.linalg.pinv(jac.T @ jac)
    except np.linalg.LinAlgError:
        return None
    w = np.ones(x.size) if weights is None else np.asarray(weights, dtype=float)
    meat = noise**2 * (jac * w[:, None] ** 2).T @ jac
    if dispersion > 0:
        for seg in segments(branch):
            sign = 1 if branch[seg[0]] > 0 else -1
            name = "up" if sign > 0 else "down"
            f = staircase_share(x[seg], values[f"center_{name}"], values[f"width_{name}"],
                                sweep_step, sign)
            meat += dispersion * values["step"] ** 2 * _ecdf_form(jac[seg] * w[seg, None], f)
    return bread @ meat @ bread


def _ecdf_form(a: np.ndarray, f: np.ndarray) -> np.ndarray:
    """a' C a for C_ij = f_min(i,j) (1 - f_max(i,j)) (points in measured order, f rising),
    in O(n p^2) with prefix sums instead of the n x n matrix: the off-diagonal part is
    M + M' with M = sum_j (1 - f_j) a_j (sum_{i<j} f_i a_i)'."""
    before = np.cumsum(a * f[:, None], axis=0)
    before = np.vstack([np.zeros((1, a.shape[1])), before[:-1]])
    m = (a * (1.0 - f)[:, None]).T @ before
    return m + m.T + (a * (f * (1.0 - f))[:, None]).T @ a
