"""numba kernels of the loop fits' inner loops: the Jacobian of the activated loop and the
Gauss-Newton hazard fit, the same formulas as :func:`.thresholds.activated_loop_gradient`
and :func:`.thresholds._hazard_fit` written on scalars.

A least-squares loop fit evaluates its Jacobian about ten times and fits the reversal
hazard of each branch in up to six Gauss-Newton steps; in numpy each of those is a few
dozen calls on a few hundred points, where the call overhead dominates. Compiled, one
pass over the points computes every column. ``tests/analysis/test_loop_kernels.py``
holds the kernels to the numpy forms and to finite differences.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

LN2 = math.log(2.0)

#: the columns of :func:`loop_jacobian`, in order
JACOBIAN_COLUMNS = ("offset", "slope", "step", "center_up", "center_down", "width_up",
                    "width_down")


@njit(cache=True)
def _branch_constants(width, sweep_step):
    """k, g = 1 - exp(-k s), the half shift -ln(g) / 2 and dg/dk of one branch (as in
    ``staircase_share``, without the cancellation for a width far above the step)."""
    k = 1.0 / width
    ks = k * sweep_step
    if ks < 700.0:
        g = max(-math.expm1(-ks), 1e-300)
        dg_dk = sweep_step * math.exp(-ks)
    else:
        g = 1.0
        dg_dk = 0.0
    return k, g, -0.5 * math.log(g), dg_dk


@njit(cache=True)
def loop_jacobian(x, up, step, center_up, center_down, width_up, width_down, sweep_step,
                  out):
    """Fill ``out`` (n x 7, :data:`JACOBIAN_COLUMNS`) with d activated_loop / d parameter
    at the points ``x`` (``up``: True on the up branch)."""
    ku, gu, hu, dgu = _branch_constants(width_up, sweep_step)
    kd, gd, hd, dgd = _branch_constants(width_down, sweep_step)
    for i in range(x.size):
        out[i, 0] = 1.0
        out[i, 1] = x[i]
        if up[i]:
            k, g, half, dg, c, d, sgn, col_c, col_w, other_c, other_w = \
                ku, gu, hu, dgu, center_up, 1.0, 1.0, 3, 5, 4, 6
        else:
            k, g, half, dg, c, d, sgn, col_c, col_w, other_c, other_w = \
                kd, gd, hd, dgd, center_down, -1.0, -1.0, 4, 6, 3, 5
        t = x[i] - c
        u = min(d * k * t - half, 50.0)
        big_e = LN2 * math.exp(u) / g
        survive = math.exp(-big_e)
        share = -math.expm1(-big_e)
        de_dk = big_e * (d * t + 0.5 * dg / g) - big_e * dg / g
        # up: (step / 2)(2F - 1); down: (step / 2)(1 - 2F)
        out[i, 2] = sgn * (share - 0.5)
        out[i, col_c] = sgn * step * survive * big_e * (-d * k)
        out[i, col_w] = sgn * step * survive * de_dk * (-k * k)
        out[i, other_c] = 0.0
        out[i, other_w] = 0.0
    return out


@njit(cache=True)
def hazard_newton(xs, risk, observed, noise_var, sign, c, k, phi):
    """Six damped Gauss-Newton steps at most on (c, log k) of the complementary log-log
    hazard p = 1 - exp(-ln 2 exp(sign k (x - c))), weighted by the quasi-likelihood
    variance phi p (1 - p) / risk + noise_var; returns (c, k)."""
    n = xs.size
    for _ in range(6):
        a00 = 0.0
        a01 = 0.0
        a11 = 0.0
        b0 = 0.0
        b1 = 0.0
        for i in range(n):
            u = min(sign * k * (xs[i] - c), 5.0)
            e = LN2 * math.exp(u)
            p = -math.expm1(-e)
            dp = math.exp(-e) * e
            w = 1.0 / (phi * p * (1.0 - p) / risk[i] + noise_var[i])
            j0 = dp * (-sign * k)
            j1 = dp * u
            r = observed[i] - p
            a00 += w * j0 * j0
            a01 += w * j0 * j1
            a11 += w * j1 * j1
            b0 += w * j0 * r
            b1 += w * j1 * r
        det = a00 * a11 - a01 * a01
        if not det > 0.0:
            break
        d_c = min(max((a11 * b0 - a01 * b1) / det, -2.0 / k), 2.0 / k)
        d_log_k = min(max((a00 * b1 - a01 * b0) / det, -0.5), 0.5)
        c = c + d_c
        k = k * math.exp(d_log_k)
        if abs(d_c) * k < 1e-4 and abs(d_log_k) < 1e-4:
            break
    return c, k


def warm() -> None:
    """Compile (or load from the cache) both kernels on a tiny problem."""
    x = np.array([-1.0, 0.0, 1.0])
    loop_jacobian(x, np.array([True, False, True]), 1.0, 0.0, 0.0, 1.0, 1.0, 0.5,
                  np.empty((3, 7)))
    hazard_newton(x, np.ones(3), np.full(3, 0.5), np.zeros(3), 1.0, 0.0, 1.0, 0.1)
