"""The compiled kernels of the loop fits against the numpy forms and finite differences.

``loop_jacobian`` replaces ``activated_loop_gradient`` inside the fit and
``hazard_newton`` the numpy Gauss-Newton loop of the hazard fit: a wrong column or a
dropped term would move every threshold and its sigma, so both are held to independent
answers here (central differences of ``activated_loop``; the numpy iteration written out).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from labspin.analysis.models._loop_kernels import (
    JACOBIAN_COLUMNS,
    hazard_newton,
    loop_jacobian,
)
from labspin.analysis.models.thresholds import (
    LN2,
    activated_loop,
    activated_loop_gradient,
)

# a loop of 8 mT coercivity, widths 0.3-0.6 mT, swept in 0.2 mT steps; the last set has a
# width far above the step (a fit exploring a loop that never switched)
CASES = [
    dict(offset=0.1, slope=0.02, step=-2.5, center_up=8e-3, center_down=-7.5e-3,
         width_up=3e-4, width_down=6e-4),
    dict(offset=-1.0, slope=-3.0, step=0.7, center_up=-1e-3, center_down=2e-3,
         width_up=1e-4, width_down=2.5e-5),
    dict(offset=0.0, slope=0.0, step=1.0, center_up=0.0, center_down=0.0,
         width_up=5.0, width_down=0.04),
]
STEP = 2e-4


def loop_points():
    down = np.round(np.arange(0.02, -0.02 - 1e-9, -STEP), 12)
    x = np.concatenate([down, down[::-1]])
    branch = np.concatenate([-np.ones(down.size), np.ones(down.size)])
    return x, branch


@pytest.mark.parametrize("p", CASES)
def test_jacobian_matches_the_numpy_gradient(p):
    x, branch = loop_points()
    got = loop_jacobian(x, branch > 0, p["step"], p["center_up"], p["center_down"],
                        p["width_up"], p["width_down"], STEP, np.full((x.size, 7), np.nan))
    with np.errstate(invalid="ignore", over="ignore"):
        want = activated_loop_gradient(x, branch, **p, sweep_step=STEP)
    for j, name in enumerate(JACOBIAN_COLUMNS):
        scale = np.max(np.abs(want[name])) or 1.0
        np.testing.assert_allclose(got[:, j], want[name], rtol=1e-9, atol=1e-12 * scale,
                                   err_msg=name)


@pytest.mark.parametrize("p", CASES[:2])
def test_jacobian_matches_central_differences(p):
    x, branch = loop_points()
    got = loop_jacobian(x, branch > 0, p["step"], p["center_up"], p["center_down"],
                        p["width_up"], p["width_down"], STEP, np.empty((x.size, 7)))
    for j, name in enumerate(JACOBIAN_COLUMNS):
        h = 1e-6 * max(abs(p[name]), 1e-4 if name.startswith("center") else 1e-3)
        hi = activated_loop(x, branch, **{**p, name: p[name] + h}, sweep_step=STEP)
        lo = activated_loop(x, branch, **{**p, name: p[name] - h}, sweep_step=STEP)
        numeric = (hi - lo) / (2 * h)
        scale = np.max(np.abs(numeric)) or 1.0
        assert np.max(np.abs(got[:, j] - numeric)) < 1e-5 * scale, name


def numpy_newton(xs, risk, observed, noise_var, sign, c, k, phi):
    """The Gauss-Newton loop of the hazard fit as it was written in numpy."""
    for _ in range(6):
        u = np.minimum(sign * k * (xs - c), 5.0)
        e = LN2 * np.exp(u)
        p = -np.expm1(-e)
        dp = np.exp(-e) * e
        w = 1.0 / (phi * p * (1 - p) / risk + noise_var)
        j0, j1, r = dp * (-sign * k), dp * u, observed - p
        a00, a01, a11 = float(w @ (j0 * j0)), float(w @ (j0 * j1)), float(w @ (j1 * j1))
        b0, b1 = float(w @ (j0 * r)), float(w @ (j1 * r))
        det = a00 * a11 - a01 * a01
        if not det > 0:
            break
        d_c = min(max((a11 * b0 - a01 * b1) / det, -2 / k), 2 / k)
        d_log_k = min(max((a00 * b1 - a01 * b0) / det, -0.5), 0.5)
        c, k = c + d_c, k * math.exp(d_log_k)
        if abs(d_c) * k < 1e-4 and abs(d_log_k) < 1e-4:
            break
    return c, k


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_hazard_newton_recovers_a_known_hazard_and_matches_numpy(sign):
    """Per-step reversal probabilities drawn from a known hazard (50 % at 20 mA, k = 2 per
    mA) among 200 regions: the fit lands near the truth and on the numpy iteration."""
    rng = np.random.default_rng(7)
    xs = sign * np.arange(15.0, 25.0, 0.5)
    truth_p = -np.expm1(-LN2 * np.exp(sign * 2.0 * (xs - sign * 20.0)))
    risk = np.linspace(1.0, 0.1, xs.size)
    regions = np.maximum(np.round(200 * risk), 1)
    observed = rng.binomial(regions.astype(int), truth_p) / regions
    noise_var = np.full(xs.size, 1e-6)
    start = (float(sign * 19.0), 1.5, 0.01)
    got = hazard_newton(xs, risk, observed, noise_var, sign, *start)
    want = numpy_newton(xs, risk, observed, noise_var, sign, *start)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    assert abs(got[0] - sign * 20.0) < 0.3
    assert 1.4 < got[1] < 2.8
