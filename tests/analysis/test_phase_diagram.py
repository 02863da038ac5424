"""J_c against the in-plane bias field of the perpendicular stack: the Lee line gives
B_K,eff and xi_DL back, from the formula with noise and from the device's thresholds."""

import numpy as np
import pytest

from labspin.analysis.models import DataError
from labspin.analysis.models.phase_diagram import critical_density, fit_lee_phase_diagram
from labspin.physics import preset
from labspin.physics.formulas import lee_threshold_perpendicular
from labspin.physics.predictions import critical_current
from labspin.physics.properties import properties_at

from .helpers import COVERAGE, N_SEEDS, cold, coverage

BIAS = np.array([-0.04, -0.03, -0.02, -0.01, 0.01, 0.02, 0.03, 0.04])  # T, both polarities


def truth():
    params = preset("cofeb-nio-pma")
    props = properties_at(params, 300.0)
    return (props.saturation_magnetization, params.ferromagnet.thickness,
            props.transport.xi_dl, props.anisotropy_field)


def noisy_phase_diagram(seed: int, rel_noise: float = 0.02):
    ms, t_f, xi, b_k = truth()
    j_c = lee_threshold_perpendicular(ms, t_f, xi, b_k, BIAS)
    sigma = rel_noise * j_c.mean()
    return j_c + np.random.default_rng(seed).normal(0, sigma, j_c.size), sigma


def test_lee_line_gives_back_anisotropy_and_efficiency():
    ms, t_f, xi, b_k = truth()
    j_c, sigma = noisy_phase_diagram(0)
    fit = fit_lee_phase_diagram(BIAS, j_c, ms=ms, t_f=t_f, sigma=sigma)
    assert fit["b_k_eff"] == pytest.approx(b_k, abs=3 * fit["b_k_eff_stderr"])
    assert fit["b_k_eff"] == pytest.approx(b_k, rel=0.05)
    assert fit["xi_dl"] == pytest.approx(abs(xi), rel=0.05)
    assert fit["b_x_zero"] == pytest.approx(fit["b_k_eff"] / np.sqrt(2))
    # the fitted constants reproduce the fitted line through the physics formula
    line = fit["intercept"] - fit["slope"] * np.abs(BIAS)
    assert critical_density(BIAS, fit["xi_dl"], fit["b_k_eff"], ms, t_f) == pytest.approx(line)


def test_phase_diagram_errors_cover_the_truth():
    ms, t_f, xi, b_k = truth()
    fits = []
    for seed in range(N_SEEDS):
        j_c, sigma = noisy_phase_diagram(seed)
        fits.append(fit_lee_phase_diagram(BIAS, j_c, ms=ms, t_f=t_f, sigma=sigma))
    assert COVERAGE[0] <= coverage(fits, "b_k_eff", b_k) <= COVERAGE[1]
    assert COVERAGE[0] <= coverage(fits, "xi_dl", abs(xi)) <= COVERAGE[1]


def test_device_thresholds_follow_the_lee_line_in_the_athermal_limit():
    """With a huge barrier the thermal reduction of J_c vanishes and the device's
    critical currents lie on the Lee line (bias above the chirality field)."""
    params = cold("cofeb-nio-pma", barrier=5e4)
    props = properties_at(params, 300.0)
    bias = np.array([0.015, 0.025, 0.035, 0.045])
    area = params.hall_bar.width * props.transport.conducting_thickness
    j_c = [critical_current(params, 1e-6, field=(b, 0.0, 0.0)) / area for b in bias]
    fit = fit_lee_phase_diagram(bias, j_c, ms=props.saturation_magnetization,
                                t_f=params.ferromagnet.thickness)
    assert fit["b_k_eff"] == pytest.approx(props.anisotropy_field, rel=0.01)
    assert fit["xi_dl"] == pytest.approx(abs(props.transport.xi_dl), rel=0.02)


def test_a_field_independent_threshold_is_not_a_lee_line():
    with pytest.raises(DataError, match="does not fall"):
        fit_lee_phase_diagram(BIAS, 1e11 + 1e8 * np.abs(BIAS))
    with pytest.raises(DataError, match="both ms and t_f"):
        fit_lee_phase_diagram(BIAS, 1e11 - 1e12 * np.abs(BIAS), ms=1e6)
