"""A loop fit that explores a Gumbel width far above the sweep step (a loop that never
switched) must not divide by zero: 1 - exp(-s/w) is computed without cancellation."""

import math

import numpy as np

from labspin.analysis.models.thresholds import _share_derivatives, staircase_share


def test_share_and_its_derivatives_stay_finite_for_a_width_far_above_the_step():
    x = np.linspace(-0.03, 0.03, 9)
    for width in (1e3, 1e14, 1e300):  # step / width down to 1e-303: 1 - e^-ks was 0
        f, d_center, _ = _share_derivatives(x, 0.0, width, 3.75e-3, 1)
        assert np.all(np.isfinite(f)) and np.all(np.isfinite(d_center))
        assert np.allclose(f, staircase_share(x, 0.0, width, 3.75e-3, 1))
    # an ordinary width is unchanged by the rewrite (analytic check of d F / d center)
    f, d_center, _ = _share_derivatives(x, 0.001, 0.002, 0.001, 1)
    h = 1e-9
    numeric = (staircase_share(x, 0.001 + h, 0.002, 0.001, 1)
               - staircase_share(x, 0.001 - h, 0.002, 0.001, 1)) / (2 * h)
    assert np.allclose(d_center, numeric, rtol=1e-5, atol=1e-6)
    assert math.isclose(float(f[4]), float(staircase_share(x, 0.001, 0.002, 0.001, 1)[4]))


def test_the_compiled_jacobian_stays_finite_for_a_width_far_above_the_step():
    """The fit's own Jacobian (the compiled kernel) as the numpy form above."""
    from labspin.analysis.models._loop_kernels import loop_jacobian

    x = np.concatenate([np.linspace(-0.03, 0.03, 9), np.linspace(0.03, -0.03, 9)])
    up = np.arange(x.size) < 9
    for width in (1e3, 1e14, 1e300):
        jac = loop_jacobian(x, up, 1.0, 0.0, 0.0, width, width, 3.75e-3,
                            np.empty((x.size, 7)))
        assert np.all(np.isfinite(jac[:, :5])), width  # levels and centres
